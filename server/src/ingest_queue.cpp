// The writer and checkpoint threads behind IngestQueue.
#include "tipline/server/ingest_queue.hpp"

#include <chrono>

#include "tipline/server/store.hpp"

namespace tipline::server {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "tipline.ingest"; }
    std::string message(int v) const override {
        switch (static_cast<IngestError>(v)) {
            case IngestError::full: return "storage is full";
            case IngestError::failed: return "storage failed";
            case IngestError::stopped: return "the server is stopping";
        }
        return "unknown error";
    }
};

}  // namespace

const std::error_category& ingest_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(IngestError e) noexcept { return {static_cast<int>(e), ingest_category()}; }

IngestQueue::IngestQueue(std::filesystem::path database, IngestLimits limits)
    : database_(std::move(database)), limits_(limits) {
    Store::open(database_, false);  // fail here, in the caller, if the database cannot be used
    writer_ = std::thread([this] { write_loop(); });
    checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

IngestQueue::~IngestQueue() { stop(); }

void IngestQueue::submit(std::vector<unsigned char> envelope, Done done) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            jobs_.push_back({std::move(envelope), std::move(done)});
            wake_.notify_all();
            return;
        }
    }
    done(IngestError::stopped, TipId{});
}

void IngestQueue::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !writer_.joinable()) return;
        stopping_ = true;
        wake_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    if (checkpointer_.joinable()) checkpointer_.join();
}

void IngestQueue::write_loop() {
    auto store = Store::open(database_, false);
    std::uint64_t stored = store->stats().bytes;
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
        std::vector<std::pair<std::size_t, TipId>> accepted;  // index in batch, id
        std::vector<std::error_code> results(batch.size());
        std::uint64_t added = 0;
        const std::int64_t day = current_day();
        try {
            store->begin();
            for (std::size_t i = 0; i < batch.size(); ++i) {
                const std::uint64_t size = batch[i].envelope.size();
                if (limits_.quota_bytes != 0 && stored + added + size > limits_.quota_bytes) {
                    results[i] = IngestError::full;
                    continue;
                }
                const TipId id = TipId::random();
                store->insert_tip(id, day, batch[i].envelope);
                accepted.emplace_back(i, id);
                added += size;
            }
            store->commit();  // synchronous=FULL: durable when this returns
            stored += added;
        } catch (const StoreError& e) {
            store->rollback();
            accepted.clear();
            for (auto& r : results) r = e.full() ? IngestError::full : IngestError::failed;
        }
        std::vector<TipId> ids(batch.size());
        for (const auto& [i, id] : accepted) ids[i] = id;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            batch[i].envelope.clear();
            batch[i].done(results[i], ids[i]);
        }
    }
    try {
        store->checkpoint(true);
    } catch (const StoreError&) {
        // the WAL stays valid; the next start replays it
    }
}

void IngestQueue::checkpoint_loop() {
    auto store = Store::open(database_, false);
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, std::chrono::milliseconds(limits_.checkpoint_interval_ms), [&] { return stopping_; });
        if (stopping_) break;
        lock.unlock();
        try {
            store->checkpoint(false);
        } catch (const StoreError&) {
            // a failed passive checkpoint is retried on the next tick
        }
        lock.lock();
    }
}

}  // namespace tipline::server
