// Round-robin over circuits with jobs waiting: each turn runs one job of the circuit at the front,
// which goes to the back if it has more.
#include "tipline/server/worker_pool.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace tipline::server {
namespace {

// Lower than the I/O threads, so a queue of Argon2id runs never delays an answer (Linux: the
// nice value is per thread).
constexpr int worker_nice = 10;

}  // namespace

WorkerPool::WorkerPool(unsigned threads, unsigned queue_limit, unsigned per_circuit)
    : queue_limit_(queue_limit), per_circuit_(per_circuit) {
    for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
}

WorkerPool::Admission WorkerPool::submit(const Circuit& circuit, std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || waiting_ >= queue_limit_) return Admission::full;
        Queue& q = queues_[&circuit];
        if (q.active >= per_circuit_) return Admission::circuit_busy;
        ++q.active;
        if (q.jobs.empty()) turns_.push_back(&circuit);
        q.jobs.push_back(std::move(job));
        ++waiting_;
    }
    wake_.notify_one();
    return Admission::queued;
}

bool WorkerPool::has_room(const Circuit& circuit) {
    std::lock_guard lock(mutex_);
    const auto it = queues_.find(&circuit);
    return stopping_ || it == queues_.end() || it->second.active < per_circuit_;
}

void WorkerPool::work() {
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), worker_nice);
    for (;;) {
        std::function<void()> job;
        const Circuit* circuit = nullptr;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !turns_.empty(); });
            if (stopping_) return;
            circuit = turns_.front();
            turns_.pop_front();
            Queue& q = queues_.at(circuit);
            job = std::move(q.jobs.front());
            q.jobs.pop_front();
            --waiting_;
            if (!q.jobs.empty()) turns_.push_back(circuit);
        }
        job();
        std::lock_guard lock(mutex_);
        auto it = queues_.find(circuit);
        if (--it->second.active == 0) queues_.erase(it);
    }
}

}  // namespace tipline::server
