// Signed responder API requests: what is signed, and how it is signed and checked (FORMAT.md
// section 13).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::crypto {

inline constexpr std::size_t request_nonce_bytes = 16;
inline constexpr std::size_t request_signature_bytes = 64;

using RequestNonce = std::array<unsigned char, request_nonce_bytes>;
using RequestSignature = std::array<unsigned char, request_signature_bytes>;
using BodyHash = std::array<unsigned char, 32>;

// What one request's signature covers.
struct RequestToSign {
    std::string_view method;      // "GET", "POST"
    std::string_view target;      // the request target exactly as sent: path and query
    BodyHash body_hash{};         // BLAKE2b-256 of the body; of zero bytes when there is none
    std::uint64_t timestamp = 0;  // seconds since the Unix epoch
    RequestNonce nonce{};
};

BodyHash hash_request_body(std::span<const unsigned char> body);

// The exact bytes signed: the label, then each field length-prefixed or fixed-size.
std::vector<unsigned char> request_signing_message(const RequestToSign& request);

// sign_secret is the 64-byte Ed25519 secret key of a SecretIdentity.
RequestSignature sign_request(const RequestToSign& request, const SecretBuffer& sign_secret);
bool verify_request(const RequestToSign& request, const SignPublicKey& key,
                    const RequestSignature& signature);

}  // namespace tipline::crypto
