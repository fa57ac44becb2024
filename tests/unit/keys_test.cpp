// Responder identities: public key text, fingerprint, and the passphrase-protected key file.
#include "tipline/crypto/keys.hpp"

#include <sodium.h>

#include <catch2/catch.hpp>
#include <regex>
#include <stdexcept>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"

using namespace tipline::crypto;

namespace {
const KdfLimits fast{1, 1 << 20};
}

TEST_CASE("public key text round-trips and is checked", "[keys]") {
    const auto id = SecretIdentity::generate();
    const std::string text = encode_public_key(id.public_identity);
    CHECK(text.starts_with("tipline-pk1-"));
    CHECK(text.size() == 12 + 91);
    PublicIdentity back;
    REQUIRE_FALSE(decode_public_key(text, back));
    CHECK(back == id.public_identity);

    for (std::size_t i = 12; i < text.size(); ++i) {
        std::string bad = text;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        PublicIdentity ignored;
        INFO("position " << i);
        CHECK(decode_public_key(bad, ignored) == Error::malformed);
    }
    PublicIdentity ignored;
    CHECK(decode_public_key("tipline-pk9-" + text.substr(12), ignored) ==
          Error::unsupported_version);
    CHECK(decode_public_key(text + "\n", ignored) == Error::malformed);
    CHECK(decode_public_key("", ignored) == Error::malformed);
}

TEST_CASE("fingerprint is five groups of five digits and depends on both keys", "[keys]") {
    const auto a = SecretIdentity::generate();
    const std::string fp = fingerprint(a.public_identity);
    CHECK(std::regex_match(fp, std::regex("[0-9]{5}( [0-9]{5}){4}")));
    PublicIdentity changed = a.public_identity;
    changed.sign[0] ^= 1;
    CHECK(fingerprint(changed) != fp);
    changed = a.public_identity;
    changed.box[31] ^= 1;
    CHECK(fingerprint(changed) != fp);
}

TEST_CASE("key file opens with the right passphrase only", "[keys]") {
    const auto id = SecretIdentity::generate();
    const auto file = seal_secret_key_file(id, KeyFileContents::decrypt_and_sign,
                                           as_bytes("right passphrase"), fast);
    CHECK(file.size() == 144);

    SecretIdentity back;
    REQUIRE_FALSE(open_secret_key_file(file, as_bytes("right passphrase"), back));
    CHECK(back.public_identity == id.public_identity);
    REQUIRE(back.can_decrypt());
    CHECK(std::equal(back.box.secret_key.span().begin(), back.box.secret_key.span().end(),
                     id.box.secret_key.span().begin()));

    SecretIdentity wrong;
    CHECK(open_secret_key_file(file, as_bytes("wrong passphrase"), wrong) ==
          Error::authentication_failed);
    CHECK_FALSE(wrong.can_decrypt());
}

TEST_CASE("sign-only key file cannot decrypt but knows the full public identity", "[keys]") {
    const auto id = SecretIdentity::generate();
    const auto file = seal_secret_key_file(id, KeyFileContents::sign_only, as_bytes("pw"), fast);
    SecretIdentity back;
    REQUIRE_FALSE(open_secret_key_file(file, as_bytes("pw"), back));
    CHECK_FALSE(back.can_decrypt());
    CHECK(back.public_identity == id.public_identity);
    CHECK(back.sign_secret.size() == sign_secret_key_bytes);
}

TEST_CASE("key file parser rejects every truncation and altered parameters", "[keys]") {
    const auto id = SecretIdentity::generate();
    const auto file =
        seal_secret_key_file(id, KeyFileContents::decrypt_and_sign, as_bytes("pw"), fast);
    for (std::size_t n = 0; n < file.size(); ++n) {
        SecretIdentity out;
        INFO("length " << n);
        CHECK(open_secret_key_file(std::span(file).first(n), as_bytes("pw"), out) ==
              Error::truncated);
    }
    for (std::size_t i = 0; i < file.size(); ++i) {
        auto bad = file;
        bad[i] ^= 0x01;
        SecretIdentity out;
        INFO("byte " << i);
        CHECK(open_secret_key_file(bad, as_bytes("pw"), out));
        CHECK_FALSE(out.can_decrypt());
    }
}

TEST_CASE("key file writer refuses what a reader would refuse", "[keys]") {
    const auto id = SecretIdentity::generate();
    CHECK_THROWS_AS(seal_secret_key_file(id, KeyFileContents::decrypt_and_sign, as_bytes("pw"),
                                         KdfLimits{0, 1 << 20}),
                    std::invalid_argument);
    CHECK_THROWS_AS(seal_secret_key_file(id, KeyFileContents::decrypt_and_sign, as_bytes("pw"),
                                         KdfLimits{1, 1000}),
                    std::invalid_argument);
    SecretIdentity sign_only;
    const auto file = seal_secret_key_file(id, KeyFileContents::sign_only, as_bytes("pw"), fast);
    REQUIRE_FALSE(open_secret_key_file(file, as_bytes("pw"), sign_only));
    CHECK_THROWS_AS(
        seal_secret_key_file(sign_only, KeyFileContents::decrypt_and_sign, as_bytes("pw"), fast),
        std::invalid_argument);
}

TEST_CASE("damaged and foreign public key prefixes are told apart", "[keys]") {
    const std::string body =
        encode_public_key(SecretIdentity::generate().public_identity).substr(12);
    PublicIdentity ignored;
    CHECK(decode_public_key("tipline-pk12-" + body, ignored) == Error::unsupported_version);
    CHECK(decode_public_key("tipline-pk1" + body, ignored) == Error::malformed);
    CHECK(decode_public_key("tipline-pk-" + body, ignored) == Error::malformed);
    CHECK(decode_public_key("tipline-pk", ignored) == Error::malformed);
}

TEST_CASE("a key of small order is refused: nothing sealed to it could be opened", "[keys]") {
    const auto id = SecretIdentity::generate();
    CHECK_FALSE(is_low_order(id.public_identity.box));
    PublicIdentity zero = id.public_identity;
    zero.box = {};
    CHECK(is_low_order(zero.box));
    PublicIdentity back;
    CHECK(decode_public_key(encode_public_key(zero), back) == Error::malformed);
    // The writer cannot seal to one either: the same test, from libsodium's side.
    std::array<unsigned char, 80> stanza{};
    const std::array<unsigned char, 32> file_key{};
    CHECK(crypto_box_seal(stanza.data(), file_key.data(), file_key.size(), zero.box.data()) != 0);
}
