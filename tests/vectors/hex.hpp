// Hex and SHA-256 helpers shared by the vector generator and the vector walker.
#pragma once

#include <sodium.h>

#include <span>
#include <string>

#include "tipline/crypto/bytes.hpp"

namespace tipline::test {

inline std::string hex(std::span<const unsigned char> bytes) { return crypto::to_hex(bytes); }

inline std::string sha256_hex(std::span<const unsigned char> bytes) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, bytes.data(), bytes.size());
    return hex(digest);
}

}  // namespace tipline::test
