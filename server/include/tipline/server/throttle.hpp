// A global limit on failed mailbox requests. Behind Tor there is no address to limit per client, so
// past the limit every mailbox request waits, the right ones too, until the bucket refills.
#pragma once

#include <chrono>
#include <mutex>

namespace tipline::server {

class MailboxThrottle {
public:
    using Clock = std::chrono::steady_clock;

    // burst failures at once, then per_minute failures a minute on average.
    explicit MailboxThrottle(unsigned burst = 20, unsigned per_minute = 10);

    bool allow();   // false while the failures have used up the bucket
    void failed();  // one failed mailbox request
    unsigned retry_after_seconds();

    // For tests: the same decisions at a given time.
    bool allow_at(Clock::time_point now);
    void failed_at(Clock::time_point now);

private:
    void refill(Clock::time_point now);

    std::mutex mutex_;
    double capacity_;
    double per_second_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace tipline::server
