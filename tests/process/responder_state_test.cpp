// What responders' fetches and deletes, tiplined export and tiplined purge leave for witnesses and
// for each other, with the real tools against a real tiplined: a reply a responder deletes stays
// for its witness, each responder's fetched state is their own, and purge takes a read reply only
// once its retention has passed. Days pass by moving the database's days back (let_days_pass).
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>

#include "responder_team.hpp"
#include "server_process.hpp"
#include "support.hpp"
#include "tipline/client/http_client.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/server/data_dir.hpp"
#include "tipline/server/store.hpp"
#include "tipline/tooling/key_io.hpp"

namespace fs = std::filesystem;
using namespace tipline;
using test::Deployment;
using test::q;
using test::ServerProcess;
using namespace tipline::test;

namespace {

// The ids one responder's listing shows (GET /api/v1/responder/items), and which of them that
// responder has not fetched.
struct Listing {
    std::set<std::string> all, unfetched;
};

Listing listing(const ServerProcess& server, const Responder& r) {
    const crypto::SecretIdentity identity =
        tooling::load_secret_key(r.key, tooling::PassphraseSource{.file = r.pass});
    client::HttpClient http("http://127.0.0.1:" + std::to_string(server.responder_port()), "");
    client::ResponderClient api(http, identity);
    Listing out;
    for (const client::ResponderItem& i : api.items()) {
        out.all.insert(i.id);
        if (!i.acknowledged) out.unfetched.insert(i.id);
    }
    return out;
}

// As if n days went by: every day the stopped server's database holds moves n days back.
void let_days_pass(const fs::path& data, int n) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(server::database_path(data).c_str(), &db) == SQLITE_OK);
    const std::string days = std::to_string(n);
    const std::string sql = "UPDATE tips SET day = day - " + days + ", read_day = read_day - " +
                            days + "; UPDATE mailboxes SET day = day - " + days + ";";
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("a reply its responder deleted with fetch --delete still reaches its witness",
          "[responder_state][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const Responder alice = first_responder(d);
    const fs::path receipt = send_tip(server, d.dir / "witness", "is anyone there?\n");

    // The responder fetches the tip, deleting it on the server, then answers it.
    const auto first = fetch(server, alice, d.dir / "one.bundle", "--delete");
    INFO("fetch stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(contains(first.out, "deleted 1 items on the server"));
    answer(server, alice, d.dir / "one.bundle", "is anyone there?\n", "We read you. Stay safe.\n",
           d.dir.path());

    // Before the witness comes back, the responder fetches the reply with --delete too.
    const auto second = fetch(server, alice, d.dir / "two.bundle", "--delete");
    REQUIRE(second.exit_code == 0);
    CHECK(contains(second.out, "fetched 1 items (0 tips, 0 follow-ups, 1 replies)"));
    CHECK(contains(second.out, "deleted 1 items on the server"));
    CHECK(contains(second.out,
                   "1 replies among them stay in their mailboxes until their witnesses have read "
                   "them"));
    // It has left the responder's list, even with --all.
    CHECK(contains(fetch(server, alice, d.dir / "three.bundle", "--all").out, "fetched 0 items"));

    // The witness's check still finds it, and again on a later visit.
    for (int visit = 0; visit < 2; ++visit) {
        const auto checked = check(server, receipt);
        INFO("check stderr: " << checked.err);
        CHECK(checked.exit_code == 0);
        CHECK(contains(checked.out, "We read you. Stay safe."));
        CHECK_FALSE(contains(checked.out, "no replies yet"));
    }
}

TEST_CASE("a reply tiplined export --delete-exported hands over stays for its witness",
          "[responder_state][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const Responder alice = first_responder(d);
    const fs::path receipt = send_tip(server, d.dir / "witness", "they moved us again\n");
    REQUIRE(fetch(server, alice, d.dir / "one.bundle").exit_code == 0);
    answer(server, alice, d.dir / "one.bundle", "they moved us again\n", "Where are you now?\n",
           d.dir.path());

    // The operator exports everything for the responders' USB stick, deleting what it exported.
    const auto exported = test::run_command(tiplined() + " export " + q(d.data) + " --out " +
                                            q(d.dir / "usb.bundle") + " --delete-exported");
    INFO("export stderr: " << exported.err);
    REQUIRE(exported.exit_code == 0);
    CHECK(contains(exported.out, "exported 2 items (1 tips and follow-ups, 1 replies)"));
    CHECK(contains(exported.out, "deleted 1 exported tips and follow-ups from the server"));
    CHECK(contains(exported.out,
                   "1 exported replies stay in their mailboxes until their witnesses have read "
                   "them"));
    CHECK(contains(open_bundle(alice, d.dir / "usb.bundle", d.dir / "usb").out, "2 opened"));

    // The witness still reads the reply.
    const auto checked = check(server, receipt);
    INFO("check stderr: " << checked.err);
    CHECK(checked.exit_code == 0);
    CHECK(contains(checked.out, "Where are you now?"));

    // Handed over once: no later export or fetch gives it to the responders again.
    const auto again = test::run_command(tiplined() + " export " + q(d.data) + " --out " +
                                         q(d.dir / "again.bundle") + " --delete-exported");
    CHECK(contains(again.out, "exported 0 items"));
    CHECK(contains(fetch(server, alice, d.dir / "two.bundle", "--all").out, "fetched 0 items"));
    CHECK(test::stored_tips(d.data) == 1);  // the reply, for its witness
    CHECK(contains(check(server, receipt).out, "Where are you now?"));
}

TEST_CASE("one responder's fetch, with --delete or without, leaves what another has not fetched",
          "[responder_state][server]") {
    Deployment d;
    const Responder alice = first_responder(d);
    const Responder bob = add_responder(d, "bob");
    ServerProcess server(d.data);
    const fs::path receipt = send_tip(server, d.dir / "witness", "please both read this\n");

    // Alice fetches the tip: it stays new for Bob, and his fetch gets it.
    REQUIRE(fetch(server, alice, d.dir / "alice-1.bundle").exit_code == 0);
    CHECK(listing(server, alice).unfetched.empty());
    const Listing bob_first = listing(server, bob);
    CHECK(bob_first.unfetched.size() == 1);
    const auto bob_fetch = fetch(server, bob, d.dir / "bob-1.bundle");
    CHECK(contains(bob_fetch.out, "fetched 1 items (1 tips, 0 follow-ups, 0 replies)"));
    CHECK(contains(open_bundle(bob, d.dir / "bob-1.bundle", d.dir / "bob-1").out, "1 opened"));

    // Alice answers, with a copy for Bob; for Bob the reply is the one new item.
    answer(server, alice, d.dir / "alice-1.bundle", "please both read this\n",
           "We have both read it.\n", d.dir.path(), bob.pub);
    const Listing bob_before = listing(server, bob);
    REQUIRE(bob_before.unfetched.size() == 1);

    // Alice fetches everything again with --delete: the tip, which Bob has, is erased, and the
    // reply leaves her list only. What Bob has not fetched is as it was.
    const auto alice_delete = fetch(server, alice, d.dir / "alice-2.bundle", "--all --delete");
    INFO("fetch stderr: " << alice_delete.err);
    CHECK(contains(alice_delete.out, "fetched 2 items (1 tips, 0 follow-ups, 1 replies)"));
    CHECK(contains(alice_delete.out, "deleted 2 items on the server"));
    CHECK(listing(server, alice).all.empty());
    CHECK(listing(server, bob).unfetched == bob_before.unfetched);

    // Bob's fetch returns the reply, and he can read it: the thread reaches him whole.
    const auto bob_reply = fetch(server, bob, d.dir / "bob-2.bundle");
    CHECK(contains(bob_reply.out, "fetched 1 items (0 tips, 0 follow-ups, 1 replies)"));
    REQUIRE(open_bundle(bob, d.dir / "bob-2.bundle", d.dir / "bob-2").exit_code == 0);
    CHECK(text_of(folder_with_message(d.dir / "bob-2", "We have both read it.\n") /
                  "message.txt") == "We have both read it.\n");
    CHECK(contains(check(server, receipt).out, "We have both read it."));

    // What a delete cannot leave: a tip's ciphertext goes for everyone, so a tip Bob had not yet
    // fetched when Alice deleted it is not his to fetch any more (docs/PROTOCOL.md, "ack").
    send_tip(server, d.dir / "witness-2", "only one of you will see this\n");
    REQUIRE(listing(server, bob).unfetched.size() == 1);
    REQUIRE(fetch(server, alice, d.dir / "alice-3.bundle", "--delete").exit_code == 0);
    CHECK(listing(server, bob).unfetched.empty());
}

TEST_CASE("purge takes a reply retention_days after its witness read it, and keeps an unread one",
          "[responder_state][server]") {
    Deployment d;  // retention_days 30, unread_reply_days 180
    const Responder alice = first_responder(d);
    fs::path read_receipt, unread_receipt;
    {
        ServerProcess server(d.data);
        read_receipt = send_tip(server, d.dir / "reader", "first witness\n");
        unread_receipt = send_tip(server, d.dir / "absent", "second witness\n");
        REQUIRE(fetch(server, alice, d.dir / "tips.bundle", "--delete").exit_code == 0);
        answer(server, alice, d.dir / "tips.bundle", "first witness\n", "For the first.\n",
               d.dir.path());
        answer(server, alice, d.dir / "tips.bundle", "second witness\n", "For the second.\n",
               d.dir.path());
        REQUIRE(contains(fetch(server, alice, d.dir / "replies.bundle", "--delete").out,
                         "deleted 2 items on the server"));
        // One witness reads the reply today; the other does not come back.
        CHECK(contains(check(server, read_receipt).out, "For the first."));
    }
    // The server noted the day of that read, a day and nothing finer, and nothing for the other.
    {
        auto store = server::Store::open(server::database_path(d.data), false);
        std::multiset<std::int64_t> read_days;
        for (const server::StoredTip& t : store->list_tips()) {
            CHECK(t.kind == server::ItemKind::reply);
            read_days.insert(t.read_day.value_or(-1));
        }
        CHECK(read_days == std::multiset<std::int64_t>{-1, server::current_day()});
    }

    const auto purge = [&] {
        const auto r = test::run_command(tiplined() + " purge " + q(d.data));
        INFO("purge stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        return r.out;
    };
    CHECK(contains(purge(),
                   "purged 0 tips and follow-ups older than 30 days, 0 replies their witnesses "
                   "read more than 30 days ago, 0 unread replies older than 180 days"));
    // 30 days after the read, both replies are still kept.
    let_days_pass(d.data, 30);
    CHECK(contains(purge(), " 0 replies their witnesses read more than 30 days ago"));
    CHECK(test::stored_tips(d.data) == 2);

    // On the 31st day the read reply goes, and its mailbox, empty and idle, with it; the unread
    // one waits for its witness.
    let_days_pass(d.data, 1);
    const std::string day_31 = purge();
    CHECK(contains(day_31, " 1 replies their witnesses read more than 30 days ago"));
    CHECK(contains(day_31, " 0 unread replies older than 180 days"));
    CHECK(contains(day_31, " 1 empty mailboxes"));
    CHECK(test::stored_tips(d.data) == 1);
    {
        ServerProcess server(d.data);
        const auto gone = check(server, read_receipt);
        CHECK(gone.exit_code == 1);
        CHECK_FALSE(contains(gone.out, "For the first."));
    }

    // An unread reply is kept for unread_reply_days after it arrived, then goes too.
    let_days_pass(d.data, 149);
    CHECK(contains(purge(), " 0 unread replies older than 180 days"));
    let_days_pass(d.data, 1);
    CHECK(contains(purge(), " 1 unread replies older than 180 days"));
    CHECK(test::stored_tips(d.data) == 0);
}
