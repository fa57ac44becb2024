// The server's half of proof of work: challenges authenticated under a key that rotates every half
// lifetime, each accepted once, at a difficulty that rises with the rate of solved submissions.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_set>

#include "tipline/crypto/proof_of_work.hpp"
#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::server {

struct PowSettings {
    bool enabled = true;
    unsigned bits = 14;                // normal difficulty: 2^14 hashes expected
    unsigned max_bits = 28;            // never asks more than this
    unsigned target_per_minute = 20;   // solved submissions a minute above which difficulty rises
    unsigned lifetime_s = 600;         // a challenge is accepted for between half this and this
    std::size_t max_spent = 1u << 20;  // spent challenges remembered at once; past it, 503
};

// What a submission's proof amounts to; every verdict but accepted refuses the submission.
// too_weak_for_size: the nonce meets the challenge's bits but not the extra bits the submission's
// size asks for; the challenge is not spent.
enum class PowVerdict {
    accepted,
    missing,
    malformed,
    stale,
    too_weak,
    unsolved,
    too_weak_for_size,
    spent,
    busy
};

class ProofOfWork {
  public:
    using Clock = std::chrono::steady_clock;
    // Spends below this many bits of the current difficulty are still accepted, so a client that
    // was solving while the difficulty rose is not turned away at once.
    static constexpr unsigned grace_bits = 2;
    static constexpr double load_time_constant_s = 60.0;

    explicit ProofOfWork(PowSettings settings, Clock::time_point start = Clock::now());

    bool enabled() const noexcept { return settings_.enabled; }
    unsigned lifetime_s() const noexcept { return settings_.lifetime_s; }

    // A fresh challenge at the current difficulty.
    crypto::PowChallenge issue(Clock::time_point now = Clock::now());
    // Checks a Tipline-Proof header value (empty: none was sent) and, when it is accepted, spends
    // it. extra_bits: what the submission needs beyond the challenge's bits (an upload's size).
    PowVerdict check(std::string_view proof, unsigned extra_bits,
                     Clock::time_point now = Clock::now());
    PowVerdict check(std::string_view proof, Clock::time_point now = Clock::now()) {
        return check(proof, 0, now);
    }
    // The difficulty new challenges get now.
    unsigned required_bits(Clock::time_point now = Clock::now());

  private:
    using Random = std::array<unsigned char, crypto::pow_random_bytes>;
    struct RandomHash {
        std::size_t operator()(const Random& r) const noexcept;
    };
    void advance(Clock::time_point now);  // rotates keys and decays the load; holds mutex_
    unsigned bits_for_load() const noexcept;
    std::array<unsigned char, crypto::pow_mac_bytes> mac(const crypto::SecretBuffer& key,
                                                         const crypto::PowChallenge& c) const;

    PowSettings settings_;
    std::mutex mutex_;
    Clock::time_point start_;
    std::uint64_t epoch_ = 0;
    crypto::SecretBuffer keys_[2];                     // [0] current, [1] previous
    std::unordered_set<Random, RandomHash> spent_[2];  // spent under each key
    double load_ = 0;                                  // solved submissions, decaying
    Clock::time_point load_at_;
};

}  // namespace tipline::server
