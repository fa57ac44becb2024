// Token buckets refilled continuously from the steady clock; nothing about a request is kept.
#include "tipline/server/throttle.hpp"

#include <algorithm>
#include <cmath>

namespace tipline::server {

TokenBucket::TokenBucket(double burst, double per_minute)
    : capacity_(std::max(1.0, burst)),
      per_second_(std::max(1e-3, per_minute) / 60.0),
      tokens_(capacity_),
      last_(Clock::now()) {}

void TokenBucket::refill(Clock::time_point now) {
    if (now > last_) {
        tokens_ = std::min(
            capacity_, tokens_ + std::chrono::duration<double>(now - last_).count() * per_second_);
        last_ = now;
    }
}

bool TokenBucket::allow_at(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    return tokens_ >= 1.0;
}

void TokenBucket::take_at(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    tokens_ = std::max(0.0, tokens_ - 1.0);
}

bool TokenBucket::try_take_at(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
}

bool TokenBucket::allow() { return allow_at(Clock::now()); }
void TokenBucket::take() { take_at(Clock::now()); }
bool TokenBucket::try_take() { return try_take_at(Clock::now()); }

unsigned TokenBucket::retry_after_seconds() {
    std::lock_guard lock(mutex_);
    refill(Clock::now());
    const double missing = std::max(0.0, 1.0 - tokens_);
    return static_cast<unsigned>(std::ceil(missing / per_second_)) + 1;
}

}  // namespace tipline::server
