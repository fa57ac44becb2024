// Messages for crypto::Error, lowercase with no final period, as tools print them.
#include "tipline/crypto/errors.hpp"

#include <string>

namespace tipline::crypto {
namespace {

class Category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "tipline.crypto"; }
    std::string message(int value) const override {
        switch (static_cast<Error>(value)) {
            case Error::malformed:
                return "input is malformed";
            case Error::unsupported_version:
                return "unsupported format version";
            case Error::no_matching_key:
                return "no key here can open this input";
            case Error::authentication_failed:
                return "authentication failed";
            case Error::truncated:
                return "input is truncated";
            case Error::invalid_argument:
                return "invalid argument";
            case Error::expired:
                return "the signed list has expired";
            case Error::rolled_back:
                return "the signed list is older than one seen before";
            case Error::untrusted_key:
                return "signed by a key that is not trusted here";
        }
        return "unknown error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(Error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace tipline::crypto
