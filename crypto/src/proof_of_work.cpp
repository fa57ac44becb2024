// Hashcash over BLAKE2b: one compression per try, so a browser with libsodium's WebAssembly build
// pays about the same per try as a native client; only the number of tries sets the cost.
#include "tipline/crypto/proof_of_work.hpp"

#include <sodium.h>

#include <bit>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labels.hpp"

namespace tipline::crypto {
namespace {

constexpr std::size_t pow_input_bytes = labels::pow_label.size() + pow_challenge_bytes + 8;
constexpr std::uint64_t tries_per_report = 1u << 16;

unsigned leading_zero_bits(std::span<const unsigned char> hash) {
    unsigned bits = 0;
    for (const unsigned char b : hash) {
        if (b != 0) return bits + static_cast<unsigned>(std::countl_zero(b));
        bits += 8;
    }
    return bits;
}

std::array<unsigned char, pow_input_bytes> pow_input(const PowChallenge& challenge) {
    std::array<unsigned char, pow_input_bytes> in{};
    std::copy(labels::pow_label.begin(), labels::pow_label.end(), in.begin());
    std::copy(challenge.begin(), challenge.end(), in.begin() + labels::pow_label.size());
    return in;
}

unsigned zero_bits_of(std::array<unsigned char, pow_input_bytes>& in, std::uint64_t nonce) {
    store_u64(std::span<unsigned char, 8>(in.data() + in.size() - 8, 8), nonce);
    std::array<unsigned char, 32> hash{};
    crypto_generichash(hash.data(), hash.size(), in.data(), in.size(), nullptr, 0);
    return leading_zero_bits(hash);
}

}  // namespace

unsigned pow_zero_bits(const PowChallenge& challenge, std::uint64_t nonce) {
    auto in = pow_input(challenge);
    return zero_bits_of(in, nonce);
}

std::optional<std::uint64_t> pow_solve(const PowChallenge& challenge, std::uint64_t start,
                                       const std::function<bool(std::uint64_t)>& keep_going,
                                       unsigned extra_bits) {
    auto in = pow_input(challenge);
    const unsigned bits = pow_bits(challenge) + extra_bits;
    std::uint64_t tries = 0;
    for (std::uint64_t nonce = start;; ++nonce) {
        if (zero_bits_of(in, nonce) >= bits) return nonce;
        if (++tries % tries_per_report == 0 && keep_going && !keep_going(tries))
            return std::nullopt;
    }
}

std::string pow_proof_text(const PowChallenge& challenge, std::uint64_t nonce) {
    std::array<unsigned char, 8> n{};
    store_u64(n, nonce);
    return to_hex(challenge) + "." + to_hex(n);
}

std::error_code parse_pow_challenge(std::string_view hex, PowChallenge& out) {
    PowChallenge c{};
    if (hex.size() != 2 * c.size() || !from_hex(hex, c)) return Error::malformed;
    if (c[0] != pow_version) return Error::unsupported_version;
    if (c[1] > pow_max_bits) return Error::malformed;
    out = c;
    return {};
}

std::error_code parse_pow_proof(std::string_view text, PowProof& out) {
    const std::size_t dot = 2 * pow_challenge_bytes;
    std::array<unsigned char, 8> n{};
    if (text.size() != dot + 1 + 2 * n.size() || text[dot] != '.' ||
        !from_hex(text.substr(dot + 1), n)) {
        return Error::malformed;
    }
    PowProof p;
    if (auto ec = parse_pow_challenge(text.substr(0, dot), p.challenge)) return ec;
    p.nonce = get_u64(n);
    out = p;
    return {};
}

std::optional<PowChallenge> parse_pow_challenge(std::string_view hex) {
    PowChallenge c{};
    if (parse_pow_challenge(hex, c)) return std::nullopt;
    return c;
}

std::optional<PowProof> parse_pow_proof(std::string_view text) {
    PowProof p;
    if (parse_pow_proof(text, p)) return std::nullopt;
    return p;
}

std::error_code check_pow_work(const PowProof& proof, unsigned extra_bits) {
    if (pow_zero_bits(proof.challenge, proof.nonce) < pow_bits(proof.challenge) + extra_bits)
        return Error::authentication_failed;
    return {};
}

unsigned pow_size_extra_bits(std::uint64_t length, std::uint64_t base_bytes) {
    unsigned extra = 0;
    if (base_bytes == 0) return 0;
    // Doubling the base, not halving the length, so that no rounding hides a byte.
    for (std::uint64_t covered = base_bytes; covered < length; covered <<= 1) {
        ++extra;
        if (covered > (UINT64_MAX >> 1)) break;
    }
    return extra;
}

}  // namespace tipline::crypto
