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

bool decode_hex(std::string_view hex, std::span<unsigned char> out) {
    if (hex.size() != 2 * out.size()) return false;
    for (char c : hex) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;  // canonical: lowercase only
    }
    std::size_t len = 0;
    return sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, nullptr) == 0 &&
           len == out.size();
}

std::string encode_hex(std::span<const unsigned char> bytes) {
    std::string out(2 * bytes.size() + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
    out.pop_back();
    return out;
}

std::optional<TipId> TipId::from_hex(std::string_view hex) {
    TipId id;
    if (!decode_hex(hex, id.bytes)) return std::nullopt;
    return id;
}

std::string TipId::hex() const { return encode_hex(bytes); }

}  // namespace tipline::server
