// Per-circuit budgets and the bounded table of circuits.
#include "tipline/server/circuits.hpp"

#include <iterator>

namespace tipline::server {

Circuit::Circuit(const Limits& limits)
    : mailbox_failures(limits.mailbox_failure_burst, limits.mailbox_failures_per_minute),
      upload_starts(limits.upload_burst, limits.uploads_per_hour / 60.0),
      web_forms(limits.web_form_burst, limits.web_forms_per_hour / 60.0) {}

CircuitTable::CircuitTable(const Limits& limits, std::size_t max_remembered)
    : limits_(limits), max_remembered_(max_remembered) {}

std::shared_ptr<Circuit> CircuitTable::get(CircuitId id) {
    std::lock_guard lock(mutex_);
    auto& slot = circuits_[id];
    if (!slot) {
        slot = std::make_shared<Circuit>(limits_);
        if (circuits_.size() > max_remembered_) {
            // Forget every circuit no connection holds: a sweep that runs once per
            // max_remembered new circuits at most, since the table is then small again or full of
            // circuits in use.
            for (auto it = circuits_.begin(); it != circuits_.end();) {
                it = it->second.use_count() == 1 && it->first != id ? circuits_.erase(it)
                                                                    : std::next(it);
            }
        }
    }
    return slot;
}

std::size_t CircuitTable::size() {
    std::lock_guard lock(mutex_);
    return circuits_.size();
}

}  // namespace tipline::server
