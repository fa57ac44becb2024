// Which connection a full listener closes to make room (session_table.hpp), and the circuits'
// budgets (circuits.hpp): no socket, times given.
#include "tipline/server/session_table.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "tipline/server/circuits.hpp"

using namespace tipline;
using server::SessionTable;
using Phase = SessionTable::Phase;
using std::chrono::seconds;

namespace {

// A table whose sessions record being closed.
struct Table {
    SessionTable table;
    std::set<std::uint64_t> closed;
    SessionTable::Clock::time_point t0 = SessionTable::Clock::now();

    Table(unsigned cap, unsigned forms) : table(cap, forms) {}
    std::optional<std::uint64_t> add(int at_s) {
        auto id = std::make_shared<std::uint64_t>(0);
        auto got = table.add([this, id] { closed.insert(*id); }, t0 + seconds(at_s));
        if (got) *id = *got;
        return got;
    }
};

}  // namespace

TEST_CASE("a full listener closes the connection silent longest, and never a busy one",
          "[session_table]") {
    Table t(4, 4);
    const auto busy = *t.add(0);
    const auto idle = *t.add(0);
    const auto header = *t.add(0);
    const auto body = *t.add(0);
    t.table.enter(busy, Phase::busy, t.t0);                   // answering since second 0
    t.table.enter(idle, Phase::idle, t.t0 + seconds(5));      // silent since 5
    t.table.enter(header, Phase::header, t.t0 + seconds(1));  // silent since 1
    t.table.enter(body, Phase::body, t.t0);
    t.table.progress(body, t.t0 + seconds(9));  // still sending at 9
    CHECK(t.table.size() == 4);

    // The newcomer is always taken; the header stalled since second 1 makes room.
    const auto first = t.add(10);
    REQUIRE(first);
    CHECK(t.closed == std::set<std::uint64_t>{header});
    CHECK(t.table.size() == 4);
    t.table.remove(header);  // its session ends

    // Next the idle one (silent since 5), not the newcomer (since 10) nor the body (since 9).
    REQUIRE(t.add(11));
    CHECK(t.closed.count(idle) == 1);
    // Then the body, once it has stalled longer than the newcomer has been silent.
    REQUIRE(t.add(12));
    CHECK(t.closed.count(body) == 1);
    CHECK(t.closed.count(*first) == 0);
    CHECK(t.closed.count(busy) == 0);
}

TEST_CASE(
    "among equally silent connections an idle one goes first, and when everything is busy "
    "the newcomer is refused",
    "[session_table]") {
    Table t(2, 2);
    const auto header = *t.add(0);
    const auto idle = *t.add(0);
    t.table.enter(header, Phase::header, t.t0);
    t.table.enter(idle, Phase::idle, t.t0);
    const auto newcomer = t.add(3);
    REQUIRE(newcomer);
    CHECK(t.closed == std::set<std::uint64_t>{idle});
    // A session being closed is not chosen twice.
    t.table.enter(*newcomer, Phase::busy, t.t0 + seconds(3));
    REQUIRE(t.add(4));
    CHECK(t.closed == std::set<std::uint64_t>{idle, header});

    Table full(2, 2);
    full.table.enter(*full.add(0), Phase::busy, full.t0);
    full.table.enter(*full.add(0), Phase::busy, full.t0);
    CHECK_FALSE(full.add(1));
    CHECK(full.closed.empty());
}

TEST_CASE("web-form bodies have their own cap, and the one stalled longest makes room",
          "[session_table]") {
    Table t(10, 2);
    const auto a = *t.add(0);
    const auto b = *t.add(0);
    const auto c = *t.add(0);
    REQUIRE(t.table.enter_form_body(a, t.t0));
    REQUIRE(t.table.enter_form_body(b, t.t0));
    t.table.progress(a, t.t0 + seconds(9));
    t.table.progress(b, t.t0 + seconds(2));
    REQUIRE(t.table.enter_form_body(c, t.t0 + seconds(10)));
    CHECK(t.closed == std::set<std::uint64_t>{b});
    // A form past its body (sealing) is never closed for another.
    t.table.enter(a, Phase::busy, t.t0 + seconds(10));
    t.table.enter(c, Phase::busy, t.t0 + seconds(10));
    const auto d = *t.add(11);
    const auto e = *t.add(11);
    REQUIRE(t.table.enter_form_body(d, t.t0 + seconds(11)));
    REQUIRE(t.table.enter_form_body(e, t.t0 + seconds(11)));
    const auto f = *t.add(12);
    t.table.progress(e, t.t0 + seconds(12));
    REQUIRE(t.table.enter_form_body(f, t.t0 + seconds(13)));
    CHECK(t.closed.count(d) == 1);
    CHECK(t.closed.count(a) == 0);
    // With every form past its body and the cap reached, no room is made.
    t.table.enter(e, Phase::busy, t.t0 + seconds(13));
    t.table.enter(f, Phase::busy, t.t0 + seconds(13));
    const auto g = *t.add(14);
    const auto h = *t.add(14);
    REQUIRE(t.table.enter_form_body(g, t.t0 + seconds(14)));
    REQUIRE(t.table.enter_form_body(h, t.t0 + seconds(14)));
    const auto i = *t.add(15);
    t.table.enter(g, Phase::busy, t.t0 + seconds(15));
    REQUIRE(t.table.enter_form_body(i, t.t0 + seconds(15)));  // g left its body: room
}

TEST_CASE("a drain closes connections waiting for a request and takes no new ones",
          "[session_table]") {
    Table t(10, 2);
    const auto idle = *t.add(0);
    const auto header = *t.add(0);
    const auto working = *t.add(0);
    const auto answering = *t.add(0);
    t.table.enter(idle, Phase::idle, t.t0);
    t.table.enter(header, Phase::header, t.t0);
    t.table.enter(working, Phase::body, t.t0);
    t.table.enter(answering, Phase::busy, t.t0);
    t.table.drain();
    CHECK(t.closed == std::set<std::uint64_t>{idle, header});
    CHECK_FALSE(t.table.enter(working, Phase::idle, t.t0));
    CHECK_FALSE(t.add(1));
}

TEST_CASE("each circuit has its own budgets, and unused circuits are forgotten past the bound",
          "[circuits]") {
    server::Limits limits;
    limits.mailbox_failure_burst = 2;
    limits.mailbox_failures_per_minute = 1;
    server::CircuitTable table(limits, 4);
    auto attacker = table.get(7);
    auto witness = table.get(8);
    CHECK(table.get(7) == attacker);  // the same circuit, the same budgets
    CHECK(attacker->mailbox_failures.try_take());
    CHECK(attacker->mailbox_failures.try_take());
    CHECK_FALSE(attacker->mailbox_failures.try_take());
    CHECK(witness->mailbox_failures.try_take());  // untouched by the attacker's spending

    // Circuits nobody holds are forgotten once the table passes its bound; held ones stay.
    for (server::CircuitId id = 100; id < 110; ++id) table.get(id);
    CHECK(table.size() <= 4);
    CHECK(table.get(7) == attacker);
    CHECK(table.get(8) == witness);
}
