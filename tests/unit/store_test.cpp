// Store: chunked rows, days, listing, deletion, schema versions, and purge by retention.
#include "tipline/server/store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support.hpp"
#include "tipline/server/data_dir.hpp"

using namespace tipline;
using test::Bytes;

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
    CHECK(store->tips_before(101).size() == 1);

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
    CHECK(r.tips == 2);
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
    const auto purged = server::purge(dir, 30, 2);
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
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((tmp / "db").c_str(), &db) == SQLITE_OK);
    // The version 1 schema as released, with one stored tip.
    const char* v1 = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE tips (seq INTEGER PRIMARY KEY, id BLOB NOT NULL CHECK (length(id) = 16), day INTEGER NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0), complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1)),
  received INTEGER NOT NULL DEFAULT 0, next_row INTEGER NOT NULL DEFAULT 0, data BLOB) STRICT;
CREATE TABLE tip_rows (key INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT;
CREATE TABLE uploads (key BLOB PRIMARY KEY CHECK (length(key) = 16),
  tip INTEGER NOT NULL UNIQUE REFERENCES tips (seq) ON DELETE CASCADE) STRICT, WITHOUT ROWID;
INSERT INTO tips (id, day, size, received, data) VALUES (x'000102030405060708090a0b0c0d0e0f', 20000, 3, 3, x'616263');
PRAGMA user_version=1;
)sql";
    REQUIRE(sqlite3_exec(db, v1, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);

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
    CHECK(store->items_after(0, 100).size() == 3);
    CHECK(store->items_after(tip, 100).size() == 2);
    CHECK(store->items_after(0, 1).size() == 1);

    store->in_transaction([&] { store->acknowledge(tip); });
    CHECK(store->item(tip)->acknowledged);
    CHECK_FALSE(store->item(reply)->acknowledged);
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
