// Challenges carry no time: a challenge is fresh while the key that authenticated it is one of the
// two kept, so the server stores nothing per challenge until one is spent.
#include "tipline/server/proof_of_work.hpp"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tipline/crypto/labels.hpp"

namespace tipline::server {
namespace {

crypto::SecretBuffer fresh_key() {
    crypto::SecretBuffer key(crypto_generichash_KEYBYTES);
    randombytes_buf(key.data(), key.size());
    return key;
}

}  // namespace

std::size_t ProofOfWork::RandomHash::operator()(const Random& r) const noexcept {
    std::size_t h = 0;
    std::memcpy(&h, r.data(), sizeof h);  // the bytes are random already
    return h;
}

ProofOfWork::ProofOfWork(PowSettings settings, Clock::time_point start)
    : settings_(settings), start_(start), load_at_(start) {
    crypto::ensure_sodium();
    settings_.lifetime_s = std::max(2u, settings_.lifetime_s);
    settings_.max_bits = std::clamp(settings_.max_bits, settings_.bits, crypto::pow_max_bits);
    keys_[0] = fresh_key();
    keys_[1] = fresh_key();
}

void ProofOfWork::advance(Clock::time_point now) {
    const auto half = std::chrono::seconds(settings_.lifetime_s / 2);
    const auto epoch = now > start_ ? static_cast<std::uint64_t>((now - start_) / half) : 0;
    if (epoch > epoch_) {
        if (epoch == epoch_ + 1) {
            keys_[1] = std::move(keys_[0]);
            spent_[1] = std::move(spent_[0]);
        } else {
            keys_[1] = fresh_key();
            spent_[1].clear();
        }
        keys_[0] = fresh_key();
        spent_[0].clear();
        epoch_ = epoch;
    }
    if (now > load_at_) {
        load_ *=
            std::exp(-std::chrono::duration<double>(now - load_at_).count() / load_time_constant_s);
        load_at_ = now;
    }
}

unsigned ProofOfWork::bits_for_load() const noexcept {
    // load approximates solved submissions in the last minute; each doubling past the target adds a
    // bit.
    const double target = std::max(1u, settings_.target_per_minute);
    unsigned extra = 0;
    if (load_ > target) extra = static_cast<unsigned>(std::ceil(std::log2(load_ / target)));
    return std::min(settings_.max_bits, settings_.bits + extra);
}

std::array<unsigned char, crypto::pow_mac_bytes> ProofOfWork::mac(
    const crypto::SecretBuffer& key, const crypto::PowChallenge& c) const {
    std::array<unsigned char, crypto::pow_mac_bytes> out{};
    crypto_generichash_state st;
    crypto_generichash_init(&st, key.data(), key.size(), out.size());
    const auto& label = crypto::labels::pow_challenge_mac_label;
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(label.data()),
                              label.size());
    crypto_generichash_update(&st, c.data(), c.size() - crypto::pow_mac_bytes);
    crypto_generichash_final(&st, out.data(), out.size());
    return out;
}

unsigned ProofOfWork::required_bits(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    advance(now);
    return bits_for_load();
}

crypto::PowChallenge ProofOfWork::issue(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    advance(now);
    crypto::PowChallenge c{};
    c[0] = crypto::pow_version;
    c[1] = static_cast<unsigned char>(bits_for_load());
    randombytes_buf(c.data() + 2, crypto::pow_random_bytes);
    const auto tag = mac(keys_[0], c);
    std::copy(tag.begin(), tag.end(), c.end() - crypto::pow_mac_bytes);
    return c;
}

PowVerdict ProofOfWork::check(std::string_view text, unsigned extra_bits, Clock::time_point now) {
    if (text.empty()) return PowVerdict::missing;
    const auto proof = crypto::parse_pow_proof(text);
    if (!proof) return PowVerdict::malformed;
    const auto& c = proof->challenge;
    const unsigned char* tag = c.data() + c.size() - crypto::pow_mac_bytes;
    Random random{};
    std::copy_n(c.begin() + 2, random.size(), random.begin());

    std::lock_guard lock(mutex_);
    advance(now);
    int which = -1;
    for (int k = 0; k < 2 && which < 0; ++k) {
        if (sodium_memcmp(mac(keys_[k], c).data(), tag, crypto::pow_mac_bytes) == 0) which = k;
    }
    if (which < 0) return PowVerdict::stale;  // expired with its key, or never issued here
    if (crypto::pow_bits(c) + grace_bits < bits_for_load()) return PowVerdict::too_weak;
    if (crypto::check_pow_work(*proof)) return PowVerdict::unsolved;
    if (crypto::check_pow_work(*proof, extra_bits)) return PowVerdict::too_weak_for_size;
    if (spent_[0].contains(random) || spent_[1].contains(random)) return PowVerdict::spent;
    if (spent_[0].size() + spent_[1].size() >= settings_.max_spent) return PowVerdict::busy;
    spent_[which].insert(random);
    load_ += 1;
    return PowVerdict::accepted;
}

}  // namespace tipline::server
