// Choosing which session to close when a listener is full: a linear scan, done only at the cap.
#include "tipline/server/session_table.hpp"

#include <algorithm>

namespace tipline::server {
SessionTable::SessionTable(unsigned cap, unsigned forms_cap)
    : cap_(std::max(1u, cap)), forms_cap_(std::max(1u, forms_cap)) {}

std::optional<std::uint64_t> SessionTable::victim(Clock::time_point now, bool forms_only) const {
    // The session that has gone longest without receiving anything: an idle one, a header or a
    // body that stalled. Ties go to idle sessions, which lose no request.
    std::optional<std::uint64_t> best;
    Clock::duration best_stale{};
    bool best_idle = false;
    for (const auto& [id, e] : entries_) {
        if (e.closing || e.phase == Phase::busy) continue;
        if (forms_only && !(e.form && e.phase == Phase::body)) continue;
        const Clock::duration stale = now - e.last_progress;
        const bool idle = e.phase == Phase::idle;
        if (!best || stale > best_stale || (stale == best_stale && idle && !best_idle)) {
            best = id;
            best_stale = stale;
            best_idle = idle;
        }
    }
    return best;
}

SessionTable::Closer SessionTable::take_victim(std::uint64_t id) {
    Entry& e = entries_.at(id);
    e.closing = true;
    --live_;
    if (e.form && e.phase == Phase::body) --forms_;
    return std::move(e.close);
}

std::optional<std::uint64_t> SessionTable::add(Closer close, Clock::time_point now) {
    Closer evicted;
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mutex_);
        if (draining_) return std::nullopt;
        if (live_ >= cap_) {
            const auto v = victim(now, false);
            if (!v) return std::nullopt;
            evicted = take_victim(*v);
        }
        id = next_++;
        entries_.emplace(id, Entry{.last_progress = now, .close = std::move(close)});
        ++live_;
    }
    if (evicted) evicted();
    return id;
}

void SessionTable::remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end()) return;
    if (!it->second.closing) {
        --live_;
        if (it->second.form && it->second.phase == Phase::body) --forms_;
    }
    entries_.erase(it);
}

bool SessionTable::enter(std::uint64_t id, Phase phase, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (phase == Phase::idle && draining_) return false;
    Entry& e = entries_.at(id);
    if (e.form && e.phase == Phase::body && !e.closing) --forms_;
    e.form = false;
    e.phase = phase;
    e.last_progress = now;
    return true;
}

bool SessionTable::enter_form_body(std::uint64_t id, Clock::time_point now) {
    Closer evicted;
    {
        std::lock_guard lock(mutex_);
        Entry& e = entries_.at(id);
        if (e.closing) return false;
        if (forms_ >= forms_cap_) {
            const auto v = victim(now, true);
            if (!v) return false;
            evicted = take_victim(*v);
        }
        if (e.form && e.phase == Phase::body) --forms_;
        e.phase = Phase::body;
        e.form = true;
        e.last_progress = now;
        ++forms_;
    }
    if (evicted) evicted();
    return true;
}

void SessionTable::progress(std::uint64_t id, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it != entries_.end()) it->second.last_progress = now;
}

void SessionTable::drain() {
    std::vector<Closer> waiting;
    {
        std::lock_guard lock(mutex_);
        draining_ = true;
        for (auto& [id, e] : entries_) {
            if (e.closing || e.phase == Phase::body || e.phase == Phase::busy) continue;
            waiting.push_back(take_victim(id));
        }
    }
    for (auto& close : waiting) close();
}

unsigned SessionTable::size() {
    std::lock_guard lock(mutex_);
    return live_;
}

}  // namespace tipline::server
