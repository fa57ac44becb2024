// Single writer with group commit: concurrent submissions share one transaction and one fsync.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "tipline/server/tip_id.hpp"

namespace tipline::server {

enum class IngestError { full = 1, failed = 2, stopped = 3 };
const std::error_category& ingest_category() noexcept;
std::error_code make_error_code(IngestError e) noexcept;

struct IngestLimits {
    std::size_t max_batch = 256;        // submissions per transaction
    std::uint64_t quota_bytes = 0;      // 0: no quota beyond the disk itself
    unsigned checkpoint_interval_ms = 250;
};

class IngestQueue {
public:
    // Runs on the writer thread once the tip is durable (ec empty) or has failed; must not block.
    using Done = std::function<void(std::error_code, const TipId&)>;

    IngestQueue(std::filesystem::path database, IngestLimits limits);
    ~IngestQueue();  // finishes what was submitted, then stops
    IngestQueue(const IngestQueue&) = delete;
    IngestQueue& operator=(const IngestQueue&) = delete;

    void submit(std::vector<unsigned char> envelope, Done done);
    void stop();

private:
    struct Job {
        std::vector<unsigned char> envelope;
        Done done;
    };
    void write_loop();
    void checkpoint_loop();

    std::filesystem::path database_;
    IngestLimits limits_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::thread writer_;
    std::thread checkpointer_;
};

}  // namespace tipline::server

template <>
struct std::is_error_code_enum<tipline::server::IngestError> : std::true_type {};
