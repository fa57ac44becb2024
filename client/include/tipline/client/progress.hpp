// A progress line on the terminal for the tools' long waits (sealing, uploading, fetching,
// opening): what is happening, how far, how fast and how long is left. Only on a terminal: a
// standard error that is a file or a pipe gets nothing, so scripts and logs stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tipline::client {

class ProgressLine {
  public:
    using Clock = std::chrono::steady_clock;

    // what: "sealing", "sending", ...; total: bytes in all (0 when unknown). shown: whether to draw
    // (by default, when standard error is a terminal).
    ProgressLine(std::string what, std::uint64_t total, bool shown = stderr_is_terminal());
    ~ProgressLine() { finish(); }
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    // done bytes of total so far; drawn at most a few times a second, and always at the end.
    void update(std::uint64_t done, Clock::time_point now = Clock::now());
    // Ends the line, if one was drawn, so that what is printed next starts on a line of its own.
    void finish();
    // The line as it would be drawn now, without the carriage return: for tests.
    std::string text(std::uint64_t done, Clock::time_point now) const;

    static bool stderr_is_terminal();

  private:
    std::string what_;
    std::uint64_t total_;
    bool shown_;
    bool drawn_ = false;
    Clock::time_point start_;
    Clock::time_point last_draw_{};
    std::uint64_t start_done_ = 0;  // what was done before this run (a resumed upload)
    bool started_ = false;
};

// "1.5 MB", "213.9 MB", "2.1 GB": sizes for people, in decimal units as file managers show them.
std::string human_bytes(std::uint64_t bytes);
// "8 s", "3 min 20 s", "2 h 05 min".
std::string human_duration(std::chrono::seconds s);

}  // namespace tipline::client
