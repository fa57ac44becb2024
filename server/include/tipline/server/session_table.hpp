// The connections one listener holds, what each is doing and how far along it is: enough to
// choose which to close when the listener is full, so that a flood of slow or idle connections
// makes room for a newcomer instead of shutting it out. Nothing about a client is kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace tipline::server {

class SessionTable {
  public:
    using Clock = std::chrono::steady_clock;
    using Closer = std::function<void()>;  // ends the session soon; callable from any thread

    enum class Phase {
        opening,  // waiting for the PROXY line or the first request's header
        idle,     // kept alive, waiting for the next request
        header,   // a request's header is arriving
        body,     // a request's body is arriving
        busy,     // the request is being handled or answered: never closed to make room
    };

    // cap: sessions at once; forms_cap: web-form bodies arriving at once.
    SessionTable(unsigned cap, unsigned forms_cap);

    // A new session, taken even when the table is full: the session that has gone longest without
    // sending anything is closed to make room, whether it is idle, stalled in a header or stalled
    // in a body (a newcomer has just arrived, so it is never the one). nullopt when every session
    // is busy, or the server is stopping: the newcomer must close.
    std::optional<std::uint64_t> add(Closer close, Clock::time_point now = Clock::now());
    void remove(std::uint64_t id);

    // Phase changes; entering idle fails once a drain has begun (the session must close then).
    bool enter(std::uint64_t id, Phase phase, Clock::time_point now = Clock::now());
    // The body of a web-form post begins: at forms_cap the form body that has gone longest without
    // sending anything is closed to make room; false if none can be (every form is past its
    // body).
    bool enter_form_body(std::uint64_t id, Clock::time_point now = Clock::now());
    // The session received bytes of its request.
    void progress(std::uint64_t id, Clock::time_point now = Clock::now());

    // A drain closes every session that is not in the middle of a request's body or answer (idle
    // ones, and ones whose header has not all come: they are told to try again), and refuses new
    // ones.
    void drain();

    unsigned size();  // sessions not being closed

  private:
    struct Entry {
        Phase phase = Phase::opening;
        bool form = false;
        bool closing = false;
        Clock::time_point last_progress;  // when it last received something, or changed phase
        Closer close;
    };
    // The session to close to make room, among forms only when forms_only.
    std::optional<std::uint64_t> victim(Clock::time_point now, bool forms_only) const;
    // Marks a victim closing and hands back its closer, called once the lock is released.
    Closer take_victim(std::uint64_t id);

    std::mutex mutex_;
    unsigned cap_;
    unsigned forms_cap_;
    unsigned live_ = 0;   // entries not closing
    unsigned forms_ = 0;  // form bodies not closing
    bool draining_ = false;
    std::uint64_t next_ = 0;
    std::unordered_map<std::uint64_t, Entry> entries_;
};

}  // namespace tipline::server
