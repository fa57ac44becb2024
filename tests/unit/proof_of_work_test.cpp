// Proof of work: the hash and its text forms, and the server's challenges, spending and difficulty.
#include "tipline/crypto/proof_of_work.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/server/proof_of_work.hpp"

using namespace tipline;
using server::PowVerdict;
using Clock = server::ProofOfWork::Clock;
using namespace std::chrono_literals;

namespace {

std::string solved(const crypto::PowChallenge& c) {
    return crypto::pow_proof_text(c, *crypto::pow_solve(c));
}

}  // namespace

TEST_CASE("a solved nonce has the leading zero bits the challenge states", "[pow]") {
    crypto::PowChallenge c{};
    c[0] = crypto::pow_version;
    c[1] = 12;
    const auto nonce = crypto::pow_solve(c, 1000);
    REQUIRE(nonce);
    CHECK(*nonce >= 1000);
    CHECK(crypto::pow_zero_bits(c, *nonce) >= 12);
    // The nonce belongs to this challenge: another challenge almost never accepts it.
    crypto::PowChallenge other = c;
    other[5] ^= 1;
    CHECK(crypto::pow_zero_bits(other, *nonce) < 12);
    // The solver gives up when told to.
    c[1] = 40;
    CHECK_FALSE(crypto::pow_solve(c, 0, [](std::uint64_t tries) { return tries < (1u << 17); }));
}

TEST_CASE("proof and challenge texts are parsed strictly", "[pow]") {
    crypto::PowChallenge c{};
    c[0] = crypto::pow_version;
    c[1] = 18;
    c[10] = 0xab;
    const std::string text = crypto::pow_proof_text(c, 0x0102030405060708ull);
    CHECK(text.size() == 68 + 1 + 16);
    CHECK(text.substr(69) == "0102030405060708");
    const auto back = crypto::parse_pow_proof(text);
    REQUIRE(back);
    CHECK(back->challenge == c);
    CHECK(back->nonce == 0x0102030405060708ull);

    std::string upper = text;
    upper[20] = 'A';
    upper[21] = 'B';
    CHECK_FALSE(crypto::parse_pow_proof(upper));
    CHECK_FALSE(crypto::parse_pow_proof(text.substr(0, text.size() - 1)));
    CHECK_FALSE(crypto::parse_pow_proof(text + "0"));
    std::string comma = text;
    comma[68] = ',';
    CHECK_FALSE(crypto::parse_pow_proof(comma));
    crypto::PowChallenge v2 = c;
    v2[0] = 2;
    CHECK_FALSE(crypto::parse_pow_proof(crypto::pow_proof_text(v2, 1)));
    crypto::PowChallenge huge = c;
    huge[1] = crypto::pow_max_bits + 1;
    CHECK_FALSE(crypto::parse_pow_challenge(crypto::to_hex(huge)));
    CHECK(crypto::parse_pow_challenge(crypto::to_hex(c)) == c);
}

TEST_CASE("the server accepts each of its challenges once, solved, and nothing else", "[pow]") {
    const auto t0 = Clock::now();
    server::ProofOfWork pow(
        {.bits = 10, .max_bits = 20, .target_per_minute = 1000, .lifetime_s = 600}, t0);
    const auto c = pow.issue(t0);
    CHECK(c[0] == crypto::pow_version);
    CHECK(crypto::pow_bits(c) == 10);

    CHECK(pow.check("", t0) == PowVerdict::missing);
    CHECK(pow.check("not a proof", t0) == PowVerdict::malformed);
    CHECK(pow.check(crypto::pow_proof_text(c, test::unsolved_nonce(c)), t0) ==
          PowVerdict::unsolved);
    const std::string proof = solved(c);
    CHECK(pow.check(proof, t0) == PowVerdict::accepted);
    CHECK(pow.check(proof, t0 + 1s) == PowVerdict::spent);

    // A challenge the server did not issue: changed bits, or made up, fails its authentication.
    crypto::PowChallenge easier = pow.issue(t0);
    easier[1] = 1;
    CHECK(pow.check(solved(easier), t0) == PowVerdict::stale);
    server::ProofOfWork elsewhere({.bits = 10}, t0);
    CHECK(pow.check(solved(elsewhere.issue(t0)), t0) == PowVerdict::stale);
}

TEST_CASE("an upload's proof needs a bit more for each doubling past the base size", "[pow]") {
    constexpr std::uint64_t base = 16ull << 20;
    // The examples of FORMAT.md 16.4.
    for (const auto& [length, bits] :
         std::vector<std::pair<std::uint64_t, unsigned>>{{0, 0},
                                                         {1, 0},
                                                         {base, 0},
                                                         {base + 1, 1},
                                                         {2 * base, 1},
                                                         {2 * base + 1, 2},
                                                         {512ull << 20, 5},
                                                         {(512ull << 20) + 1, 6}}) {
        INFO(length);
        CHECK(crypto::pow_size_extra_bits(length, base) == bits);
    }
    CHECK(crypto::pow_size_extra_bits(1ull << 40, 0) == 0);
    CHECK(crypto::pow_size_extra_bits(UINT64_MAX, 1) == 64);

    const auto t0 = Clock::now();
    server::ProofOfWork pow({.bits = 8, .max_bits = 20, .target_per_minute = 1000}, t0);
    const auto c = pow.issue(t0);
    // A nonce that meets the challenge's 8 bits but not 8 + 3.
    std::uint64_t nonce = 0;
    while (crypto::pow_zero_bits(c, nonce) < 8 || crypto::pow_zero_bits(c, nonce) >= 11) ++nonce;
    const std::string weak = crypto::pow_proof_text(c, nonce);
    CHECK(pow.check(weak, 3, t0) == PowVerdict::too_weak_for_size);
    // Not spent by the refusal: the same proof still serves a submission that asks less.
    CHECK(pow.check(weak, 0, t0) == PowVerdict::accepted);
    const auto c2 = pow.issue(t0);
    const std::string strong = crypto::pow_proof_text(c2, *crypto::pow_solve(c2, 0, {}, 3));
    CHECK(crypto::pow_zero_bits(c2, crypto::parse_pow_proof(strong)->nonce) >= 11);
    CHECK(pow.check(strong, 3, t0) == PowVerdict::accepted);
}

TEST_CASE("a challenge is good for at least half its lifetime and at most all of it", "[pow]") {
    const auto t0 = Clock::now();
    server::ProofOfWork pow({.bits = 4, .lifetime_s = 600}, t0);
    const auto early = pow.issue(t0);
    const auto late = pow.issue(t0 + 299s);
    const auto late_too = pow.issue(t0 + 299s);
    CHECK(pow.check(solved(early), t0 + 599s) ==
          PowVerdict::accepted);                                        // 599 s after it was issued
    CHECK(pow.check(solved(late), t0 + 599s) == PowVerdict::accepted);  // 300 s
    CHECK(pow.check(solved(late_too), t0 + 600s) ==
          PowVerdict::stale);  // 301 s, but its key is gone

    // A spent challenge stays spent for as long as it is valid, across a key rotation.
    const auto twice = pow.issue(t0 + 601s);
    const std::string proof = solved(twice);
    CHECK(pow.check(proof, t0 + 602s) == PowVerdict::accepted);
    CHECK(pow.check(proof, t0 + 950s) == PowVerdict::spent);
    CHECK(pow.check(proof, t0 + 1200s) == PowVerdict::stale);
}

TEST_CASE("difficulty rises with a flood of solved submissions and falls back after it", "[pow]") {
    const auto t0 = Clock::now();
    server::ProofOfWork pow({.bits = 4, .max_bits = 9, .target_per_minute = 10, .lifetime_s = 600},
                            t0);
    CHECK(pow.required_bits(t0) == 4);
    const auto before_flood = pow.issue(t0);

    // 200 solved submissions within a few seconds: 20 times the target, so 5 more bits, capped
    // at 9.
    auto now = t0;
    for (int i = 0; i < 200; ++i) {
        now += 10ms;
        REQUIRE(pow.check(solved(pow.issue(now)), now) == PowVerdict::accepted);
    }
    CHECK(pow.required_bits(now) == 9);
    CHECK(crypto::pow_bits(pow.issue(now)) == 9);
    // A proof at the old difficulty is too weak now; within the grace it would still count.
    CHECK(pow.check(solved(before_flood), now) == PowVerdict::too_weak);

    // When the flood stops, the load decays with a time constant of a minute.
    CHECK(pow.required_bits(now + 60s) > 4);
    CHECK(pow.required_bits(now + 60s) < 9);
    CHECK(pow.required_bits(now + 300s) == 4);
}

TEST_CASE("a proof solved while the difficulty rose by at most the grace is still accepted",
          "[pow]") {
    const auto t0 = Clock::now();
    server::ProofOfWork pow({.bits = 4, .max_bits = 12, .target_per_minute = 10}, t0);
    const auto before = pow.issue(t0);
    auto now = t0;
    for (int i = 0; i < 30; ++i) {  // 3 times the target: 2 more bits
        now += 10ms;
        REQUIRE(pow.check(solved(pow.issue(now)), now) == PowVerdict::accepted);
    }
    CHECK(pow.required_bits(now) == 4 + server::ProofOfWork::grace_bits);
    CHECK(pow.check(solved(before), now) == PowVerdict::accepted);
}

TEST_CASE("past the most spent challenges it remembers, the server refuses as busy", "[pow]") {
    const auto t0 = Clock::now();
    server::ProofOfWork pow({.bits = 1, .target_per_minute = 1000000, .max_spent = 3}, t0);
    for (int i = 0; i < 3; ++i) CHECK(pow.check(solved(pow.issue(t0)), t0) == PowVerdict::accepted);
    CHECK(pow.check(solved(pow.issue(t0)), t0) == PowVerdict::busy);
    // Once the oldest key is gone, so is what was spent under it.
    CHECK(pow.check(solved(pow.issue(t0 + 600s)), t0 + 600s) == PowVerdict::accepted);
}

TEST_CASE("a disabled proof of work says so", "[pow]") {
    server::ProofOfWork pow({.enabled = false});
    CHECK_FALSE(pow.enabled());
}
