// Hex and SHA-256 helpers shared by the vector generator and the vector walker.
#pragma once

#include <sodium.h>

#include <span>
#include <string>

namespace tipline::test {

inline std::string hex(std::span<const unsigned char> bytes) {
    std::string out(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
    out.pop_back();
    return out;
}

inline std::string sha256_hex(std::span<const unsigned char> bytes) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, bytes.data(), bytes.size());
    return hex(digest);
}

}  // namespace tipline::test
