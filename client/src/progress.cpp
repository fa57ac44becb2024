#include "tipline/client/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "tipline/client/messages.hpp"

namespace tipline::client {
namespace {

constexpr auto redraw_every = std::chrono::milliseconds(200);
constexpr auto appear_after = std::chrono::milliseconds(500);

std::string one_decimal(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

}  // namespace

bool ProgressLine::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressLine::ProgressLine(std::string what, std::uint64_t total, bool shown)
    : what_(std::move(what)), total_(total), shown_(shown), start_(Clock::now()) {}

void ProgressLine::finish() {
    if (drawn_) std::cerr << "\n" << std::flush;
    drawn_ = false;
    shown_ = false;
}

std::string human_bytes(std::uint64_t bytes) {
    const double b = static_cast<double>(bytes);
    if (bytes >= 1000ull * 1000 * 1000) return one_decimal(b / 1e9) + " GB";
    if (bytes >= 1000ull * 1000) return one_decimal(b / 1e6) + " MB";
    if (bytes >= 1000) return one_decimal(b / 1e3) + " kB";
    return std::to_string(bytes) + " B";
}

std::string human_duration(std::chrono::seconds s) {
    const long long t = s.count();
    if (t < 60) return std::to_string(t) + " s";
    if (t < 3600) return std::to_string(t / 60) + " min " + std::to_string(t % 60) + " s";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", t / 3600, (t % 3600) / 60);
    return buf;
}

std::string ProgressLine::text(std::uint64_t done, Clock::time_point now) const {
    std::string line = what_ + " ";
    if (total_ > 0) {
        // TRANSLATORS: after "sealing" or "sending": "sending 40% of 12.5 MB, 1.2 MB/s, 9 s left".
        line += tr("{percent}% of {size}",
                   {{"percent", std::to_string(done >= total_ ? 100 : done * 100 / total_)},
                    {"size", human_bytes(total_)}});
    } else {
        line += human_bytes(done);
    }
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const std::uint64_t moved = done > start_done_ ? done - start_done_ : 0;
    // A rate only once there is something to measure it by.
    if (seconds >= 1.0 && moved > 0) {
        const double rate = static_cast<double>(moved) / seconds;
        line += ", " + human_bytes(static_cast<std::uint64_t>(rate)) + "/s";
        if (total_ > done) {
            const auto left = std::chrono::seconds(
                static_cast<long long>(static_cast<double>(total_ - done) / rate + 0.5));
            line += ", " + tr("{time} left", {{"time", human_duration(left)}});
        }
    }
    return line;
}

void ProgressLine::update(std::uint64_t done, Clock::time_point now) {
    if (!started_) {
        // The first report is where this run starts from: a resumed upload's rate counts only
        // what this run sends.
        started_ = true;
        start_done_ = done;
        start_ = now;
    }
    if (!shown_) return;
    const bool finished = total_ > 0 && done >= total_;
    // Nothing for what is over in a moment: the line appears once a wait lasts.
    if (!drawn_ && now - start_ < appear_after) return;
    if (drawn_ && !finished && now - last_draw_ < redraw_every) return;
    last_draw_ = now;
    drawn_ = true;
    // \r and the erase-to-end-of-line escape: a shorter line leaves nothing of the longer one.
    std::cerr << "\r" << text(done, now) << "\x1b[K" << std::flush;
}

}  // namespace tipline::client
