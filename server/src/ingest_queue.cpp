// The writer and checkpoint threads behind IngestQueue.
#include "tipline/server/ingest_queue.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "tipline/server/store.hpp"

namespace tipline::server {
namespace {

class Category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "tipline.ingest"; }
    std::string message(int v) const override {
        switch (static_cast<IngestError>(v)) {
            case IngestError::full:
                return "storage is full";
            case IngestError::failed:
                return "storage failed";
            case IngestError::stopped:
                return "the server is stopping";
            case IngestError::not_found:
                return "no such upload";
            case IngestError::wrong_offset:
                return "the chunk does not start at the stored offset";
            case IngestError::overflow:
                return "more bytes than the upload declared";
            case IngestError::incomplete:
                return "the upload is not complete";
            case IngestError::mailbox_taken:
                return "the mailbox already exists";
            case IngestError::mailbox_denied:
                return "no mailbox with this name and token";
            case IngestError::too_large:
                return "more than one response may carry";
            case IngestError::busy:
                return "too many unfinished uploads";
        }
        return "unknown error";
    }
};

}  // namespace

const std::error_category& ingest_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(IngestError e) noexcept {
    return {static_cast<int>(e), ingest_category()};
}

IngestQueue::IngestQueue(std::filesystem::path database, IngestLimits limits)
    : database_(std::move(database)), limits_(limits) {
    Store::open(database_, false);  // fail here, in the caller, if the database cannot be used
    writer_ = std::thread([this] { write_loop(); });
    checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

IngestQueue::~IngestQueue() { stop(); }

void IngestQueue::submit(WriteOp op, std::uint64_t adds_bytes, Done done, Room room) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            jobs_.push_back({std::move(op), adds_bytes, std::move(done), room});
            wake_.notify_one();
            return;
        }
    }
    done(WriteResult{IngestError::stopped, {}, 0, {}});
}

void IngestQueue::set_deliver(Deliver deliver) {
    std::lock_guard lock(mutex_);
    deliver_ = std::move(deliver);
}

void IngestQueue::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !writer_.joinable()) return;
        stopping_ = true;
        wake_.notify_all();
        stop_wake_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    if (checkpointer_.joinable()) checkpointer_.join();
}

void IngestQueue::write_loop() {
    auto store = Store::open(database_, false, true);
    std::uint64_t stored = store->stored_bytes();
    for (;;) {
        std::vector<Job> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) break;  // stopping, and everything submitted is written
            while (!jobs_.empty() && batch.size() < limits_.max_batch) {
                batch.push_back(std::move(jobs_.front()));
                jobs_.pop_front();
            }
        }
        std::vector<WriteResult> results(batch.size());
        std::uint64_t added = 0;
        const std::int64_t day = current_day();
        try {
            store->begin();
            for (std::size_t i = 0; i < batch.size(); ++i) {
                const std::uint64_t limit =
                    limits_.quota_bytes +
                    (batch[i].room == Room::conversation ? limits_.quota_bytes / 16 : 0);
                // A write that adds nothing (a read, a delete) is never refused for the quota.
                if (limits_.quota_bytes != 0 && batch[i].adds_bytes > 0 &&
                    stored + added + batch[i].adds_bytes > limit) {
                    results[i].ec = IngestError::full;
                    continue;
                }
                store->savepoint();
                try {
                    results[i] = batch[i].op(*store, day);
                } catch (const StoreError& e) {
                    if (!e.full()) throw;
                    results[i].ec = IngestError::full;
                } catch (const std::exception&) {
                    // A write that breaks in any other way fails alone; the batch goes on.
                    results[i] = WriteResult{IngestError::failed, {}, 0, {}};
                }
                if (results[i].ec) {
                    store->rollback_to_savepoint();
                } else {
                    store->release_savepoint();
                    added += batch[i].adds_bytes;
                }
            }
            store->commit();  // synchronous=FULL: durable when this returns
            stored += added;
        } catch (const StoreError& e) {
            store->rollback();
            for (auto& r : results)
                r = WriteResult{e.full() ? IngestError::full : IngestError::failed, {}, 0, {}};
        }
        const bool erased = std::any_of(results.begin(), results.end(),
                                        [](const WriteResult& r) { return r.erased && !r.ec; });
        if (erased) {
            // Deleted ciphertext frees its share of the quota.
            try {
                stored = store->stored_bytes();
            } catch (const StoreError&) {
                // the old count stays: too high, so the quota errs on the safe side
            }
        }
        std::vector<Done> dones;
        dones.reserve(batch.size());
        for (auto& job : batch) dones.push_back(std::move(job.done));
        batch.clear();  // frees the envelope bytes the writes held
        auto completions = [dones = std::move(dones), results = std::move(results)] {
            for (std::size_t i = 0; i < dones.size(); ++i) dones[i](results[i]);
        };
        std::unique_lock lock(mutex_);
        if (erased) wipe_pending_ = true;
        if (deliver_) {
            deliver_(
                std::move(completions));  // under the lock, so set_deliver never races a delivery
        } else {
            lock.unlock();
            completions();
        }
    }
    try {
        store->checkpoint(true);
    } catch (const StoreError&) {
        // the WAL stays valid; the next start replays it
    }
}

void IngestQueue::checkpoint_loop() {
    auto store = Store::open(database_, false, true);
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        stop_wake_.wait_for(lock, std::chrono::milliseconds(limits_.checkpoint_interval_ms),
                            [&] { return stopping_; });
        if (stopping_) break;
        // After a delete, a full checkpoint that truncates the WAL, so the deleted ciphertext's
        // old pages leave it; retried on the next tick while readers or the writer hold it off.
        const bool wipe = std::exchange(wipe_pending_, false);
        lock.unlock();
        bool done = false;
        try {
            done = store->checkpoint(wipe);
        } catch (const StoreError&) {
            // a failed checkpoint is retried on the next tick
        }
        lock.lock();
        if (wipe && !done) wipe_pending_ = true;
    }
}

}  // namespace tipline::server
