// Ed25519 over a length-prefixed encoding of method, target, body hash, time and nonce.
#include "tipline/crypto/request_auth.hpp"

#include <sodium.h>

#include <stdexcept>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/labels.hpp"

namespace tipline::crypto {

BodyHash hash_request_body(std::span<const unsigned char> body) {
    BodyHash out{};
    crypto_generichash(out.data(), out.size(), body.data(), body.size(), nullptr, 0);
    return out;
}

std::vector<unsigned char> request_signing_message(const RequestToSign& r) {
    if (r.method.size() > 0xFFFF || r.target.size() > 0xFFFFFFFFu)
        throw std::invalid_argument("request too large to sign");
    std::vector<unsigned char> m;
    m.reserve(labels::request_signature_label.size() + 2 + r.method.size() + 4 + r.target.size() +
              32 + 8 + 16);
    put_bytes(m, labels::request_signature_label);
    put_u16(m, static_cast<std::uint16_t>(r.method.size()));
    put_bytes(m, r.method);
    put_u32(m, static_cast<std::uint32_t>(r.target.size()));
    put_bytes(m, r.target);
    put_bytes(m, r.body_hash);
    put_u64(m, r.timestamp);
    put_bytes(m, r.nonce);
    return m;
}

RequestSignature sign_request(const RequestToSign& request, const SecretBuffer& sign_secret) {
    if (sign_secret.size() != crypto_sign_SECRETKEYBYTES)
        throw std::invalid_argument("not an Ed25519 secret key");
    const auto message = request_signing_message(request);
    RequestSignature sig{};
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sign_secret.data());
    return sig;
}

bool verify_request(const RequestToSign& request, const SignPublicKey& key,
                    const RequestSignature& signature) {
    const auto message = request_signing_message(request);
    return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                       key.data()) == 0;
}

}  // namespace tipline::crypto
