// Store: chunked rows, days, listing, deletion, schema versions, and purge by retention.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>

#include "support.hpp"
#include "tipline/server/data_dir.hpp"
#include "tipline/server/store.hpp"

using namespace tipline;
using test::Bytes;

TEST_CASE("tips of any size come back byte for byte from chunked rows", "[store]") {
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    struct stat st {};
    REQUIRE(::stat((tmp / "db").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    const Bytes small = test::pattern_bytes(4268), large = test::pattern_bytes(3 * server::store_row_size + 5, 2);
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
    server::init_data_dir(dir, {crypto::encode_public_key(crypto::SecretIdentity::generate().public_identity)});
    {
        auto store = server::Store::open(server::database_path(dir), false);
        store->in_transaction([&] {
            for (std::int64_t day : {20780, 20783, 20790}) store->insert_tip(server::TipId::random(), day, test::pattern_bytes(100));
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
    sqlite3_exec(db, "PRAGMA user_version=2", nullptr, nullptr, nullptr);
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
