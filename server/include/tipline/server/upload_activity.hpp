// When each unfinished upload last received bytes, in memory only: the database keeps days, never
// times of day. It is enough to delete uploads left idle for hours, so that a client that starts
// uploads and stops sending holds nothing for long. After a restart every unfinished upload counts
// as active from then.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tipline::server {

class UploadActivity {
  public:
    using Clock = std::chrono::steady_clock;

    // The upload (its tip's seq) received bytes, or started.
    void touch(std::int64_t seq, Clock::time_point now = Clock::now());
    // Of the unfinished uploads, those that received nothing for longer than idle; the others
    // are remembered from now if they were unknown, and uploads no longer unfinished are
    // forgotten.
    std::vector<std::int64_t> idle(const std::vector<std::int64_t>& unfinished,
                                   Clock::duration idle, Clock::time_point now = Clock::now());

  private:
    std::mutex mutex_;
    std::unordered_map<std::int64_t, Clock::time_point> last_;
};

}  // namespace tipline::server
