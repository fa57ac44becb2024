// The worker pool (worker_pool.hpp): circuits take turns, and neither one circuit nor all of them
// together can queue more than their share. Jobs block on promises the test keeps: no timing.
#include "tipline/server/worker_pool.hpp"

#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "tipline/server/circuits.hpp"

using namespace tipline;
using Admission = server::WorkerPool::Admission;

namespace {

struct Ran {
    std::mutex mutex;
    std::vector<std::string> order;
    void add(std::string what) {
        std::lock_guard lock(mutex);
        order.push_back(std::move(what));
    }
};

}  // namespace

TEST_CASE("circuits take turns on the pool, and each may have only its share waiting",
          "[worker_pool]") {
    const server::Limits limits;
    server::Circuit flooder(limits), witness(limits);
    Ran ran;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> all_done;
    std::atomic<int> left{5};
    const auto job = [&](std::string name) {
        return [&, name] {
            ran.add(name);
            if (--left == 0) all_done.set_value();
        };
    };
    {
        server::WorkerPool pool(1, 64, 3);
        std::promise<void> started;
        // The one worker is busy with the flooder's first job until the test lets it go.
        REQUIRE(pool.submit(flooder, [&] {
            started.set_value();
            released.wait();
            ran.add("f1");
            if (--left == 0) all_done.set_value();
        }) == Admission::queued);
        started.get_future().wait();
        REQUIRE(pool.submit(flooder, job("f2")) == Admission::queued);
        CHECK(pool.has_room(flooder));
        REQUIRE(pool.submit(flooder, job("f3")) == Admission::queued);
        CHECK_FALSE(pool.has_room(flooder));
        CHECK(pool.submit(flooder, job("f4")) ==
              Admission::circuit_busy);  // three at once: its share
        CHECK(pool.has_room(witness));   // another circuit still has room
        REQUIRE(pool.submit(witness, job("w1")) == Admission::queued);
        REQUIRE(pool.submit(witness, job("w2")) == Admission::queued);
        release.set_value();
        all_done.get_future().wait();
        CHECK(pool.has_room(flooder));  // its jobs are done: its share is free again
    }
    // The witness's first job runs right after the flooder's next, not after all of them.
    CHECK(ran.order == std::vector<std::string>{"f1", "f2", "w1", "f3", "w2"});
}

TEST_CASE("the pool's queue is bounded for all circuits together, and frees as jobs finish",
          "[worker_pool]") {
    const server::Limits limits;
    std::vector<std::unique_ptr<server::Circuit>> circuits;
    for (std::size_t i = 0; i < 6; ++i)
        circuits.push_back(std::make_unique<server::Circuit>(limits));
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> started;
    std::atomic<int> finished{0};
    server::WorkerPool pool(1, 3, 2);
    REQUIRE(pool.submit(*circuits[0], [&] {
        started.set_value();
        released.wait();
        ++finished;
    }) == Admission::queued);
    started.get_future().wait();
    // Three may wait while the worker is busy; the fourth finds no room.
    for (std::size_t i = 1; i <= 3; ++i)
        REQUIRE(pool.submit(*circuits[i], [&] { ++finished; }) == Admission::queued);
    CHECK(pool.submit(*circuits[4], [&] { ++finished; }) == Admission::full);
    release.set_value();
    std::promise<void> last;
    // Once the queue drains there is room again; this job runs after the three before it.
    while (pool.submit(*circuits[5], [&] { last.set_value(); }) != Admission::queued)
        std::this_thread::yield();
    last.get_future().wait();
    CHECK(finished == 4);
}
