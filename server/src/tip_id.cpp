// TipId generation and hex form.
#include "tipline/server/tip_id.hpp"

#include <sodium.h>

#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::server {

TipId TipId::random() {
    crypto::ensure_sodium();
    TipId id;
    randombytes_buf(id.bytes.data(), id.bytes.size());
    return id;
}

std::optional<TipId> TipId::from_hex(std::string_view hex) {
    if (hex.size() != 32) return std::nullopt;
    for (char c : hex) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;  // canonical: lowercase only
    }
    TipId id;
    std::size_t len = 0;
    if (sodium_hex2bin(id.bytes.data(), id.bytes.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 ||
        len != id.bytes.size()) {
        return std::nullopt;
    }
    return id;
}

std::string TipId::hex() const {
    char out[33];
    sodium_bin2hex(out, sizeof out, bytes.data(), bytes.size());
    return out;
}

}  // namespace tipline::server
