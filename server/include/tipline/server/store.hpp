// SQLite store of ciphertext: each tip as chunked rows with a received day, and nothing about its
// sender.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tipline/crypto/days.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/server/tip_id.hpp"
#include "tipline/tooling/sqlite.hpp"

struct sqlite3;

namespace tipline::server {

inline constexpr std::size_t store_row_size =
    256 * 1024;  // a large tip never sits whole in one row
inline constexpr int store_schema_version = 5;
inline constexpr std::size_t upload_key_bytes = 16;

// Days since the Unix epoch in UTC: the only time the server keeps.
using crypto::current_day;

// What an envelope is, as its sender declared it to the server. The numbers are the tip document's.
// team: the team's state, which one responder seals for the others (FORMAT.md 9.6).
enum class ItemKind : std::int64_t { tip = 1, follow_up = 2, reply = 3, team = 4 };

// A mailbox's public name: LH("tipline mailbox id v1", reply key), 32 bytes.
using MailboxKey = std::array<unsigned char, 32>;
using TokenHash = std::array<unsigned char, 32>;
// A responder, by the Ed25519 public key that signs their requests to the responder API.
using ResponderKey = crypto::SignPublicKey;

struct StoredTip {
    std::int64_t seq = 0;  // the row's internal key; shown to responders only, as a cursor
    TipId id;
    std::int64_t day = 0;
    std::uint64_t size = 0;
    ItemKind kind = ItemKind::tip;
    std::optional<MailboxKey> mailbox;
    // In a responder's view (items_after, item_for): whether that responder acknowledged it.
    // Elsewhere: whether it was acknowledged before schema 4, which counts for every responder.
    bool acknowledged = false;
    std::optional<std::int64_t> read_day;  // a reply: the day its witness first read it
};

// Where a new envelope belongs: a plain tip, a tip that opens a mailbox, or a message in one.
struct Placement {
    ItemKind kind = ItemKind::tip;
    std::optional<MailboxKey> mailbox;
};

// An envelope arriving in pieces: stored as an incomplete tip until it is finished.
struct UploadState {
    std::int64_t seq = 0;        // internal key of the tip row
    TipId tip;                   // the id the tip gets once finished
    std::uint64_t length = 0;    // declared envelope length
    std::uint64_t received = 0;  // bytes durably stored so far
    std::int64_t next_row = 0;
};

struct StoreStats {
    std::uint64_t tips = 0;
    std::uint64_t bytes = 0;
    std::uint64_t uploads = 0;                // unfinished
    std::uint64_t upload_bytes = 0;           // received so far by unfinished uploads
    std::uint64_t upload_declared_bytes = 0;  // the lengths they declared
    std::int64_t oldest_day = 0;              // 0 when empty
    std::int64_t newest_day = 0;
};

struct PendingUploads {
    std::uint64_t count = 0;
    std::uint64_t declared_bytes = 0;  // the lengths the unfinished uploads declared, together
    std::uint64_t received_bytes = 0;  // what they have sent so far, together
};

// Thrown for SQLite failures; full() tells a full disk or quota apart from other failures.
using StoreError = tooling::SqliteError;

// One connection; use one Store per thread.
class Store {
  public:
    // Opens the database, creating it (mode 0600) when create is set, and migrates the schema.
    // single_thread: the connection is used by one thread only, so SQLite's per-call mutex is
    // skipped.
    static std::unique_ptr<Store> open(const std::filesystem::path& file, bool create,
                                       bool single_thread = false);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    void begin();
    void commit();
    void rollback() noexcept;
    // Runs f in a transaction: committed when f returns, rolled back when it throws.
    template <typename F>
    auto in_transaction(F&& f) {
        begin();
        try {
            if constexpr (std::is_void_v<decltype(f())>) {
                f();
                commit();
            } else {
                auto result = f();
                commit();
                return result;
            }
        } catch (...) {
            rollback();
            throw;
        }
    }
    // Nested undo points inside a transaction, one per write of a group commit.
    void savepoint();
    void release_savepoint();
    void rollback_to_savepoint() noexcept;

    // Inside a transaction. An envelope up to store_row_size bytes is one row; a larger one is
    // split into rows of that size. Returns the internal key.
    std::int64_t insert_tip(const TipId& id, std::int64_t day,
                            std::span<const unsigned char> envelope,
                            const Placement& placement = {});
    void delete_tip(std::int64_t seq);

    // Mailboxes, inside a transaction. create_mailbox is false when the key is taken.
    bool create_mailbox(const MailboxKey& key, const TokenHash& token_hash, std::int64_t day);
    std::optional<TokenHash> mailbox_token_hash(const MailboxKey& key);
    // Complete items of one kind in a mailbox, oldest first.
    std::vector<StoredTip> mailbox_items(const MailboxKey& key, ItemKind kind);
    // Complete items of the team's state of exactly this size, oldest first.
    std::vector<StoredTip> team_items_of_size(std::uint64_t size);
    // A mailbox's day is the last day something was put in it.
    void touch_mailbox(const MailboxKey& key, std::int64_t day);
    // Deletes mailboxes that hold no item and saw nothing since before day; returns how many. A
    // mailbox outlives its items until then, so responders can still answer a tip they deleted.
    std::size_t delete_idle_mailboxes(std::int64_t day);

    // One responder's view: complete items after a cursor (a seq), oldest first, at most limit,
    // without the replies this responder deleted or an export handed over.
    std::vector<StoredTip> items_after(const ResponderKey& who, std::int64_t cursor,
                                       std::size_t limit);
    // One item in that view; nullopt when there is none, or it is not in the view.
    std::optional<StoredTip> item_for(const ResponderKey& who, std::int64_t seq);
    // A complete item, whoever has fetched or deleted it.
    std::optional<StoredTip> item(std::int64_t seq);
    // Marks an item fetched for one responder only.
    void acknowledge(const ResponderKey& who, std::int64_t seq);
    // A responder's delete. A tip or follow-up is erased, for every responder (returns true). A
    // reply only leaves this responder's view: it stays in its mailbox for the witness until
    // purge expires it (returns false). So does the team's state, for the other responders.
    bool delete_for_responder(const ResponderKey& who, const StoredTip& item);
    // The delete after tiplined export: as above, but a reply leaves every responder's view.
    bool delete_exported(const StoredTip& item);
    // Records the day a witness first read a reply; a later read changes nothing.
    void mark_read(std::int64_t seq, std::int64_t day);

    // Resumable uploads, each inside a transaction. key is the client's capability, tip the future
    // id.
    // Returns the upload's seq.
    std::int64_t begin_upload(const TipId& key, const TipId& tip, std::int64_t day,
                              std::uint64_t length, const Placement& placement = {});
    std::optional<UploadState> find_upload(const TipId& key);
    void append_upload(UploadState& state, std::span<const unsigned char> bytes);
    // Streams the first n bytes of a tip or upload, or n bytes from offset (fewer at the end).
    void read_prefix(std::int64_t seq, std::uint64_t n, crypto::ByteSink& out);
    void read_range(std::int64_t seq, std::uint64_t offset, std::uint64_t n, crypto::ByteSink& out);
    void finish_upload(const TipId& key);
    void delete_upload(const TipId& key);
    // Deletes unfinished uploads started before day; returns how many.
    std::size_t delete_uploads_before(std::int64_t day);
    // The seqs of the unfinished uploads.
    std::vector<std::int64_t> unfinished_uploads();

    // Unfinished uploads, for the global limits on them.
    PendingUploads pending_uploads();
    // Bytes held by complete tips and unfinished uploads together, for the quota.
    std::uint64_t stored_bytes();

    // Every complete item, by day and id.
    std::vector<StoredTip> list_tips();
    // What an export takes: every complete item but the replies an earlier export handed over.
    std::vector<StoredTip> export_items();
    // What purge deletes: tips and follow-ups received before cutoff, replies their witness first
    // read before cutoff, and replies never read that were received before unread_cutoff.
    std::vector<StoredTip> expired_items(std::int64_t cutoff, std::int64_t unread_cutoff);
    // Streams a complete tip's envelope; false when there is no such tip.
    bool read_tip(std::int64_t seq, crypto::ByteSink& out);
    // Writes a bundle (FORMAT.md section 11) of these items: manifest, then each envelope.
    void write_bundle(std::span<const StoredTip> items, crypto::ByteSink& out);
    StoreStats stats();

    std::string meta(std::string_view key);
    void set_meta(std::string_view key, std::string_view value);

    // Copies the whole database into file, an existing empty file, with SQLite's online backup API:
    // one consistent snapshot, taken under a read lock that does not block writers. The copy is
    // left in rollback-journal mode, as a single self-contained file, and must pass
    // integrity_check.
    void backup_into(const std::filesystem::path& file);

    // Copies WAL frames into the database without blocking writers (PASSIVE), or fully, emptying
    // the WAL file (TRUNCATE); returns whether every frame was copied (and, for TRUNCATE, the WAL
    // emptied), false when readers or a writer held it off.
    bool checkpoint(bool truncate);

    struct StatementCache;  // prepared once per connection, reused by every call

  private:
    explicit Store(sqlite3* db);
    void append_rows(UploadState& state, std::span<const unsigned char> bytes);
    void exec(const char* sql);
    void migrate();

    sqlite3* db_;
    std::unique_ptr<StatementCache> statements_;
};

}  // namespace tipline::server
