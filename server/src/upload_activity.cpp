#include "tipline/server/upload_activity.hpp"

#include <unordered_set>

namespace tipline::server {

void UploadActivity::touch(std::int64_t seq, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    last_[seq] = now;
}

std::vector<std::int64_t> UploadActivity::idle(const std::vector<std::int64_t>& unfinished,
                                               Clock::duration idle, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    std::unordered_map<std::int64_t, Clock::time_point> kept;
    std::vector<std::int64_t> out;
    for (const std::int64_t seq : unfinished) {
        const auto it = last_.find(seq);
        const Clock::time_point last = it == last_.end() ? now : it->second;
        if (now - last > idle) {
            out.push_back(seq);
        } else {
            kept.emplace(seq, last);
        }
    }
    last_ = std::move(kept);
    return out;
}

}  // namespace tipline::server
