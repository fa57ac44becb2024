// Store over the SQLite C API with prepared statements; PRAGMAs set for durability and hygiene.
#include "tipline/server/store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <unordered_map>

#include "tipline/crypto/bundle.hpp"

namespace tipline::server {
namespace {

using tooling::Statement;

TipId tip_id(Statement& st, int col) {
    TipId id;
    const auto b = st.blob(col);
    if (b.size() == id.bytes.size()) std::memcpy(id.bytes.data(), b.data(), b.size());
    return id;
}

// Integer keys everywhere: every insert lands at the right edge of its B-tree, which keeps group
// commits close to raw SQLite speed. Tip ids are random and stored, but not indexed.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE tips (
  seq INTEGER PRIMARY KEY,
  id BLOB NOT NULL CHECK (length(id) = 16),
  day INTEGER NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0),
  complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1)),
  received INTEGER NOT NULL DEFAULT 0,
  next_row INTEGER NOT NULL DEFAULT 0,
  data BLOB
) STRICT;
CREATE TABLE tip_rows (key INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT;
CREATE TABLE uploads (
  key BLOB PRIMARY KEY CHECK (length(key) = 16),
  tip INTEGER NOT NULL UNIQUE REFERENCES tips (seq) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
)sql";

// Version 2: mailboxes, and what each stored envelope is. A mailbox is named by a hash of the
// witness's reply key and holds only the hash of the witness's token; its day is the last day
// something was put in it.
constexpr const char* schema_v2 = R"sql(
CREATE TABLE mailboxes (
  key BLOB PRIMARY KEY CHECK (length(key) = 32),
  token_hash BLOB NOT NULL CHECK (length(token_hash) = 32),
  day INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
ALTER TABLE tips ADD COLUMN kind INTEGER NOT NULL DEFAULT 1 CHECK (kind IN (1, 2, 3));
ALTER TABLE tips ADD COLUMN mailbox BLOB REFERENCES mailboxes (key);
ALTER TABLE tips ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1));
CREATE INDEX tips_by_mailbox ON tips (mailbox, seq) WHERE mailbox IS NOT NULL;
)sql";

// Version 3: unfinished uploads found without a scan, for the global limits checked at each new
// upload.
constexpr const char* schema_v3 = R"sql(
CREATE INDEX tips_unfinished ON tips (seq) WHERE complete = 0;
)sql";

// Version 4: each responder's own state of an item, keyed by the Ed25519 key that signs their
// requests: 1 fetched, 2 deleted (only a reply can be deleted and stay, for its witness). The
// shared tips.acknowledged of version 2 is kept and means "acknowledged before version 4"; the
// store cannot know who did it, so it counts for every responder. A reply's read_day is the day
// its witness first read it, and witness_only marks a reply an export handed over to the
// responders, left in its mailbox only for the witness.
constexpr const char* schema_v4 = R"sql(
CREATE TABLE responder_state (
  item INTEGER NOT NULL REFERENCES tips (seq) ON DELETE CASCADE,
  responder BLOB NOT NULL CHECK (length(responder) = 32),
  state INTEGER NOT NULL CHECK (state IN (1, 2)),
  PRIMARY KEY (item, responder)
) STRICT, WITHOUT ROWID;
ALTER TABLE tips ADD COLUMN read_day INTEGER;
ALTER TABLE tips ADD COLUMN witness_only INTEGER NOT NULL DEFAULT 0 CHECK (witness_only IN (0, 1));
)sql";

// Version 5: the team's state (kind 4), triage sealed by one responder for the others. SQLite
// cannot widen a CHECK, so the table is copied into one that allows the new kind, with foreign keys
// off meanwhile so that dropping the old table deletes nothing that refers to it.
constexpr const char* schema_v5 = R"sql(
CREATE TABLE tips_v5 (
  seq INTEGER PRIMARY KEY,
  id BLOB NOT NULL CHECK (length(id) = 16),
  day INTEGER NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0),
  complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1)),
  received INTEGER NOT NULL DEFAULT 0,
  next_row INTEGER NOT NULL DEFAULT 0,
  data BLOB,
  kind INTEGER NOT NULL DEFAULT 1 CHECK (kind IN (1, 2, 3, 4)),
  mailbox BLOB REFERENCES mailboxes (key),
  acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1)),
  read_day INTEGER,
  witness_only INTEGER NOT NULL DEFAULT 0 CHECK (witness_only IN (0, 1))
) STRICT;
INSERT INTO tips_v5 (seq, id, day, size, complete, received, next_row, data, kind, mailbox,
                     acknowledged, read_day, witness_only)
  SELECT seq, id, day, size, complete, received, next_row, data, kind, mailbox, acknowledged,
         read_day, witness_only FROM tips;
DROP TABLE tips;
ALTER TABLE tips_v5 RENAME TO tips;
CREATE INDEX tips_by_mailbox ON tips (mailbox, seq) WHERE mailbox IS NOT NULL;
CREATE INDEX tips_unfinished ON tips (seq) WHERE complete = 0;
CREATE INDEX tips_team_by_size ON tips (size) WHERE kind = 4;
)sql";

// Passes bytes on and counts them.
class CountingSink final : public crypto::ByteSink {
  public:
    explicit CountingSink(crypto::ByteSink& out) : out_(out) {}
    void write(std::span<const unsigned char> bytes) override {
        out_.write(bytes);
        total += bytes.size();
    }
    std::uint64_t total = 0;

  private:
    crypto::ByteSink& out_;
};

// A row of "SELECT seq, id, day, size, kind, mailbox, acknowledged, read_day".
StoredTip read_item(Statement& st) {
    StoredTip t{st.int64(0),
                tip_id(st, 1),
                st.int64(2),
                static_cast<std::uint64_t>(st.int64(3)),
                static_cast<ItemKind>(st.int64(4)),
                std::nullopt,
                st.int64(6) != 0,
                std::nullopt};
    const auto mailbox = st.blob(5);
    if (mailbox.size() == MailboxKey{}.size()) {
        t.mailbox.emplace();
        std::memcpy(t.mailbox->data(), mailbox.data(), mailbox.size());
    }
    if (!st.null(7)) t.read_day = st.int64(7);
    return t;
}

// tip_rows.key packs the tip's seq and the row's number, so a tip's rows are one contiguous range.
constexpr int row_bits = 24;
constexpr std::int64_t first_row_key(std::int64_t seq) { return seq << row_bits; }
constexpr std::int64_t last_row_key(std::int64_t seq) {
    return (seq << row_bits) | ((std::int64_t{1} << row_bits) - 1);
}

}  // namespace

struct Store::StatementCache {
    std::unordered_map<const char*, sqlite3_stmt*> prepared;  // keyed by the SQL literal's address
    ~StatementCache() {
        for (auto& [sql, stmt] : prepared) sqlite3_finalize(stmt);
    }
    Statement get(sqlite3* db, const char* sql) {
        auto [it, fresh] = prepared.try_emplace(sql, nullptr);
        if (fresh && sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &it->second,
                                        nullptr) != SQLITE_OK) {
            prepared.erase(it);
            throw StoreError(std::string("database prepare: ") + sqlite3_errmsg(db),
                             sqlite3_extended_errcode(db));
        }
        return Statement(db, it->second);
    }
};

Store::Store(sqlite3* db) : db_(db), statements_(std::make_unique<StatementCache>()) {}

std::unique_ptr<Store> Store::open(const std::filesystem::path& file, bool create,
                                   bool single_thread) {
    if (create) {
        // SQLite creates the file with the process umask; make it private first.
        const mode_t old = ::umask(077);
        sqlite3* probe = nullptr;
        const int rc = sqlite3_open_v2(file.c_str(), &probe,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
        sqlite3_close(probe);
        ::umask(old);
        if (rc != SQLITE_OK) throw StoreError("cannot create " + file.string(), rc);
    }
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(
        file.c_str(), &db,
        SQLITE_OPEN_READWRITE | (single_thread ? SQLITE_OPEN_NOMUTEX : SQLITE_OPEN_FULLMUTEX),
        nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        throw StoreError("cannot open " + file.string(), rc);
    }
    std::unique_ptr<Store> store(new Store(db));
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    // Takes effect only on a new database: several minimum-size (4268-byte) tips then share a page
    // instead of each spilling into an overflow page.
    store->exec("PRAGMA page_size=16384");
    store->exec("PRAGMA journal_mode=WAL");
    store->exec("PRAGMA synchronous=FULL");
    store->exec("PRAGMA secure_delete=ON");
    store->exec("PRAGMA foreign_keys=ON");
    store->exec("PRAGMA trusted_schema=OFF");
    store->exec("PRAGMA wal_autocheckpoint=0");  // checkpoints run off the commit path
    store->exec("PRAGMA cache_size=-16384");     // 16 MiB of page cache per connection
    store->migrate();
    return store;
}

Store::~Store() {
    statements_.reset();
    sqlite3_close_v2(db_);
}

void Store::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string message = err ? err : "unknown error";
        sqlite3_free(err);
        throw StoreError("database: " + message, sqlite3_extended_errcode(db_));
    }
}

void Store::migrate() {
    std::int64_t current = 0;
    {
        // Finished before any migration: an unfinished statement would lock the tables it reads.
        Statement version = statements_->get(db_, "PRAGMA user_version");
        version.step();
        current = version.int64(0);
    }
    if (current > store_schema_version) {
        throw StoreError(
            "the database was made by a newer tiplined (schema " + std::to_string(current) + ")",
            0);
    }
    if (current < 1) {
        in_transaction([this] {
            exec(schema_v1);
            exec("PRAGMA user_version=1");
        });
    }
    if (current < 2) {
        in_transaction([this] {
            exec(schema_v2);
            exec("PRAGMA user_version=2");
        });
    }
    if (current < 3) {
        in_transaction([this] {
            exec(schema_v3);
            exec("PRAGMA user_version=3");
        });
    }
    if (current < 4) {
        in_transaction([this] {
            exec(schema_v4);
            exec("PRAGMA user_version=4");
        });
    }
    if (current < 5) {
        exec("PRAGMA foreign_keys=OFF");  // takes effect only outside a transaction
        try {
            in_transaction([this] {
                exec(schema_v5);
                Statement check(db_, "PRAGMA foreign_key_check");
                if (check.step())
                    throw StoreError("the database's references broke while it was migrated", 0);
                exec("PRAGMA user_version=5");
            });
        } catch (...) {
            exec("PRAGMA foreign_keys=ON");
            throw;
        }
        exec("PRAGMA foreign_keys=ON");
    }
}

void Store::begin() { exec("BEGIN IMMEDIATE"); }
void Store::commit() { exec("COMMIT"); }
void Store::rollback() noexcept { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }
void Store::savepoint() { exec("SAVEPOINT write"); }
void Store::release_savepoint() { exec("RELEASE write"); }
void Store::rollback_to_savepoint() noexcept {
    sqlite3_exec(db_, "ROLLBACK TO write", nullptr, nullptr, nullptr);
    sqlite3_exec(db_, "RELEASE write", nullptr, nullptr, nullptr);
}

std::int64_t Store::insert_tip(const TipId& id, std::int64_t day,
                               std::span<const unsigned char> envelope,
                               const Placement& placement) {
    const bool inline_data = envelope.size() <= store_row_size;
    {
        Statement tip = statements_->get(db_,
                                         "INSERT INTO tips (id, day, size, received, data, kind, "
                                         "mailbox) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)");
        tip.bind(1, id.bytes).bind(2, day).bind(3, static_cast<std::int64_t>(envelope.size()));
        if (inline_data) tip.bind(4, envelope);
        tip.bind(5, static_cast<std::int64_t>(placement.kind));
        if (placement.mailbox) tip.bind(6, *placement.mailbox);
        tip.run();
    }
    const std::int64_t seq = sqlite3_last_insert_rowid(db_);
    if (!inline_data) {
        UploadState state{seq, id, envelope.size(), 0, 0};
        append_rows(state, envelope);
    }
    return seq;
}

void Store::append_rows(UploadState& state, std::span<const unsigned char> bytes) {
    for (std::size_t at = 0; at < bytes.size(); at += store_row_size) {
        if (state.next_row >> row_bits != 0)
            throw StoreError("database: a tip has too many rows", 0);
        Statement row = statements_->get(db_, "INSERT INTO tip_rows (key, data) VALUES (?1, ?2)");
        row.bind(1, first_row_key(state.seq) + state.next_row++)
            .bind(2, bytes.subspan(at, std::min(store_row_size, bytes.size() - at)))
            .run();
    }
    state.received += bytes.size();
}

void Store::delete_tip(std::int64_t seq) {
    Statement rows = statements_->get(db_, "DELETE FROM tip_rows WHERE key BETWEEN ?1 AND ?2");
    rows.bind(1, first_row_key(seq)).bind(2, last_row_key(seq)).run();
    Statement tip = statements_->get(db_, "DELETE FROM tips WHERE seq = ?1");
    tip.bind(1, seq).run();
}

std::vector<StoredTip> Store::list_tips() {
    std::vector<StoredTip> out;
    Statement st = statements_->get(db_,
                                    "SELECT seq, id, day, size, kind, mailbox, acknowledged, "
                                    "read_day FROM tips WHERE complete = 1 ORDER BY day, id");
    while (st.step()) out.push_back(read_item(st));
    return out;
}

std::vector<StoredTip> Store::export_items() {
    std::vector<StoredTip> out;
    Statement st = statements_->get(
        db_,
        "SELECT seq, id, day, size, kind, mailbox, acknowledged, read_day FROM tips "
        "WHERE complete = 1 AND witness_only = 0 ORDER BY day, id");
    while (st.step()) out.push_back(read_item(st));
    return out;
}

std::vector<StoredTip> Store::expired_items(std::int64_t cutoff, std::int64_t unread_cutoff) {
    std::vector<StoredTip> out;
    Statement st = statements_->get(
        db_,
        "SELECT seq, id, day, size, kind, mailbox, acknowledged, read_day FROM tips "
        "WHERE complete = 1 AND CASE WHEN kind != 3 THEN day < ?1 "
        "WHEN read_day IS NOT NULL THEN read_day < ?1 ELSE day < ?2 END ORDER BY day, id");
    st.bind(1, cutoff).bind(2, unread_cutoff);
    while (st.step()) out.push_back(read_item(st));
    return out;
}

bool Store::read_tip(std::int64_t seq, crypto::ByteSink& out) {
    std::uint64_t size = 0;
    {
        Statement st =
            statements_->get(db_, "SELECT size FROM tips WHERE seq = ?1 AND complete = 1");
        st.bind(1, seq);
        if (!st.step()) return false;
        size = static_cast<std::uint64_t>(st.int64(0));
    }
    CountingSink counted(out);
    read_prefix(seq, size, counted);
    if (counted.total != size) throw StoreError("database: a tip has the wrong size", 0);
    return true;
}

void Store::write_bundle(std::span<const StoredTip> items, crypto::ByteSink& out) {
    std::vector<crypto::BundleEntry> entries;
    entries.reserve(items.size());
    for (const StoredTip& t : items) {
        crypto::BundleEntry e;
        e.id = t.id.bytes;
        e.day = static_cast<std::uint32_t>(t.day);
        e.size = t.size;
        entries.push_back(e);
    }
    crypto::write_bundle_manifest(out, entries);
    for (const StoredTip& t : items) {
        if (!read_tip(t.seq, out))
            throw StoreError("database: a tip vanished while it was being read", 0);
    }
}

StoreStats Store::stats() {
    StoreStats out;
    Statement st = statements_->get(
        db_,
        "SELECT count(*), coalesce(sum(size), 0), coalesce(min(day), 0), coalesce(max(day), 0) "
        "FROM tips WHERE complete = 1");
    st.step();
    out.tips = static_cast<std::uint64_t>(st.int64(0));
    out.bytes = static_cast<std::uint64_t>(st.int64(1));
    out.oldest_day = st.int64(2);
    out.newest_day = st.int64(3);
    Statement up = statements_->get(
        db_,
        "SELECT count(*), coalesce(sum(received), 0), coalesce(sum(size), 0) FROM tips "
        "WHERE complete = 0");
    up.step();
    out.uploads = static_cast<std::uint64_t>(up.int64(0));
    out.upload_bytes = static_cast<std::uint64_t>(up.int64(1));
    out.upload_declared_bytes = static_cast<std::uint64_t>(up.int64(2));
    return out;
}

PendingUploads Store::pending_uploads() {
    Statement st = statements_->get(
        db_,
        "SELECT count(*), coalesce(sum(size), 0), coalesce(sum(received), 0) FROM tips "
        "WHERE complete = 0");
    st.step();
    return {static_cast<std::uint64_t>(st.int64(0)), static_cast<std::uint64_t>(st.int64(1)),
            static_cast<std::uint64_t>(st.int64(2))};
}

std::uint64_t Store::stored_bytes() {
    const StoreStats s = stats();
    return s.bytes + s.upload_bytes;
}

std::int64_t Store::begin_upload(const TipId& key, const TipId& tip, std::int64_t day,
                                 std::uint64_t length, const Placement& placement) {
    {
        Statement st = statements_->get(db_,
                                        "INSERT INTO tips (id, day, size, complete, kind, mailbox) "
                                        "VALUES (?1, ?2, ?3, 0, ?4, ?5)");
        st.bind(1, tip.bytes).bind(2, day).bind(3, static_cast<std::int64_t>(length));
        st.bind(4, static_cast<std::int64_t>(placement.kind));
        if (placement.mailbox) st.bind(5, *placement.mailbox);
        st.run();
    }
    const std::int64_t seq = sqlite3_last_insert_rowid(db_);
    Statement up = statements_->get(db_, "INSERT INTO uploads (key, tip) VALUES (?1, ?2)");
    up.bind(1, key.bytes).bind(2, seq).run();
    return seq;
}

std::optional<UploadState> Store::find_upload(const TipId& key) {
    Statement st = statements_->get(db_,
                                    "SELECT t.seq, t.id, t.size, t.received, t.next_row FROM "
                                    "uploads u JOIN tips t ON t.seq = u.tip "
                                    "WHERE u.key = ?1 AND t.complete = 0");
    st.bind(1, key.bytes);
    if (!st.step()) return std::nullopt;
    return UploadState{st.int64(0), tip_id(st, 1), static_cast<std::uint64_t>(st.int64(2)),
                       static_cast<std::uint64_t>(st.int64(3)), st.int64(4)};
}

void Store::append_upload(UploadState& state, std::span<const unsigned char> bytes) {
    append_rows(state, bytes);
    Statement st =
        statements_->get(db_, "UPDATE tips SET received = ?2, next_row = ?3 WHERE seq = ?1");
    st.bind(1, state.seq)
        .bind(2, static_cast<std::int64_t>(state.received))
        .bind(3, state.next_row)
        .run();
}

void Store::read_prefix(std::int64_t seq, std::uint64_t n, crypto::ByteSink& out) {
    read_range(seq, 0, n, out);
}

void Store::read_range(std::int64_t seq, std::uint64_t offset, std::uint64_t n,
                       crypto::ByteSink& out) {
    {
        Statement inline_data =
            statements_->get(db_, "SELECT data FROM tips WHERE seq = ?1 AND data IS NOT NULL");
        inline_data.bind(1, seq);
        if (inline_data.step()) {
            const auto data = inline_data.blob(0);
            if (offset >= data.size()) return;
            const auto from = static_cast<std::size_t>(offset);
            out.write(data.subspan(
                from, static_cast<std::size_t>(std::min<std::uint64_t>(n, data.size() - from))));
            return;
        }
    }
    // Rows differ in size (an upload's rows follow its chunks), so walk them; length() reads no
    // data.
    Statement rows = statements_->get(
        db_, "SELECT length(data), data FROM tip_rows WHERE key BETWEEN ?1 AND ?2 ORDER BY key");
    rows.bind(1, first_row_key(seq)).bind(2, last_row_key(seq));
    std::uint64_t at = 0;
    while (n > 0 && rows.step()) {
        const auto size = static_cast<std::uint64_t>(rows.int64(0));
        if (at + size <= offset) {
            at += size;
            continue;
        }
        const auto data = rows.blob(1);
        const auto skip = static_cast<std::size_t>(offset > at ? offset - at : 0);
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(n, data.size() - skip));
        out.write(data.subspan(skip, take));
        n -= take;
        at += size;
    }
}

void Store::finish_upload(const TipId& key) {
    const auto state = find_upload(key);
    if (!state) return;
    {
        Statement st = statements_->get(db_, "UPDATE tips SET complete = 1 WHERE seq = ?1");
        st.bind(1, state->seq).run();
    }
    Statement up = statements_->get(db_, "DELETE FROM uploads WHERE key = ?1");
    up.bind(1, key.bytes).run();
}

void Store::delete_upload(const TipId& key) {
    if (const auto state = find_upload(key)) delete_tip(state->seq);
}

std::size_t Store::delete_uploads_before(std::int64_t day) {
    std::vector<std::int64_t> stale;
    {
        Statement st =
            statements_->get(db_, "SELECT seq FROM tips WHERE complete = 0 AND day < ?1");
        st.bind(1, day);
        while (st.step()) stale.push_back(st.int64(0));
    }
    for (const std::int64_t seq : stale) delete_tip(seq);
    return stale.size();
}

std::vector<std::int64_t> Store::unfinished_uploads() {
    Statement st = statements_->get(db_, "SELECT seq FROM tips WHERE complete = 0");
    std::vector<std::int64_t> out;
    while (st.step()) out.push_back(st.int64(0));
    return out;
}

bool Store::create_mailbox(const MailboxKey& key, const TokenHash& token_hash, std::int64_t day) {
    Statement st = statements_->get(
        db_,
        "INSERT INTO mailboxes (key, token_hash, day) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
    st.bind(1, key).bind(2, token_hash).bind(3, day).run();
    return sqlite3_changes(db_) == 1;
}

std::optional<TokenHash> Store::mailbox_token_hash(const MailboxKey& key) {
    Statement st = statements_->get(db_, "SELECT token_hash FROM mailboxes WHERE key = ?1");
    st.bind(1, key);
    if (!st.step()) return std::nullopt;
    const auto b = st.blob(0);
    TokenHash out{};
    if (b.size() != out.size()) throw StoreError("database: a mailbox has a damaged token hash", 0);
    std::memcpy(out.data(), b.data(), out.size());
    return out;
}

std::vector<StoredTip> Store::mailbox_items(const MailboxKey& key, ItemKind kind) {
    std::vector<StoredTip> out;
    Statement st = statements_->get(
        db_,
        "SELECT seq, id, day, size, kind, mailbox, acknowledged, read_day FROM tips "
        "WHERE mailbox = ?1 AND kind = ?2 AND complete = 1 ORDER BY seq");
    st.bind(1, key).bind(2, static_cast<std::int64_t>(kind));
    while (st.step()) out.push_back(read_item(st));
    return out;
}

std::vector<StoredTip> Store::team_items_of_size(std::uint64_t size) {
    std::vector<StoredTip> out;
    Statement st = statements_->get(
        db_,
        "SELECT seq, id, day, size, kind, mailbox, acknowledged, read_day FROM tips "
        "WHERE kind = 4 AND size = ?1 AND complete = 1 ORDER BY seq");
    st.bind(1, static_cast<std::int64_t>(size));
    while (st.step()) out.push_back(read_item(st));
    return out;
}

void Store::touch_mailbox(const MailboxKey& key, std::int64_t day) {
    Statement st = statements_->get(db_, "UPDATE mailboxes SET day = max(day, ?2) WHERE key = ?1");
    st.bind(1, key).bind(2, day).run();
}

std::size_t Store::delete_idle_mailboxes(std::int64_t day) {
    Statement st = statements_->get(db_,
                                    "DELETE FROM mailboxes WHERE day < ?1 AND NOT EXISTS (SELECT 1 "
                                    "FROM tips WHERE tips.mailbox = mailboxes.key)");
    st.bind(1, day).run();
    return static_cast<std::size_t>(sqlite3_changes(db_));
}

// A responder's view of an item: its own state, or the shared flag of before schema 4.
std::vector<StoredTip> Store::items_after(const ResponderKey& who, std::int64_t cursor,
                                          std::size_t limit) {
    std::vector<StoredTip> out;
    Statement st = statements_->get(
        db_,
        "SELECT t.seq, t.id, t.day, t.size, t.kind, t.mailbox, "
        "t.acknowledged = 1 OR coalesce(s.state, 0) = 1, t.read_day FROM tips t "
        "LEFT JOIN responder_state s ON s.item = t.seq AND s.responder = ?3 "
        "WHERE t.seq > ?1 AND t.complete = 1 AND t.witness_only = 0 AND s.state IS NOT 2 "
        "ORDER BY t.seq LIMIT ?2");
    st.bind(1, cursor).bind(2, static_cast<std::int64_t>(limit)).bind(3, who);
    while (st.step()) out.push_back(read_item(st));
    return out;
}

std::optional<StoredTip> Store::item_for(const ResponderKey& who, std::int64_t seq) {
    Statement st = statements_->get(
        db_,
        "SELECT t.seq, t.id, t.day, t.size, t.kind, t.mailbox, "
        "t.acknowledged = 1 OR coalesce(s.state, 0) = 1, t.read_day FROM tips t "
        "LEFT JOIN responder_state s ON s.item = t.seq AND s.responder = ?2 "
        "WHERE t.seq = ?1 AND t.complete = 1 AND t.witness_only = 0 AND s.state IS NOT 2");
    st.bind(1, seq).bind(2, who);
    if (!st.step()) return std::nullopt;
    return read_item(st);
}

std::optional<StoredTip> Store::item(std::int64_t seq) {
    Statement st = statements_->get(db_,
                                    "SELECT seq, id, day, size, kind, mailbox, acknowledged, "
                                    "read_day FROM tips WHERE seq = ?1 AND complete = 1");
    st.bind(1, seq);
    if (!st.step()) return std::nullopt;
    return read_item(st);
}

void Store::acknowledge(const ResponderKey& who, std::int64_t seq) {
    Statement st = statements_->get(db_,
                                    "INSERT INTO responder_state (item, responder, state) "
                                    "VALUES (?1, ?2, 1) ON CONFLICT DO NOTHING");
    st.bind(1, seq).bind(2, who).run();
}

bool Store::delete_for_responder(const ResponderKey& who, const StoredTip& item) {
    if (item.kind == ItemKind::tip || item.kind == ItemKind::follow_up) {
        delete_tip(item.seq);
        return true;
    }
    Statement st =
        statements_->get(db_,
                         "INSERT INTO responder_state (item, responder, state) VALUES (?1, ?2, 2) "
                         "ON CONFLICT (item, responder) DO UPDATE SET state = 2");
    st.bind(1, item.seq).bind(2, who).run();
    return false;
}

bool Store::delete_exported(const StoredTip& item) {
    if (item.kind != ItemKind::reply) {
        delete_tip(item.seq);
        return true;
    }
    Statement st = statements_->get(db_, "UPDATE tips SET witness_only = 1 WHERE seq = ?1");
    st.bind(1, item.seq).run();
    return false;
}

void Store::mark_read(std::int64_t seq, std::int64_t day) {
    Statement st =
        statements_->get(db_, "UPDATE tips SET read_day = ?2 WHERE seq = ?1 AND read_day IS NULL");
    st.bind(1, seq).bind(2, day).run();
}

std::string Store::meta(std::string_view key) {
    Statement st = statements_->get(db_, "SELECT value FROM meta WHERE key = ?1");
    st.bind(1, key);
    return st.step() ? st.text(0) : std::string();
}

void Store::set_meta(std::string_view key, std::string_view value) {
    Statement st = statements_->get(
        db_,
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2");
    st.bind(1, key).bind(2, value).run();
}

void Store::backup_into(const std::filesystem::path& file) {
    sqlite3* copy = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &copy, SQLITE_OPEN_READWRITE, nullptr);
    const auto fail = [&](const std::string& what) {
        const std::string reason = copy != nullptr ? sqlite3_errmsg(copy) : sqlite3_errstr(rc);
        sqlite3_close(copy);
        throw StoreError("backup: " + what + ": " + reason, rc);
    };
    if (rc != SQLITE_OK) fail("cannot open the copy");
    sqlite3_backup* backup = sqlite3_backup_init(copy, "main", db_, "main");
    if (backup == nullptr) {
        rc = sqlite3_errcode(copy);
        fail("cannot start");
    }
    // All pages in one step: the copy is one snapshot even while tiplined commits tips.
    do {
        rc = sqlite3_backup_step(backup, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    const int step_rc = rc;
    rc = sqlite3_backup_finish(backup);
    if (step_rc != SQLITE_DONE) {
        rc = step_rc;
        fail("copying failed");
    }
    if (rc != SQLITE_OK) fail("copying failed");
    rc = sqlite3_exec(copy, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail("cannot leave WAL mode");
    sqlite3_stmt* check = nullptr;
    rc = sqlite3_prepare_v2(copy, "PRAGMA integrity_check", -1, &check, nullptr);
    if (rc != SQLITE_OK) fail("cannot check the copy");
    std::string verdict;
    if (sqlite3_step(check) == SQLITE_ROW)
        verdict = reinterpret_cast<const char*>(sqlite3_column_text(check, 0));
    sqlite3_finalize(check);
    if (verdict != "ok") {
        rc = SQLITE_CORRUPT;
        fail("the copy fails integrity_check (" + verdict + ")");
    }
    rc = sqlite3_close(copy);
    copy = nullptr;
    if (rc != SQLITE_OK) throw StoreError("backup: cannot close the copy", rc);
}

bool Store::checkpoint(bool truncate) {
    int log = 0, done = 0;
    const int rc = sqlite3_wal_checkpoint_v2(
        db_, nullptr, truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE, &log,
        &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) throw StoreError("database checkpoint failed", rc);
    return rc == SQLITE_OK && log == done;
}

}  // namespace tipline::server
