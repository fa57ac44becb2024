// Token bucket of failures: each failure takes a token; none left means every mailbox request waits.
#include "tipline/server/throttle.hpp"

#include <algorithm>
#include <cmath>

namespace tipline::server {

MailboxThrottle::MailboxThrottle(unsigned burst, unsigned per_minute)
    : capacity_(std::max(1u, burst)), per_second_(std::max(1u, per_minute) / 60.0), tokens_(capacity_),
      last_(Clock::now()) {}

void MailboxThrottle::refill(Clock::time_point now) {
    if (now > last_) {
        tokens_ = std::min(capacity_, tokens_ + std::chrono::duration<double>(now - last_).count() * per_second_);
        last_ = now;
    }
}

bool MailboxThrottle::allow_at(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    return tokens_ >= 1.0;
}

void MailboxThrottle::failed_at(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    tokens_ = std::max(0.0, tokens_ - 1.0);
}

bool MailboxThrottle::allow() { return allow_at(Clock::now()); }
void MailboxThrottle::failed() { failed_at(Clock::now()); }

unsigned MailboxThrottle::retry_after_seconds() {
    std::lock_guard lock(mutex_);
    refill(Clock::now());
    const double missing = std::max(0.0, 1.0 - tokens_);
    return static_cast<unsigned>(std::ceil(missing / per_second_)) + 1;
}

}  // namespace tipline::server
