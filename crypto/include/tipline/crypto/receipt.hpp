// Witness receipts: 20 random digits that, stretched with Argon2id, give a mailbox token and a
// reply key pair.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::crypto {

inline constexpr std::size_t receipt_digit_count = 20;  // log2(10^20) = 66.4 bits
inline constexpr std::size_t receipt_group_size = 4;
inline constexpr std::size_t deployment_salt_bytes = 16;
inline constexpr std::size_t mailbox_token_bytes = 32;

using DeploymentSalt = std::array<unsigned char, deployment_salt_bytes>;
using MailboxTokenHash = std::array<unsigned char, 32>;
using MailboxId = std::array<unsigned char, 32>;

// 20 uniformly random ASCII digits, in secure memory.
SecretBuffer generate_receipt();

// "1234 5678 9012 3456 7890": the form shown to and written down by the witness.
SecretBuffer format_receipt(std::span<const unsigned char> digits);

// Accepts what a person types: ASCII or full-width digits, with spaces, tabs, hyphens or
// ideographic spaces anywhere. Anything else (a newline too: strip it first), or a digit count
// other than 20, is Error::malformed.
std::error_code parse_receipt(std::string_view typed, SecretBuffer& digits);

struct ReceiptKeys {
    SecretBuffer mailbox_token;  // 32 bytes, shown to the server to read or post to the mailbox
    BoxKeyPair reply;            // replies to the witness are sealed to reply.public_key
};

// How a receipt is stretched (FORMAT.md 10.3). Version 1: Argon2id with 64 MiB and 2 passes,
// 40 s in Tor Browser at "Safer", where JavaScript runs without a JIT. Version 2: 16 MiB and
// 1 pass, 8 times less work, which the receipt's 66 bits can afford. Every new receipt is
// version 2; a receipt is not marked with its version, so opening one tries 2, then 1.
enum class ReceiptKdf : unsigned char { v1 = 1, v2 = 2 };
inline constexpr ReceiptKdf current_receipt_kdf = ReceiptKdf::v2;
// Newest first: the order in which a typed receipt's mailbox is looked for.
inline constexpr ReceiptKdf receipt_kdfs_to_try[] = {ReceiptKdf::v2, ReceiptKdf::v1};

// Argon2id over the 20 ASCII digits with the deployment's salt, then the version's labels.
ReceiptKeys derive_receipt_keys(std::span<const unsigned char> digits, const DeploymentSalt& salt,
                                ReceiptKdf kdf = current_receipt_kdf);

// What the server stores in place of the token.
MailboxTokenHash hash_mailbox_token(std::span<const unsigned char> token);

// The mailbox's public name, from the reply key: the witness derives it from the receipt, and a
// responder from the reply key in the tip, so replies reach the mailbox without the token.
MailboxId mailbox_id(const BoxPublicKey& reply_public_key);

}  // namespace tipline::crypto
