// Receipt generation, parsing and key derivation.
#include "tipline/crypto/receipt.hpp"

#include <sodium.h>

#include <new>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labelled_hash.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/typed_digits.hpp"

namespace tipline::crypto {
namespace {

constexpr std::size_t receipt_seed_bytes = 64;

SecretBuffer keyed_label_hash(const SecretBuffer& key, std::string_view label) {
    SecretBuffer out(32);
    crypto_generichash(out.data(), out.size(), as_bytes(label).data(), label.size(), key.data(),
                       key.size());
    return out;
}

}  // namespace

SecretBuffer generate_receipt() {
    ensure_sodium();
    SecretBuffer digits(receipt_digit_count);
    for (unsigned char& d : digits.span())
        d = static_cast<unsigned char>('0' + randombytes_uniform(10));
    return digits;
}

SecretBuffer format_receipt(std::span<const unsigned char> digits) {
    const std::size_t groups = (digits.size() + receipt_group_size - 1) / receipt_group_size;
    SecretBuffer out(digits.size() + (groups > 0 ? groups - 1 : 0));
    std::size_t at = 0;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && i % receipt_group_size == 0) out.data()[at++] = ' ';
        out.data()[at++] = digits[i];
    }
    return out;
}

std::error_code parse_receipt(std::string_view typed, SecretBuffer& digits) {
    SecretBuffer out(receipt_digit_count);
    if (!read_typed_digits(typed, DigitSeparators::receipt, out.span())) return Error::malformed;
    digits = std::move(out);
    return {};
}

ReceiptKeys derive_receipt_keys(std::span<const unsigned char> digits, const DeploymentSalt& salt,
                                ReceiptKdf kdf) {
    ensure_sodium();
    static_assert(deployment_salt_bytes == crypto_pwhash_SALTBYTES);
    const bool v1 = kdf == ReceiptKdf::v1;
    // Version 1 is libsodium's INTERACTIVE pair; both pairs are fixed by the format, whatever
    // libsodium's constants become.
    const unsigned long long opslimit = v1 ? 2 : 1;
    const std::size_t memlimit = v1 ? std::size_t{64} << 20 : std::size_t{16} << 20;
    SecretBuffer seed(receipt_seed_bytes);
    if (crypto_pwhash(seed.data(), seed.size(), reinterpret_cast<const char*>(digits.data()),
                      digits.size(), salt.data(), opslimit, memlimit,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::bad_alloc();
    }
    ReceiptKeys keys;
    keys.mailbox_token =
        keyed_label_hash(seed, v1 ? labels::mailbox_token_label : labels::mailbox_token_v2_label);
    const SecretBuffer reply_seed =
        keyed_label_hash(seed, v1 ? labels::reply_key_label : labels::reply_key_v2_label);
    keys.reply = BoxKeyPair::from_seed(reply_seed.span().first<32>());
    return keys;
}

MailboxTokenHash hash_mailbox_token(std::span<const unsigned char> token) {
    return labelled_hash(labels::mailbox_token_hash_label, {token});
}

MailboxId mailbox_id(const BoxPublicKey& reply_public_key) {
    return labelled_hash(labels::mailbox_id_label, {reply_public_key});
}

}  // namespace tipline::crypto
