// Signed responder requests, the mailbox name, and the global mailbox throttle.
#include "tipline/crypto/request_auth.hpp"

#include <sodium.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/server/throttle.hpp"

using namespace tipline;

namespace {

crypto::RequestToSign sample(const std::string& method, const std::string& target) {
    crypto::RequestToSign r;
    r.method = method;
    r.target = target;
    const std::string body = "{\"refs\":[1]}";
    r.body_hash = crypto::hash_request_body(
        {reinterpret_cast<const unsigned char*>(body.data()), body.size()});
    r.timestamp = 1800000000;
    r.nonce.fill(0x42);
    return r;
}

}  // namespace

TEST_CASE("a signed request verifies, and changing any signed field breaks it", "[request_auth]") {
    const auto me = crypto::SecretIdentity::generate();
    const std::string post = "POST", target = "/api/v1/responder/bundle";
    const auto request = sample(post, target);
    const auto sig = crypto::sign_request(request, me.sign_secret);
    CHECK(crypto::verify_request(request, me.public_identity.sign, sig));

    const std::string get = "GET", other_target = "/api/v1/responder/ack";
    auto changed = request;
    changed.method = get;
    CHECK_FALSE(crypto::verify_request(changed, me.public_identity.sign, sig));
    changed = request;
    changed.target = other_target;
    CHECK_FALSE(crypto::verify_request(changed, me.public_identity.sign, sig));
    changed = request;
    changed.body_hash[0] ^= 1;
    CHECK_FALSE(crypto::verify_request(changed, me.public_identity.sign, sig));
    changed = request;
    changed.timestamp += 1;
    CHECK_FALSE(crypto::verify_request(changed, me.public_identity.sign, sig));
    changed = request;
    changed.nonce[15] ^= 1;
    CHECK_FALSE(crypto::verify_request(changed, me.public_identity.sign, sig));

    const auto someone_else = crypto::SecretIdentity::generate();
    CHECK_FALSE(crypto::verify_request(request, someone_else.public_identity.sign, sig));
}

TEST_CASE("the signed message is length-prefixed, so fields cannot slide into each other",
          "[request_auth]") {
    const std::string m1 = "GE", t1 = "T/x", m2 = "GET", t2 = "/x";
    CHECK(crypto::request_signing_message(sample(m1, t1)) !=
          crypto::request_signing_message(sample(m2, t2)));
}

TEST_CASE("a sign-only key file signs requests the full key's public half verifies",
          "[request_auth]") {
    const auto me = crypto::SecretIdentity::generate();
    const std::string pass = "correct horse";
    const auto file = crypto::seal_secret_key_file(
        me, crypto::KeyFileContents::sign_only,
        {reinterpret_cast<const unsigned char*>(pass.data()), pass.size()},
        crypto::kdf_interactive());
    crypto::SecretIdentity opened;
    REQUIRE_FALSE(crypto::open_secret_key_file(
        file, {reinterpret_cast<const unsigned char*>(pass.data()), pass.size()}, opened));
    CHECK_FALSE(opened.can_decrypt());
    const std::string post = "POST", target = "/api/v1/responder/ack";
    const auto request = sample(post, target);
    CHECK(crypto::verify_request(request, me.public_identity.sign,
                                 crypto::sign_request(request, opened.sign_secret)));
}

TEST_CASE("the mailbox name depends on the reply key alone", "[receipt]") {
    const auto a = crypto::BoxKeyPair::generate();
    const auto b = crypto::BoxKeyPair::generate();
    CHECK(crypto::mailbox_id(a.public_key) == crypto::mailbox_id(a.public_key));
    CHECK(crypto::mailbox_id(a.public_key) != crypto::mailbox_id(b.public_key));
    // It is not the token's hash, which the server also stores.
    CHECK(crypto::mailbox_id(a.public_key) != crypto::hash_mailbox_token(a.public_key));
}

TEST_CASE("failed mailbox requests use up a global budget that refills over time", "[throttle]") {
    server::TokenBucket throttle(3, 60);  // 3 at once, then one a second
    const auto t0 = server::TokenBucket::Clock::now();
    for (int i = 0; i < 3; ++i) {
        CHECK(throttle.allow_at(t0));
        throttle.take_at(t0);
    }
    CHECK_FALSE(throttle.allow_at(t0));
    CHECK_FALSE(throttle.allow_at(t0 + std::chrono::milliseconds(500)));
    CHECK(throttle.allow_at(t0 + std::chrono::milliseconds(1100)));
    throttle.take_at(t0 + std::chrono::milliseconds(1100));
    CHECK_FALSE(throttle.allow_at(t0 + std::chrono::milliseconds(1200)));
    CHECK(throttle.allow_at(t0 + std::chrono::seconds(60)));
    // The budget never grows past its burst, however long it rests.
    for (int i = 0; i < 3; ++i) throttle.take_at(t0 + std::chrono::hours(1));
    CHECK_FALSE(throttle.allow_at(t0 + std::chrono::hours(1)));
}

TEST_CASE("the examples in FORMAT.md sections 10.4 and 13 hold", "[request_auth][vectors]") {
    const auto hex = [](std::span<const unsigned char> b) { return crypto::to_hex(b); };
    unsigned char seed[32];
    for (int i = 0; i < 32; ++i) seed[i] = static_cast<unsigned char>(i);
    crypto::SignPublicKey pk{};
    crypto::SecretBuffer sk(64);
    crypto_sign_seed_keypair(pk.data(), sk.data(), seed);
    CHECK(hex(pk) == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
    crypto::RequestToSign r;
    r.method = "POST";
    r.target = "/api/v1/responder/ack";
    const std::string body = "{\"refs\":[17],\"delete\":true}";
    r.body_hash = crypto::hash_request_body(
        {reinterpret_cast<const unsigned char*>(body.data()), body.size()});
    r.timestamp = 1800000000;
    for (int i = 0; i < 16; ++i)
        r.nonce[static_cast<std::size_t>(i)] = static_cast<unsigned char>(0xa0 + i);
    CHECK(hex(r.body_hash) == "b9c82412145dacf0eedd88058fbb06cfadd1cd419bd7a898a748baa5f1357248");
    CHECK(hex(crypto::request_signing_message(r)) ==
          "7469706c696e6520726573706f6e64657220726571756573742076310004504f5354000000152f6170692f76"
          "312f726573706f6e6465722f61636bb9c82412145dacf0eedd88058fbb06cfadd1cd419bd7a898a748baa5f1"
          "357248000000006b49d200a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    CHECK(hex(crypto::sign_request(r, sk)) ==
          "629a1a2eba594db77ba4b19df4f35b59f26f89079c1c4f5931cc57fbf35a4da8"
          "d444731b04b82a19a362ea2506e92e720dffd6a9acc91d1e41699b2b5589730a");

    crypto::BoxPublicKey reply{};
    for (int i = 0; i < 32; ++i)
        reply[static_cast<std::size_t>(i)] = static_cast<unsigned char>(0x20 + i);
    CHECK(hex(crypto::mailbox_id(reply)) ==
          "00f447072fdb9d318ee409e675c42874487ae52c82961436fbff4f8300daa38e");
}
