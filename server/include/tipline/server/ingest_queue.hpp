// Single writer with group commit: concurrent submissions share one transaction and one fsync.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "tipline/server/store.hpp"
#include "tipline/server/tip_id.hpp"

namespace tipline::server {

enum class IngestError {
    full = 1,            // quota or disk full
    failed = 2,          // the database failed
    stopped = 3,         // the queue stopped before the write ran
    not_found = 4,       // no such upload
    wrong_offset = 5,    // an upload chunk does not start where the stored data ends
    overflow = 6,        // more bytes than the upload declared
    incomplete = 7,      // finishing an upload that lacks bytes
    mailbox_taken = 8,   // a new tip names a mailbox that already exists
    mailbox_denied = 9,  // no such mailbox, or the token does not match: deliberately one error
    too_large = 10,      // a read would return more than one response may carry
    busy = 11,           // a global limit on unfinished uploads is reached
};
const std::error_category& ingest_category() noexcept;
std::error_code make_error_code(IngestError e) noexcept;

// Which share of the quota a write may use: new tips and uploads stop at quota_bytes; follow-ups
// and replies, which carry on a conversation already stored, may go a sixteenth past it, so that a
// flood of new tips cannot keep a witness and the NGO from answering each other.
enum class Room { new_tip, conversation };

struct IngestLimits {
    std::size_t max_batch = 256;    // submissions per transaction
    std::uint64_t quota_bytes = 0;  // 0: no quota beyond the disk itself
    unsigned checkpoint_interval_ms = 250;
};

// What a write reports: an error, or the tip id and a number (an upload's offset or length).
// Reads that go through the writer return what they read in items or body.
struct WriteResult {
    std::error_code ec;
    TipId id;
    std::uint64_t value = 0;
    std::error_code detail;  // a finished upload that was not an envelope: the crypto::Error found
    std::vector<StoredTip> items = {};
    std::string body = {};
    // The write deleted stored ciphertext: once committed, the queue has the WAL checkpointed and
    // truncated, so that no copy stays in it.
    bool erased = false;
};

// One write, run on the writer thread inside the batch's transaction, in its own savepoint: if it
// returns an error or throws, only its own changes are undone.
using WriteOp = std::function<WriteResult(Store& store, std::int64_t day)>;

class IngestQueue {
  public:
    // Runs once the write is durable (ec empty) or has failed; must not block. It runs on the
    // writer thread, or wherever the Deliver function runs the batch's completions.
    using Done = std::function<void(const WriteResult&)>;
    // Takes one function that runs all the completions of a committed batch, so that a server can
    // hand a whole batch to its I/O threads at once instead of waking them once per write.
    using Deliver = std::function<void(std::function<void()> completions)>;

    IngestQueue(std::filesystem::path database, IngestLimits limits);
    ~IngestQueue();  // finishes what was submitted, then stops
    IngestQueue(const IngestQueue&) = delete;
    IngestQueue& operator=(const IngestQueue&) = delete;

    // adds_bytes: what the write adds to storage, checked against the quota (and, for room
    // conversation, its margin) before it runs.
    void submit(WriteOp op, std::uint64_t adds_bytes, Done done, Room room = Room::new_tip);
    // An empty Deliver runs completions on the writer thread (the default).
    void set_deliver(Deliver deliver);
    // Writes everything submitted, runs its completions, and joins the threads; idempotent.
    void stop();

  private:
    struct Job {
        WriteOp op;
        std::uint64_t adds_bytes;
        Done done;
        Room room;
    };
    void write_loop();
    void checkpoint_loop();

    std::filesystem::path database_;
    IngestLimits limits_;
    std::mutex mutex_;
    std::condition_variable wake_;  // the writer: jobs arrived, or stop
    std::condition_variable
        stop_wake_;  // the checkpointer: stop only, so submissions do not wake it
    std::deque<Job> jobs_;
    Deliver deliver_;  // guarded by mutex_
    bool stopping_ = false;
    bool wipe_pending_ = false;  // guarded by mutex_: a committed batch erased ciphertext
    std::thread writer_;
    std::thread checkpointer_;
};

}  // namespace tipline::server

template <>
struct std::is_error_code_enum<tipline::server::IngestError> : std::true_type {};
