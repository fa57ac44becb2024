// Receipts: generation, the typed form, and key derivation (pinned further by
// tests/vectors/receipt_*).
#include "tipline/crypto/receipt.hpp"

#include <sodium.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tipline/crypto/errors.hpp"

using namespace tipline::crypto;

namespace {
std::string text(const SecretBuffer& b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}
}  // namespace

TEST_CASE("receipts are twenty digits shown in groups of four", "[receipt]") {
    const SecretBuffer digits = generate_receipt();
    REQUIRE(digits.size() == 20);
    for (unsigned char c : digits.span()) CHECK((c >= '0' && c <= '9'));
    const std::string shown = text(format_receipt(digits.span()));
    CHECK(shown.size() == 24);
    CHECK(shown[4] == ' ');
    CHECK(shown[19] == ' ');

    SecretBuffer parsed;
    REQUIRE_FALSE(parse_receipt(shown, parsed));
    CHECK(text(parsed) == text(digits));
}

TEST_CASE("receipts differ from one another", "[receipt]") {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) seen.insert(text(generate_receipt()));
    CHECK(seen.size() == 200);
}

TEST_CASE("typed receipts are normalised or rejected", "[receipt]") {
    SecretBuffer d;
    REQUIRE_FALSE(parse_receipt("1234-5678-9012-3456-7890", d));
    CHECK(text(d) == "12345678901234567890");
    REQUIRE_FALSE(
        parse_receipt("\xEF\xBC\x91"
                      "234 5678 9012 3456 7890",
                      d));  // full-width 1
    CHECK(text(d) == "12345678901234567890");
    REQUIRE_FALSE(
        parse_receipt("1234\xE3\x80\x80"
                      "5678 9012 3456 7890",
                      d));  // ideographic space
    CHECK(parse_receipt("1234 5678 9012 3456 789", d) == Error::malformed);
    CHECK(parse_receipt("1234 5678 9012 3456 78901", d) == Error::malformed);
    CHECK(parse_receipt("1234 5678 9012 3456 789O", d) == Error::malformed);
    CHECK(parse_receipt("\xFF", d) == Error::malformed);
}

TEST_CASE("derivation is deterministic and separates receipts and salts", "[receipt]") {
    const SecretBuffer digits = generate_receipt();
    DeploymentSalt salt{};
    salt[0] = 1;
    const auto a = derive_receipt_keys(digits.span(), salt);
    const auto b = derive_receipt_keys(digits.span(), salt);
    CHECK(text(a.mailbox_token) == text(b.mailbox_token));
    CHECK(a.reply.public_key == b.reply.public_key);
    CHECK(a.mailbox_token.size() == mailbox_token_bytes);

    salt[0] = 2;
    const auto c = derive_receipt_keys(digits.span(), salt);
    CHECK(text(a.mailbox_token) != text(c.mailbox_token));
    CHECK(a.reply.public_key != c.reply.public_key);
    CHECK(hash_mailbox_token(a.mailbox_token.span()) != hash_mailbox_token(c.mailbox_token.span()));
}

namespace {

// The derivation of FORMAT.md 10.3 written out with libsodium alone: the seed, then the token.
std::string token_as_specified(const SecretBuffer& digits, const DeploymentSalt& salt,
                               unsigned long long opslimit, std::size_t memlimit,
                               std::string_view label) {
    unsigned char seed[64];
    REQUIRE(crypto_pwhash(seed, sizeof seed, reinterpret_cast<const char*>(digits.data()),
                          digits.size(), salt.data(), opslimit, memlimit,
                          crypto_pwhash_ALG_ARGON2ID13) == 0);
    unsigned char token[32];
    crypto_generichash(token, sizeof token, reinterpret_cast<const unsigned char*>(label.data()),
                       label.size(), seed, sizeof seed);
    return std::string(reinterpret_cast<const char*>(token), sizeof token);
}

}  // namespace

TEST_CASE("receipt versions 1 and 2 stretch as the format fixes them, and differ", "[receipt]") {
    const SecretBuffer digits = generate_receipt();
    DeploymentSalt salt{};
    salt[3] = 7;
    const auto v1 = derive_receipt_keys(digits.span(), salt, ReceiptKdf::v1);
    const auto v2 = derive_receipt_keys(digits.span(), salt, ReceiptKdf::v2);
    CHECK(text(v1.mailbox_token) ==
          token_as_specified(digits, salt, 2, 67108864, "tipline receipt v1 mailbox token"));
    CHECK(text(v2.mailbox_token) ==
          token_as_specified(digits, salt, 1, 16777216, "tipline receipt v2 mailbox token"));
    CHECK(text(derive_receipt_keys(digits.span(), salt).mailbox_token) == text(v2.mailbox_token));
    CHECK(v1.reply.public_key != v2.reply.public_key);
    CHECK(mailbox_id(v1.reply.public_key) != mailbox_id(v2.reply.public_key));
}
