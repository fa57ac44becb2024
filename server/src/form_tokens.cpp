#include "tipline/server/form_tokens.hpp"

#include <sodium.h>

#include <array>
#include <cstring>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/server/store.hpp"

namespace tipline::server {
namespace {

constexpr std::size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t plain_bytes =
    crypto::receipt_digit_count + 8;  // digits, then the day (u64, little-endian)
constexpr std::size_t token_bytes =
    nonce_bytes + plain_bytes + crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::string_view label = "tipline web form token v1";  // associated data

}  // namespace

FormTokens::FormTokens() : key_(crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    crypto_aead_xchacha20poly1305_ietf_keygen(key_.data());
}

std::string FormTokens::issue() const {
    crypto::SecretBuffer plain(plain_bytes);
    const crypto::SecretBuffer digits = crypto::generate_receipt();
    std::memcpy(plain.data(), digits.data(), crypto::receipt_digit_count);
    const auto day = static_cast<std::uint64_t>(current_day());
    for (std::size_t i = 0; i < 8; ++i)
        plain.data()[crypto::receipt_digit_count + i] = static_cast<unsigned char>(day >> (8 * i));
    std::array<unsigned char, token_bytes> token{};
    randombytes_buf(token.data(), nonce_bytes);
    crypto_aead_xchacha20poly1305_ietf_encrypt(token.data() + nonce_bytes, nullptr, plain.data(),
                                               plain.size(),
                                               reinterpret_cast<const unsigned char*>(label.data()),
                                               label.size(), nullptr, token.data(), key_.data());
    return crypto::to_hex(token);
}

std::optional<crypto::SecretBuffer> FormTokens::redeem(std::string_view text) const {
    std::array<unsigned char, token_bytes> token{};
    if (text.size() != 2 * token_bytes || !crypto::from_hex(text, token)) return std::nullopt;
    crypto::SecretBuffer plain(plain_bytes);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain.data(), nullptr, nullptr, token.data() + nonce_bytes, token_bytes - nonce_bytes,
            reinterpret_cast<const unsigned char*>(label.data()), label.size(), token.data(),
            key_.data()) != 0) {
        return std::nullopt;
    }
    std::uint64_t day = 0;
    for (std::size_t i = 0; i < 8; ++i)
        day |= static_cast<std::uint64_t>(plain.data()[crypto::receipt_digit_count + i]) << (8 * i);
    const auto today = static_cast<std::uint64_t>(current_day());
    if (day > today || today - day > 1) return std::nullopt;
    return crypto::SecretBuffer::copy_of(plain.span().first(crypto::receipt_digit_count));
}

}  // namespace tipline::server
