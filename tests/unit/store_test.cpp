// Store: chunked rows, days, listing, deletion, schema versions, each responder's own fetched
// state, replies kept for their witnesses, and purge by retention.
#include "tipline/server/store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "support.hpp"
#include "tipline/server/data_dir.hpp"
#include "tipline/server/write_ops.hpp"

using namespace tipline;
using test::Bytes;

namespace {

server::ResponderKey responder_key(unsigned char fill) {
    server::ResponderKey k{};
    k.fill(fill);
    return k;
}

// The refs one responder sees, and which of them that responder acknowledged.
std::vector<std::pair<std::int64_t, bool>> view(server::Store& store,
                                                const server::ResponderKey& who) {
    std::vector<std::pair<std::int64_t, bool>> out;
    for (const auto& t : store.items_after(who, 0, 100)) out.emplace_back(t.seq, t.acknowledged);
    return out;
}

// The schema as version 1 left it, and as versions 2 and 3 did, as released.
constexpr const char* schema_v1_sql = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE tips (seq INTEGER PRIMARY KEY, id BLOB NOT NULL CHECK (length(id) = 16), day INTEGER NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0), complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1)),
  received INTEGER NOT NULL DEFAULT 0, next_row INTEGER NOT NULL DEFAULT 0, data BLOB) STRICT;
CREATE TABLE tip_rows (key INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT;
CREATE TABLE uploads (key BLOB PRIMARY KEY CHECK (length(key) = 16),
  tip INTEGER NOT NULL UNIQUE REFERENCES tips (seq) ON DELETE CASCADE) STRICT, WITHOUT ROWID;
)sql";
const std::string schema_v3_sql = std::string(schema_v1_sql) + R"sql(
CREATE TABLE mailboxes (key BLOB PRIMARY KEY CHECK (length(key) = 32),
  token_hash BLOB NOT NULL CHECK (length(token_hash) = 32), day INTEGER NOT NULL) STRICT, WITHOUT ROWID;
ALTER TABLE tips ADD COLUMN kind INTEGER NOT NULL DEFAULT 1 CHECK (kind IN (1, 2, 3));
ALTER TABLE tips ADD COLUMN mailbox BLOB REFERENCES mailboxes (key);
ALTER TABLE tips ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1));
CREATE INDEX tips_by_mailbox ON tips (mailbox, seq) WHERE mailbox IS NOT NULL;
CREATE INDEX tips_unfinished ON tips (seq) WHERE complete = 0;
)sql";

// Runs the SQL of an earlier schema version into a new database file.
void make_database(const std::filesystem::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO((error ? error : ""));
    sqlite3_free(error);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("tips of any size come back byte for byte from chunked rows", "[store]") {
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    struct stat st {};
    REQUIRE(::stat((tmp / "db").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    const Bytes small = test::pattern_bytes(4268),
                large = test::pattern_bytes(3 * server::store_row_size + 5, 2);
    const auto a = server::TipId::random(), b = server::TipId::random();
    store->begin();
    const auto seq_a = store->insert_tip(a, 100, small);
    const auto seq_b = store->insert_tip(b, 101, large);
    store->commit();

    crypto::VectorSink out_a, out_b;
    REQUIRE(store->read_tip(seq_a, out_a));
    REQUIRE(store->read_tip(seq_b, out_b));
    CHECK(out_a.bytes() == small);
    CHECK(out_b.bytes() == large);
    crypto::VectorSink none;
    CHECK_FALSE(store->read_tip(seq_b + 1, none));
    const auto listed = store->list_tips();
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].id == a);
    CHECK(listed[1].id == b);

    const auto stats = store->stats();
    CHECK(stats.tips == 2);
    CHECK(stats.bytes == small.size() + large.size());
    CHECK(stats.oldest_day == 100);
    CHECK(stats.newest_day == 101);
    CHECK(store->expired_items(101, 101).size() == 1);

    store->begin();
    store->delete_tip(seq_b);
    store->commit();
    CHECK(store->list_tips().size() == 1);
}

TEST_CASE("export --since takes only tips from that day on, and dates are checked", "[store]") {
    CHECK(server::parse_day("1970-01-01") == 0);
    CHECK(server::parse_day("2026-11-26") == 20783);
    CHECK_FALSE(server::parse_day("2026-02-30"));
    CHECK_FALSE(server::parse_day("2026-1-01"));
    CHECK_FALSE(server::parse_day("yesterday"));

    test::TempDir tmp;
    const auto dir = tmp / "data";
    server::init_data_dir(
        dir, {crypto::encode_public_key(crypto::SecretIdentity::generate().public_identity)});
    {
        auto store = server::Store::open(server::database_path(dir), false);
        store->in_transaction([&] {
            for (std::int64_t day : {20780, 20783, 20790})
                store->insert_tip(server::TipId::random(), day, test::pattern_bytes(100));
        });
    }
    const auto r = server::export_bundle(dir, tmp / "b", true, 20783);
    CHECK(r.items == 2);
    auto store = server::Store::open(server::database_path(dir), false);
    const auto left = store->list_tips();
    REQUIRE(left.size() == 1);
    CHECK(left[0].day == 20780);
}

TEST_CASE("a rolled back transaction leaves nothing behind", "[store]") {
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    store->begin();
    store->insert_tip(server::TipId::random(), 1, test::pattern_bytes(10));
    store->rollback();
    CHECK(store->stats().tips == 0);
}

TEST_CASE("a database from a newer schema is refused", "[store]") {
    test::TempDir tmp;
    server::Store::open(tmp / "db", true);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((tmp / "db").c_str(), &db) == SQLITE_OK);
    const std::string newer =
        "PRAGMA user_version=" + std::to_string(server::store_schema_version + 1);
    sqlite3_exec(db, newer.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    CHECK_THROWS_AS(server::Store::open(tmp / "db", false), server::StoreError);
}

TEST_CASE("purge deletes exactly the tips past the retention period", "[store]") {
    test::TempDir tmp;
    const auto dir = tmp / "data";
    const auto key = crypto::SecretIdentity::generate();
    server::init_data_dir(dir, {crypto::encode_public_key(key.public_identity)});
    const std::int64_t today = server::current_day();
    std::vector<server::TipId> kept;
    {
        auto store = server::Store::open(server::database_path(dir), false);
        store->begin();
        for (std::int64_t age : {40, 31, 30, 1, 0}) {
            const auto id = server::TipId::random();
            store->insert_tip(id, today - age, test::pattern_bytes(100));
            if (age <= 30) kept.push_back(id);
        }
        store->commit();
    }
    {
        auto store = server::Store::open(server::database_path(dir), false);
        store->begin();
        store->begin_upload(server::TipId::random(), server::TipId::random(), today - 3, 5000);
        store->begin_upload(server::TipId::random(), server::TipId::random(), today - 1, 5000);
        store->commit();
    }
    server::Config config;
    config.retention_days = 30;
    config.limits.upload_expiry_days = 2;
    const auto purged = server::purge(dir, config);
    CHECK(purged.tips == 2);
    CHECK(purged.uploads == 1);
    auto store = server::Store::open(server::database_path(dir), false);
    std::vector<server::TipId> left;
    for (const auto& t : store->list_tips()) left.push_back(t.id);
    std::sort(left.begin(), left.end());
    std::sort(kept.begin(), kept.end());
    CHECK(left == kept);
}

TEST_CASE("a version 1 database is migrated to version 2 and keeps its tips", "[store]") {
    test::TempDir tmp;
    // The version 1 schema as released, with one stored tip.
    make_database(tmp / "db", std::string(schema_v1_sql) + R"sql(
INSERT INTO tips (id, day, size, received, data) VALUES (x'000102030405060708090a0b0c0d0e0f', 20000, 3, 3, x'616263');
PRAGMA user_version=1;
)sql");

    auto store = server::Store::open(tmp / "db", false);
    const auto tips = store->list_tips();
    REQUIRE(tips.size() == 1);
    CHECK(tips[0].id.hex() == "000102030405060708090a0b0c0d0e0f");
    CHECK(tips[0].kind == server::ItemKind::tip);
    CHECK_FALSE(tips[0].mailbox);
    CHECK_FALSE(tips[0].acknowledged);
    crypto::VectorSink out;
    REQUIRE(store->read_tip(tips[0].seq, out));
    CHECK(std::string(out.bytes().begin(), out.bytes().end()) == "abc");
}

TEST_CASE("mailboxes hold a token hash, refuse a second opening, and go when empty and idle",
          "[store]") {
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    server::MailboxKey key{};
    key.fill(7);
    server::TokenHash hash{};
    hash.fill(9);
    const std::vector<unsigned char> envelope(100, 1);
    std::int64_t tip = 0, reply = 0;
    store->in_transaction([&] {
        REQUIRE(store->create_mailbox(key, hash, 20000));
        CHECK_FALSE(
            store->create_mailbox(key, server::TokenHash{}, 20000));  // taken: the first hash stays
        tip = store->insert_tip(server::TipId::random(), 20000, envelope,
                                {server::ItemKind::tip, key});
        reply = store->insert_tip(server::TipId::random(), 20001, envelope,
                                  {server::ItemKind::reply, key});
        store->insert_tip(server::TipId::random(), 20001, envelope);  // no mailbox
    });
    CHECK(store->mailbox_token_hash(key) == hash);
    server::MailboxKey other{};
    CHECK_FALSE(store->mailbox_token_hash(other));
    const auto replies = store->mailbox_items(key, server::ItemKind::reply);
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].seq == reply);
    const auto alice = responder_key(1);
    CHECK(store->items_after(alice, 0, 100).size() == 3);
    CHECK(store->items_after(alice, tip, 100).size() == 2);
    CHECK(store->items_after(alice, 0, 1).size() == 1);

    store->in_transaction([&] { store->acknowledge(alice, tip); });
    CHECK(store->item_for(alice, tip)->acknowledged);
    CHECK_FALSE(store->item_for(alice, reply)->acknowledged);
    store->in_transaction([&] {
        CHECK(store->delete_idle_mailboxes(30000) == 0);  // still holds two items
        store->delete_tip(tip);
        store->delete_tip(reply);
        store->touch_mailbox(key, 20005);  // a later reply went in, and was deleted too
        CHECK(store->delete_idle_mailboxes(20005) == 0);  // empty, but used on day 20005
        CHECK(store->mailbox_token_hash(key) == hash);
        CHECK(store->delete_idle_mailboxes(20006) == 1);
    });
    CHECK_FALSE(store->mailbox_token_hash(key));
}

TEST_CASE("any range of a stored envelope reads back, across rows of uneven size", "[store]") {
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    const auto data = test::pattern_bytes(700 * 1024 + 13, 3);
    const auto key = server::TipId::random();
    store->in_transaction(
        [&] { store->begin_upload(key, server::TipId::random(), 20000, data.size()); });
    auto state = store->find_upload(key);
    REQUIRE(state);
    // Chunks of 100 KiB make rows of 100 KiB, unlike the 256 KiB rows of a tip stored whole.
    for (std::size_t at = 0; at < data.size(); at += 100 * 1024) {
        const auto n = std::min<std::size_t>(100 * 1024, data.size() - at);
        store->in_transaction(
            [&] { store->append_upload(*state, std::span(data).subspan(at, n)); });
    }
    store->in_transaction([&] { store->finish_upload(key); });
    const std::int64_t whole = store->in_transaction(
        [&] { return store->insert_tip(server::TipId::random(), 20000, data); });
    for (const std::int64_t seq : {state->seq, whole}) {
        for (const auto& [offset, n] :
             std::vector<std::pair<std::size_t, std::size_t>>{{0, 10},
                                                              {100 * 1024 - 1, 2},
                                                              {250 * 1024, 300 * 1024},
                                                              {data.size() - 5, 100},
                                                              {0, data.size()}}) {
            crypto::VectorSink out;
            store->read_range(seq, offset, n, out);
            const auto expected =
                std::span(data).subspan(offset, std::min(n, data.size() - offset));
            INFO("seq " << seq << " offset " << offset << " n " << n);
            CHECK(std::equal(out.bytes().begin(), out.bytes().end(), expected.begin(),
                             expected.end()));
        }
        crypto::VectorSink past;
        store->read_range(seq, data.size(), 10, past);
        CHECK(past.bytes().empty());
    }
}

TEST_CASE("each responder has their own fetched state, and a deleted reply stays for its witness",
          "[store]") {
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    server::MailboxKey mailbox{};
    mailbox.fill(3);
    const std::vector<unsigned char> envelope(100, 1);
    std::int64_t tip = 0, follow_up = 0, reply = 0;
    store->in_transaction([&] {
        REQUIRE(store->create_mailbox(mailbox, server::TokenHash{}, 20000));
        tip = store->insert_tip(server::TipId::random(), 20000, envelope,
                                {server::ItemKind::tip, mailbox});
        reply = store->insert_tip(server::TipId::random(), 20001, envelope,
                                  {server::ItemKind::reply, mailbox});
        follow_up = store->insert_tip(server::TipId::random(), 20002, envelope,
                                      {server::ItemKind::follow_up, mailbox});
    });
    const auto alice = responder_key(1), bob = responder_key(2);
    using Seen = std::vector<std::pair<std::int64_t, bool>>;
    const Seen fresh{{tip, false}, {reply, false}, {follow_up, false}};
    CHECK(view(*store, alice) == fresh);

    // Alice's fetch marks the items for her only.
    store->in_transaction([&] {
        for (const std::int64_t seq : {tip, reply, follow_up}) store->acknowledge(alice, seq);
        store->acknowledge(alice, tip);  // twice is once
    });
    CHECK(view(*store, alice) == Seen{{tip, true}, {reply, true}, {follow_up, true}});
    CHECK(view(*store, bob) == fresh);

    // Alice deletes the reply: it leaves her view, and nothing else. Its ciphertext stays.
    bool erased = true;
    store->in_transaction(
        [&] { erased = store->delete_for_responder(alice, *store->item(reply)); });
    CHECK_FALSE(erased);
    CHECK(view(*store, alice) == Seen{{tip, true}, {follow_up, true}});
    CHECK_FALSE(store->item_for(alice, reply));
    CHECK(view(*store, bob) == fresh);
    REQUIRE(store->mailbox_items(mailbox, server::ItemKind::reply).size() == 1);
    crypto::VectorSink kept;
    CHECK(store->read_tip(reply, kept));
    CHECK(kept.bytes() == envelope);

    // Alice deletes the tip: it is erased, for Bob too.
    store->in_transaction([&] { erased = store->delete_for_responder(alice, *store->item(tip)); });
    CHECK(erased);
    CHECK_FALSE(store->item(tip));
    CHECK(view(*store, bob) == Seen{{reply, false}, {follow_up, false}});

    // An export's delete hands a reply over for every responder; it stays for the witness.
    CHECK(store->export_items().size() == 2);
    store->in_transaction([&] { erased = store->delete_exported(*store->item(reply)); });
    CHECK_FALSE(erased);
    CHECK(view(*store, bob) == Seen{{follow_up, false}});
    CHECK(store->export_items().size() == 1);
    CHECK(store->mailbox_items(mailbox, server::ItemKind::reply).size() == 1);
    store->in_transaction([&] { erased = store->delete_exported(*store->item(follow_up)); });
    CHECK(erased);
    CHECK(view(*store, bob).empty());
    CHECK(store->export_items().empty());

    // Erasing the reply at last takes every responder's state of it along.
    store->in_transaction([&] { store->delete_tip(reply); });
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((tmp / "db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* count = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM responder_state", -1, &count, nullptr) ==
            SQLITE_OK);
    REQUIRE(sqlite3_step(count) == SQLITE_ROW);
    CHECK(sqlite3_column_int64(count, 0) == 0);
    sqlite3_finalize(count);
    sqlite3_close(db);
}

TEST_CASE("a witness's read records the day of the first read only, and only of what it returned",
          "[store]") {
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    server::MailboxKey mailbox{};
    mailbox.fill(4);
    server::TokenHash hash{};
    hash.fill(5);
    std::int64_t first = 0, second = 0;
    store->in_transaction([&] {
        REQUIRE(store->create_mailbox(mailbox, hash, 20000));
        first = store->insert_tip(server::TipId::random(), 20000, test::pattern_bytes(100),
                                  {server::ItemKind::reply, mailbox});
    });
    const auto read = [&](std::int64_t day, std::uint64_t max_bytes, const server::TokenHash& h) {
        return store->in_transaction(
            [&] { return server::read_replies_op(mailbox, h, max_bytes)(*store, day); });
    };
    // A wrong token reads nothing and records nothing.
    CHECK(read(20001, 1 << 20, server::TokenHash{}).ec == server::IngestError::mailbox_denied);
    CHECK_FALSE(store->item(first)->read_day);
    CHECK_FALSE(read(20003, 1 << 20, hash).ec);
    CHECK(store->item(first)->read_day == 20003);
    store->in_transaction([&] {
        second = store->insert_tip(server::TipId::random(), 20004, test::pattern_bytes(100, 2),
                                   {server::ItemKind::reply, mailbox});
    });
    // An answer too large for one response returns nothing, so nothing counts as read.
    CHECK(read(20005, 150, hash).ec == server::IngestError::too_large);
    CHECK_FALSE(store->item(second)->read_day);
    CHECK_FALSE(read(20009, 1 << 20, hash).ec);
    CHECK(store->item(first)->read_day == 20003);  // the first read's day stays
    CHECK(store->item(second)->read_day == 20009);
}

TEST_CASE("purge keeps a reply retention_days after its witness read it, and an unread one longer",
          "[store]") {
    test::TempDir tmp;
    const auto dir = tmp / "data";
    server::init_data_dir(
        dir, {crypto::encode_public_key(crypto::SecretIdentity::generate().public_identity)});
    const std::int64_t today = 21000;
    server::Config config;
    config.retention_days = 30;
    config.unread_reply_days = 180;
    server::MailboxKey mailbox{};
    mailbox.fill(6);
    std::map<std::int64_t, std::string> named;
    {
        auto store = server::Store::open(server::database_path(dir), false);
        store->in_transaction([&] {
            REQUIRE(store->create_mailbox(mailbox, server::TokenHash{}, today - 200));
            const auto add = [&](const std::string& name, server::ItemKind kind, std::int64_t age,
                                 std::optional<std::int64_t> read_age) {
                const auto seq = store->insert_tip(server::TipId::random(), today - age,
                                                   test::pattern_bytes(100), {kind, mailbox});
                if (read_age) store->mark_read(seq, today - *read_age);
                named[seq] = name;
            };
            add("tip 31 days old", server::ItemKind::tip, 31, {});
            add("follow-up 30 days old", server::ItemKind::follow_up, 30, {});
            add("reply read 31 days ago", server::ItemKind::reply, 100, 31);
            add("reply read 30 days ago", server::ItemKind::reply, 100, 30);
            add("unread reply 181 days old", server::ItemKind::reply, 181, {});
            add("unread reply 180 days old", server::ItemKind::reply, 180, {});
        });
    }
    const auto purged = server::purge(dir, config, today);
    CHECK(purged.tips == 1);
    CHECK(purged.read_replies == 1);
    CHECK(purged.unread_replies == 1);
    CHECK(purged.mailboxes == 0);  // it still holds the rest
    auto store = server::Store::open(server::database_path(dir), false);
    std::set<std::string> left;
    for (const auto& t : store->list_tips()) left.insert(named.at(t.seq));
    CHECK(left == std::set<std::string>{"follow-up 30 days old", "reply read 30 days ago",
                                        "unread reply 180 days old"});
    // A day later the rest expire too, and the mailbox, empty and idle, goes with them.
    const auto later = server::purge(dir, config, today + 1);
    CHECK(later.tips == 1);
    CHECK(later.read_replies == 1);
    CHECK(later.unread_replies == 1);
    CHECK(later.mailboxes == 1);
    CHECK(store->list_tips().empty());
}

TEST_CASE(
    "a version 4 database is migrated to version 5: every item, upload and responder state "
    "stays, and the team's state can be stored",
    "[store]") {
    test::TempDir tmp;
    // The schema as version 4 left it, with a fetched tip, a reply one responder deleted from
    // their view and an unfinished upload.
    make_database(tmp / "db", schema_v3_sql + R"sql(
CREATE TABLE responder_state (
  item INTEGER NOT NULL REFERENCES tips (seq) ON DELETE CASCADE,
  responder BLOB NOT NULL CHECK (length(responder) = 32),
  state INTEGER NOT NULL CHECK (state IN (1, 2)),
  PRIMARY KEY (item, responder)) STRICT, WITHOUT ROWID;
ALTER TABLE tips ADD COLUMN read_day INTEGER;
ALTER TABLE tips ADD COLUMN witness_only INTEGER NOT NULL DEFAULT 0 CHECK (witness_only IN (0, 1));
INSERT INTO mailboxes (key, token_hash, day) VALUES (zeroblob(32), zeroblob(32), 20000);
INSERT INTO tips (seq, id, day, size, received, data, kind, mailbox)
  VALUES (1, x'000102030405060708090a0b0c0d0e0f', 20000, 3, 3, x'616263', 1, zeroblob(32));
INSERT INTO tips (seq, id, day, size, received, data, kind, mailbox, read_day)
  VALUES (2, x'101112131415161718191a1b1c1d1e1f', 20001, 3, 3, x'646566', 3, zeroblob(32), 20002);
INSERT INTO tips (seq, id, day, size, complete, received, data)
  VALUES (3, x'202122232425262728292a2b2c2d2e2f', 20002, 10, 0, 3, x'676869');
INSERT INTO uploads (key, tip) VALUES (x'303132333435363738393a3b3c3d3e3f', 3);
INSERT INTO responder_state (item, responder, state) VALUES (1, zeroblob(32), 1);
INSERT INTO responder_state (item, responder, state) VALUES (2, zeroblob(32), 2);
PRAGMA user_version=4;
)sql");
    auto store = server::Store::open(tmp / "db", false);
    const server::ResponderKey alice{}, bob = responder_key(2);
    using Seen = std::vector<std::pair<std::int64_t, bool>>;
    CHECK(view(*store, alice) == Seen{{1, true}});  // the reply left her view, and stays out
    CHECK(view(*store, bob) == Seen{{1, false}, {2, false}});
    CHECK(store->item(2)->read_day == 20002);
    CHECK(store->pending_uploads().count == 1);
    server::TipId upload_key;
    for (std::size_t i = 0; i < upload_key.bytes.size(); ++i)
        upload_key.bytes[i] = static_cast<unsigned char>(0x30 + i);
    REQUIRE(store->find_upload(upload_key));
    CHECK(store->find_upload(upload_key)->received == 3);
    // The references still hold: an item's deletion takes its upload and responder states along.
    store->in_transaction([&] { store->delete_tip(1); });
    CHECK(view(*store, bob) == Seen{{2, false}});
    // The team's state is a kind the table now takes, in every responder's view, and a responder
    // who deletes it removes it only from their own.
    const std::vector<unsigned char> sealed(5000, 0x42);
    const std::int64_t team = store->in_transaction([&] {
        return store->insert_tip(server::TipId::random(), 20003, sealed,
                                 server::Placement{server::ItemKind::team, std::nullopt});
    });
    CHECK(store->item(team)->kind == server::ItemKind::team);
    CHECK(store->team_items_of_size(5000).size() == 1);
    CHECK(store->team_items_of_size(4999).empty());
    store->in_transaction(
        [&] { CHECK_FALSE(store->delete_for_responder(bob, *store->item(team))); });
    CHECK(view(*store, bob) == Seen{{2, false}});
    CHECK(view(*store, alice) == Seen{{team, false}});
    store.reset();
    store = server::Store::open(tmp / "db", false);  // opened again, nothing migrates twice
    CHECK(view(*store, alice) == Seen{{team, false}});
}

TEST_CASE("a version 3 database is migrated to version 4: what was acknowledged stays so for all",
          "[store]") {
    test::TempDir tmp;
    // The schema as version 3 left it (versions 1 to 3 as released), with a mailbox, a tip a
    // responder acknowledged through the shared flag, one nobody did, and a reply.
    make_database(tmp / "db", schema_v3_sql + R"sql(
INSERT INTO mailboxes (key, token_hash, day) VALUES (zeroblob(32), zeroblob(32), 20000);
INSERT INTO tips (seq, id, day, size, received, data, kind, mailbox, acknowledged)
  VALUES (1, x'000102030405060708090a0b0c0d0e0f', 20000, 3, 3, x'616263', 1, zeroblob(32), 1);
INSERT INTO tips (seq, id, day, size, received, data, kind, mailbox, acknowledged)
  VALUES (2, x'101112131415161718191a1b1c1d1e1f', 20001, 3, 3, x'646566', 1, NULL, 0);
INSERT INTO tips (seq, id, day, size, received, data, kind, mailbox, acknowledged)
  VALUES (3, x'202122232425262728292a2b2c2d2e2f', 20002, 3, 3, x'676869', 3, zeroblob(32), 0);
PRAGMA user_version=3;
)sql");

    auto store = server::Store::open(tmp / "db", false);
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((tmp / "db").c_str(), &db) == SQLITE_OK);
        sqlite3_stmt* version = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &version, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(version) == SQLITE_ROW);
        CHECK(sqlite3_column_int(version, 0) == server::store_schema_version);
        sqlite3_finalize(version);
        sqlite3_close(db);
    }
    CHECK(server::store_schema_version == 5);
    // The store never knew who acknowledged tip 1, so it stays acknowledged for every responder,
    // those who join later included; tips 2 and 3 are new to everyone.
    const auto alice = responder_key(1), bob = responder_key(2);
    using Seen = std::vector<std::pair<std::int64_t, bool>>;
    CHECK(view(*store, alice) == Seen{{1, true}, {2, false}, {3, false}});
    CHECK(view(*store, bob) == Seen{{1, true}, {2, false}, {3, false}});
    // The reply was stored before read days existed: it counts as unread.
    CHECK_FALSE(store->item(3)->read_day);
    CHECK(store->item(3)->kind == server::ItemKind::reply);

    // From now on each responder's state is their own, on top of the old flag.
    store->in_transaction([&] {
        store->acknowledge(alice, 2);
        store->delete_for_responder(bob, *store->item(3));
    });
    CHECK(view(*store, alice) == Seen{{1, true}, {2, true}, {3, false}});
    CHECK(view(*store, bob) == Seen{{1, true}, {2, false}});
    crypto::VectorSink out;
    REQUIRE(store->read_tip(3, out));
    CHECK(std::string(out.bytes().begin(), out.bytes().end()) == "ghi");
    store.reset();
    // Opened again, nothing migrates twice.
    store = server::Store::open(tmp / "db", false);
    CHECK(view(*store, alice) == Seen{{1, true}, {2, true}, {3, false}});
}
