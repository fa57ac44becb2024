// The tools' progress line: what it says about how far, how fast and how long is left.
#include "tipline/client/progress.hpp"

#include <catch2/catch.hpp>

using namespace tipline::client;
using namespace std::chrono_literals;

TEST_CASE("the progress line says how far, how fast and how long is left", "[progress]") {
    const auto t0 = ProgressLine::Clock::now();
    ProgressLine line("sending", 213965227, false);
    line.update(0, t0);
    // No rate before there is anything to measure it by.
    CHECK(line.text(0, t0) == "sending 0% of 214.0 MB");
    CHECK(line.text(80000000, t0 + 500ms) == "sending 37% of 214.0 MB");
    // 80 MB in 10 s: 8 MB/s, and 134 MB left at that rate is 17 s.
    CHECK(line.text(80000000, t0 + 10s) == "sending 37% of 214.0 MB, 8.0 MB/s, 17 s left");
    CHECK(line.text(213965227, t0 + 20s) == "sending 100% of 214.0 MB, 10.7 MB/s");

    // A resumed upload's rate counts only what this run sends.
    ProgressLine resumed("sending", 1000000, false);
    resumed.update(900000, t0);
    CHECK(resumed.text(950000, t0 + 5s) == "sending 95% of 1.0 MB, 10.0 kB/s, 5 s left");

    ProgressLine unknown("fetching", 0, false);
    unknown.update(0, t0);
    CHECK(unknown.text(2500, t0 + 2s) == "fetching 2.5 kB, 1.2 kB/s");
}

TEST_CASE("sizes and durations are written for people", "[progress]") {
    CHECK(human_bytes(999) == "999 B");
    CHECK(human_bytes(1000) == "1.0 kB");
    CHECK(human_bytes(1500000) == "1.5 MB");
    CHECK(human_bytes(2100000000) == "2.1 GB");
    CHECK(human_duration(8s) == "8 s");
    CHECK(human_duration(200s) == "3 min 20 s");
    CHECK(human_duration(7500s) == "2 h 05 min");
}
