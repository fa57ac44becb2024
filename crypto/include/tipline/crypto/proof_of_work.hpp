// Proof of work on submission (FORMAT.md section "Proof of work"): the challenge layout, the hash a
// solution must meet, and a solver. The server side (issuing, spending, difficulty) is in
// tipline::server.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace tipline::crypto {

inline constexpr std::uint8_t pow_version = 1;
inline constexpr std::size_t pow_random_bytes = 16;
inline constexpr std::size_t pow_mac_bytes = 16;
// version (1) || bits (1) || random (16) || mac (16)
inline constexpr std::size_t pow_challenge_bytes = 2 + pow_random_bytes + pow_mac_bytes;
inline constexpr unsigned pow_max_bits = 40;  // beyond any sensible difficulty; larger is malformed

using PowChallenge = std::array<unsigned char, pow_challenge_bytes>;

// Leading zero bits of BLAKE2b-256(label || challenge || nonce as 8 bytes big-endian).
unsigned pow_zero_bits(const PowChallenge& challenge, std::uint64_t nonce);

// The difficulty a challenge states (its second byte).
inline unsigned pow_bits(const PowChallenge& challenge) { return challenge[1]; }

// A nonce that meets the challenge's own difficulty plus extra_bits, trying nonces upward from
// start. keep_going is asked after every 65536 tries with the count so far; returning false gives
// up (nullopt).
std::optional<std::uint64_t> pow_solve(
    const PowChallenge& challenge, std::uint64_t start = 0,
    const std::function<bool(std::uint64_t tries)>& keep_going = {}, unsigned extra_bits = 0);

// The bits a submission of length bytes (a tip's or follow-up's body, an upload's declared length)
// needs beyond its challenge's (FORMAT.md 16.4): none up to base_bytes, then one for each doubling
// past it. base_bytes 0: none ever.
unsigned pow_size_extra_bits(std::uint64_t length, std::uint64_t base_bytes);

// The Tipline-Proof header value: 68 hex digits of challenge, '.', 16 hex digits of nonce.
std::string pow_proof_text(const PowChallenge& challenge, std::uint64_t nonce);
struct PowProof {
    PowChallenge challenge{};
    std::uint64_t nonce = 0;
};
// Strict, in the order of FORMAT.md 16.3: exactly that form in lowercase hex (malformed), version 1
// (unsupported_version), bits at most pow_max_bits (malformed). It does not check the work.
std::error_code parse_pow_proof(std::string_view text, PowProof& out);
// A challenge as the server sends it: 68 lowercase hex digits, under the same checks.
std::error_code parse_pow_challenge(std::string_view hex, PowChallenge& out);
// The same, for callers that need only whether it parsed.
std::optional<PowProof> parse_pow_proof(std::string_view text);
std::optional<PowChallenge> parse_pow_challenge(std::string_view hex);
// A parsed proof whose nonce meets its challenge's bits plus extra_bits; authentication_failed when
// it does not.
std::error_code check_pow_work(const PowProof& proof, unsigned extra_bits = 0);

}  // namespace tipline::crypto
