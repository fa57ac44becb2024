// The ingest queue (server/src/ingest_queue.cpp) over a real SQLite database: group commit, each
// write in its own savepoint, the quota, and what happens to writes around stop().
#include "tipline/server/ingest_queue.hpp"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>

#include "support.hpp"
#include "tipline/server/store.hpp"
#include "tipline/server/write_ops.hpp"

using namespace tipline;
using server::IngestError;
using server::IngestQueue;
using server::WriteOp;
using server::WriteResult;

namespace {

// A database with one table of tips, ready for a queue.
struct Database {
    test::TempDir dir;
    std::filesystem::path path = dir / "tips.sqlite";
    Database() { server::Store::open(path, true); }
    std::size_t tips() const { return server::Store::open(path, false)->list_tips().size(); }
};

WriteOp store_tip(std::uint32_t seed) {
    return server::store_envelope_op(test::pattern_bytes(5000, seed));
}

// A write that stores a tip and then reports failure: its tip must not stay.
WriteOp store_then_fail(std::uint32_t seed) {
    return [inner = store_tip(seed)](server::Store& s, std::int64_t day) {
        inner(s, day);
        return WriteResult{IngestError::failed, {}, 0, {}};
    };
}

// A write that stores a tip and then throws.
WriteOp store_then_throw(std::uint32_t seed) {
    return [inner = store_tip(seed)](server::Store& s, std::int64_t day) -> WriteResult {
        inner(s, day);
        throw std::runtime_error("broken write");
    };
}

// Holds the writer thread inside a write until released, so that what is submitted meanwhile
// forms the next batch.
class Gate {
  public:
    WriteOp op() {
        return [this](server::Store&, std::int64_t) {
            std::unique_lock lock(mutex_);
            entered_ = true;
            changed_.notify_all();
            changed_.wait(lock, [&] { return open_; });
            return WriteResult{};
        };
    }
    void wait_entered() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return entered_; });
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool entered_ = false, open_ = false;
};

// Results in the order of submission, each once its write is reported.
struct Results {
    std::mutex mutex;
    std::vector<std::promise<WriteResult>> promises;
    explicit Results(std::size_t n) : promises(n) {}
    IngestQueue::Done done(std::size_t i) {
        return [this, i](const WriteResult& r) { promises[i].set_value(r); };
    }
    WriteResult get(std::size_t i) { return promises[i].get_future().get(); }
};

}  // namespace

TEST_CASE("writes submitted while the writer is busy are committed together, as one delivery",
          "[ingest_queue]") {
    Database db;
    IngestQueue queue(db.path, {.max_batch = 3});
    std::mutex m;
    std::vector<std::size_t> deliveries;  // completions per delivered batch
    std::size_t completed = 0;
    queue.set_deliver([&](std::function<void()> completions) {
        const std::size_t before = completed;
        completions();
        std::lock_guard lock(m);
        deliveries.push_back(completed - before);
    });
    Gate gate;
    Results results(8);
    const auto counted = [&](std::size_t i) {
        return [&, done = results.done(i)](const WriteResult& r) {
            ++completed;  // on the delivering thread, one batch at a time
            done(r);
        };
    };
    queue.submit(gate.op(), 0, counted(0));
    gate.wait_entered();
    for (std::size_t i = 1; i < 8; ++i) queue.submit(store_tip(std::uint32_t(i)), 5000, counted(i));
    gate.open();
    for (std::size_t i = 0; i < 8; ++i) CHECK_FALSE(results.get(i).ec);
    queue.stop();
    // The gate alone, then seven writes in batches of at most max_batch.
    CHECK(deliveries == std::vector<std::size_t>{1, 3, 3, 1});
    CHECK(db.tips() == 7);
}

TEST_CASE("a write that fails or throws is undone alone; the rest of its batch is committed",
          "[ingest_queue]") {
    Database db;
    IngestQueue queue(db.path, {});
    Gate gate;
    Results results(5);
    queue.submit(gate.op(), 0, results.done(0));
    gate.wait_entered();
    queue.submit(store_tip(1), 5000, results.done(1));
    queue.submit(store_then_fail(2), 5000, results.done(2));
    queue.submit(store_then_throw(3), 5000, results.done(3));
    queue.submit(store_tip(4), 5000, results.done(4));
    gate.open();
    CHECK_FALSE(results.get(1).ec);
    CHECK(results.get(2).ec == IngestError::failed);
    CHECK(results.get(3).ec == IngestError::failed);
    CHECK_FALSE(results.get(4).ec);
    queue.stop();
    CHECK(db.tips() == 2);
}

TEST_CASE("past the quota a write is refused as full before it runs, and stored bytes count",
          "[ingest_queue]") {
    Database db;
    IngestQueue queue(db.path, {.quota_bytes = 12000});
    bool ran = false;
    Results results(4);
    queue.submit(store_tip(1), 5000, results.done(0));
    CHECK_FALSE(results.get(0).ec);
    queue.submit(store_tip(2), 5000, results.done(1));
    CHECK_FALSE(results.get(1).ec);
    queue.submit(
        [&](server::Store&, std::int64_t) {
            ran = true;
            return WriteResult{};
        },
        5000, results.done(2));
    CHECK(results.get(2).ec == IngestError::full);
    CHECK_FALSE(ran);
    // A write that adds nothing still runs.
    queue.submit([](server::Store&, std::int64_t) { return WriteResult{}; }, 0, results.done(3));
    CHECK_FALSE(results.get(3).ec);
    queue.stop();
    CHECK(db.tips() == 2);
}

TEST_CASE("past the quota follow-ups and replies still have a sixteenth of it, new tips do not",
          "[ingest_queue]") {
    Database db;
    IngestQueue queue(db.path, {.quota_bytes = 10000});
    Results results(5);
    queue.submit(store_tip(1), 5000, results.done(0));
    REQUIRE_FALSE(results.get(0).ec);
    queue.submit(store_tip(2), 5000, results.done(1));
    REQUIRE_FALSE(results.get(1).ec);
    // Full for a new tip, even a small one.
    queue.submit(store_tip(3), 100, results.done(2));
    CHECK(results.get(2).ec == IngestError::full);
    // A conversation goes on into the margin (10000 / 16 = 625 bytes)...
    queue.submit(store_tip(4), 100, results.done(3), server::Room::conversation);
    CHECK_FALSE(results.get(3).ec);
    // ...and stops at its end too.
    queue.submit(store_tip(5), 600, results.done(4), server::Room::conversation);
    CHECK(results.get(4).ec == IngestError::full);
    queue.stop();
    CHECK(db.tips() == 3);
}

TEST_CASE("past the quota, writes that add nothing still run, and deleting frees room",
          "[ingest_queue]") {
    Database db;
    IngestQueue queue(db.path, {.quota_bytes = 10000});
    Results results(7);
    queue.submit(store_tip(1), 5000, results.done(0));
    REQUIRE_FALSE(results.get(0).ec);
    queue.submit(store_tip(2), 5000, results.done(1));
    REQUIRE_FALSE(results.get(1).ec);
    queue.submit(server::store_envelope_op(test::pattern_bytes(500, 3)), 500, results.done(2),
                 server::Room::conversation);
    REQUIRE_FALSE(results.get(2).ec);  // 10500 bytes: past the quota, inside the margin
    // A witness reading replies adds nothing: it is answered although the store is past the quota.
    bool read = false;
    queue.submit(
        [&](server::Store&, std::int64_t) {
            read = true;
            return WriteResult{};
        },
        0, results.done(3));
    CHECK_FALSE(results.get(3).ec);
    CHECK(read);
    // A new tip of 4000 bytes does not fit...
    queue.submit(server::store_envelope_op(test::pattern_bytes(4000, 4)), 4000, results.done(5));
    CHECK(results.get(5).ec == IngestError::full);
    // ...until a responder deletes the first tip, whose 5000 bytes are then free again.
    queue.submit(
        [](server::Store& s, std::int64_t) {
            for (const server::StoredTip& t : s.list_tips()) {
                if (t.size == 5000) {
                    s.delete_tip(t.seq);
                    break;
                }
            }
            WriteResult r;
            r.erased = true;
            return r;
        },
        0, results.done(4));
    REQUIRE_FALSE(results.get(4).ec);
    queue.submit(server::store_envelope_op(test::pattern_bytes(4000, 4)), 4000, results.done(6));
    CHECK_FALSE(results.get(6).ec);
    queue.stop();
    CHECK(db.tips() == 3);
}

TEST_CASE("stop writes everything submitted before it; what comes after is refused as stopped",
          "[ingest_queue]") {
    Database db;
    Results results(21);
    {
        IngestQueue queue(db.path, {});
        for (std::size_t i = 0; i < 20; ++i)
            queue.submit(store_tip(std::uint32_t(i)), 5000, results.done(i));
        queue.stop();
        for (std::size_t i = 0; i < 20; ++i) CHECK_FALSE(results.get(i).ec);
        queue.submit(store_tip(99), 5000, results.done(20));
        CHECK(results.get(20).ec == IngestError::stopped);
        queue.stop();  // a second stop changes nothing
    }
    // Durable: another connection to the file sees every acknowledged tip.
    CHECK(db.tips() == 20);
}

TEST_CASE("a database that cannot be opened fails in the caller, not on the writer thread",
          "[ingest_queue]") {
    test::TempDir dir;
    CHECK_THROWS_AS(IngestQueue(dir / "missing.sqlite", {}), server::StoreError);
}
