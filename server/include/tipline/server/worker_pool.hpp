// A few threads for the heavy work of the form without JavaScript (Argon2id of a typed receipt,
// sealing a tip), so the I/O threads keep answering while it runs. The queue is bounded, each
// circuit may have only a few jobs waiting or running, and circuits take turns: a flood from one
// circuit waits behind itself, not in front of a witness. The workers run at a lower priority than
// the I/O threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace tipline::server {

class Circuit;

class WorkerPool {
  public:
    // threads: workers; queue_limit: jobs waiting, all circuits together; per_circuit: jobs one
    // circuit may have waiting or running.
    WorkerPool(unsigned threads, unsigned queue_limit, unsigned per_circuit);
    ~WorkerPool();  // finishes the jobs running, drops the ones waiting
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    enum class Admission {
        queued,
        circuit_busy,  // the circuit's share is taken: it frees as the circuit's jobs finish
        full,          // the queue is at its limit for all circuits, or the pool is stopping
    };
    // Queues job for circuit; anything but queued, and job is not run, when there is no room.
    Admission submit(const Circuit& circuit, std::function<void()> job);
    // Whether circuit's share has room for one more job now; another session of the circuit may
    // take it at once, so submit can still refuse.
    bool has_room(const Circuit& circuit);

    static constexpr unsigned default_queue_limit = 64;
    static constexpr unsigned default_per_circuit = 2;

  private:
    struct Queue {
        std::deque<std::function<void()>> jobs;
        unsigned active = 0;  // waiting or running
    };
    void work();

    std::mutex mutex_;
    std::condition_variable wake_;
    unsigned queue_limit_;
    unsigned per_circuit_;
    std::size_t waiting_ = 0;
    bool stopping_ = false;
    std::unordered_map<const Circuit*, Queue> queues_;
    std::deque<const Circuit*> turns_;  // circuits with jobs waiting, in the order they get a turn
    std::vector<std::thread> threads_;
};

}  // namespace tipline::server
