// Idle unfinished uploads: when each last stored a chunk (UploadActivity, in memory), and the write
// that deletes the idle ones from a real database while the active ones stay.
#include "tipline/server/upload_activity.hpp"

#include <catch2/catch.hpp>

#include "support.hpp"
#include "tipline/server/store.hpp"
#include "tipline/server/write_ops.hpp"

using namespace tipline;
using namespace std::chrono_literals;
using Clock = server::UploadActivity::Clock;

TEST_CASE("an upload is idle once it has stored nothing for longer than the limit",
          "[upload_activity]") {
    server::UploadActivity activity;
    const Clock::time_point t0 = Clock::now();
    activity.touch(1, t0);
    activity.touch(2, t0);
    activity.touch(2, t0 + 50min);  // upload 2 stored another chunk
    // Upload 3 is unfinished but unknown (the server restarted): it counts from now.
    CHECK(activity.idle({1, 2, 3}, 1h, t0 + 59min).empty());
    CHECK(activity.idle({1, 2, 3}, 1h, t0 + 61min) == std::vector<std::int64_t>{1});
    // Upload 1 is gone from the unfinished list (finished, or deleted) and is forgotten; 3 counts
    // from the first look, at 59 minutes.
    CHECK(activity.idle({2, 3}, 1h, t0 + 111min) == std::vector<std::int64_t>{2});
    CHECK(activity.idle({3}, 1h, t0 + 118min).empty());
    CHECK(activity.idle({3}, 1h, t0 + 120min) == std::vector<std::int64_t>{3});
}

TEST_CASE("the idle uploads are deleted with what they received, and the others stay",
          "[upload_activity]") {
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    auto activity = std::make_shared<server::UploadActivity>();
    const auto left = server::TipId::random(), active = server::TipId::random();
    const auto chunk = test::pattern_bytes(4096, 1);
    for (const auto& key : {left, active}) {
        store->in_transaction([&] {
            const std::int64_t seq =
                store->begin_upload(key, server::TipId::random(), 20000, 10000);
            auto state = store->find_upload(key);
            store->append_upload(*state, chunk);
            activity->touch(seq, key == left ? Clock::now() - 3h : Clock::now());
        });
    }
    REQUIRE(store->stats().upload_bytes == 2 * chunk.size());
    const auto op = server::expire_idle_uploads_op(activity, 2h);
    const server::WriteResult r = store->in_transaction([&] { return op(*store, 20000); });
    CHECK(r.value == 1);
    CHECK(r.erased);  // the queue then truncates the WAL, so the deleted bytes leave it
    CHECK_FALSE(store->find_upload(left));
    REQUIRE(store->find_upload(active));
    CHECK(store->find_upload(active)->received == chunk.size());
    CHECK(store->stats().uploads == 1);
    CHECK(store->stats().upload_bytes == chunk.size());
    // Nothing else is idle yet.
    CHECK(store->in_transaction([&] { return op(*store, 20000); }).value == 0);
}
