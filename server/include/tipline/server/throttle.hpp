// Global token buckets. Behind Tor there is no address to limit per client, so a bucket holds for
// everyone together: failed mailbox requests, upload starts, web-form submissions sealed by the
// server.
#pragma once

#include <chrono>
#include <mutex>

namespace tipline::server {

class TokenBucket {
  public:
    using Clock = std::chrono::steady_clock;

    // burst tokens at once, refilled at per_minute tokens a minute.
    explicit TokenBucket(double burst = 20, double per_minute = 10);

    bool allow();     // whether a token is left, without taking it
    void take();      // takes one token (none left: stays empty)
    bool try_take();  // takes one token if one is left
    unsigned retry_after_seconds();

    // For tests: the same decisions at a given time.
    bool allow_at(Clock::time_point now);
    void take_at(Clock::time_point now);
    bool try_take_at(Clock::time_point now);

  private:
    void refill(Clock::time_point now);

    std::mutex mutex_;
    double capacity_;
    double per_second_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace tipline::server
