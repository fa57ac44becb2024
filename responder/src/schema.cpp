// The case store's schema. Conversations, messages and attachments come from imported envelopes
// and are the same on every responder's machine; the triage is a map of fields per conversation,
// each merged by last writer wins over (clock, writer), so that stores converge in any order.
#include "tipline/responder/schema.hpp"

#include <string>

#include "tipline/client/messages.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/sqlite.hpp"

namespace tipline::responder {
namespace {

constexpr const char* pragmas =
    "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;";

constexpr const char* tables = R"sql(
CREATE TABLE conversation (
  id INTEGER PRIMARY KEY,
  thread TEXT NOT NULL UNIQUE,
  reply_key BLOB,
  first_day INTEGER NOT NULL,
  last_day INTEGER NOT NULL
) STRICT;
CREATE TABLE message (
  id INTEGER PRIMARY KEY,
  item BLOB NOT NULL UNIQUE,
  conversation INTEGER NOT NULL REFERENCES conversation(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('tip', 'follow_up', 'reply')),
  day INTEGER NOT NULL,
  written INTEGER NOT NULL,
  language TEXT NOT NULL,
  body TEXT NOT NULL,
  signer TEXT
) STRICT;
CREATE INDEX message_by_conversation ON message(conversation, day, written);
CREATE TABLE attachment (
  file BLOB PRIMARY KEY,
  message INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL
) STRICT;
CREATE INDEX attachment_by_message ON attachment(message, position);
CREATE TABLE field (
  thread TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  clock INTEGER NOT NULL,
  writer TEXT NOT NULL,
  day INTEGER NOT NULL,
  PRIMARY KEY (thread, name)
) STRICT;
CREATE TABLE safe_copy (
  original BLOB PRIMARY KEY REFERENCES attachment(file) ON DELETE CASCADE,
  file BLOB NOT NULL UNIQUE,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  pages INTEGER NOT NULL,
  note TEXT NOT NULL
) STRICT;
CREATE TABLE deleted (
  item BLOB PRIMARY KEY
) STRICT;
CREATE VIRTUAL TABLE search USING fts5(text, thread UNINDEXED, source UNINDEXED,
                                       tokenize = 'trigram');
)sql";

// Version 2 added the team (team.hpp); a version 1 store gets its tables when it is opened.
constexpr const char* team_tables = R"sql(
CREATE TABLE team (
  fingerprint TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  box BLOB NOT NULL,
  sign BLOB NOT NULL
) STRICT;
CREATE TABLE team_list (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  organisation BLOB NOT NULL,
  serial INTEGER NOT NULL,
  expires_day INTEGER NOT NULL
) STRICT;
)sql";

// Version 3 added the team's state (team_state.hpp): the team-state envelopes applied, the fields
// this responder changed and has not yet sealed for the team, the conversations deleted here (whose
// late changes are not kept) and the Lamport clock, which outlives the fields of a deletion.
constexpr const char* team_state_tables = R"sql(
CREATE TABLE team_item (
  item BLOB PRIMARY KEY
) STRICT;
CREATE TABLE unshared (
  thread TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (thread, name)
) STRICT;
CREATE TABLE deleted_thread (
  thread TEXT PRIMARY KEY
) STRICT;
CREATE TABLE lamport (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  clock INTEGER NOT NULL
) STRICT;
INSERT INTO lamport (id, clock) SELECT 1, coalesce(max(clock), 0) FROM field;
)sql";

// Conversations deleted before version 3 whose thread can still be named: a tip without a receipt
// is its own thread, its item id. (A deleted message's mailbox was not kept, so a conversation
// with a receipt deleted before version 3 is not protected from a colleague's late changes.)
constexpr const char* deleted_before =
    "INSERT OR IGNORE INTO deleted_thread (thread) SELECT lower(hex(item)) FROM deleted;";

// A store from before version 3 shares its triage so far the first time it shares: its fields
// count as not yet sealed, and sharing takes those this responder wrote.
constexpr const char* unshare_older_fields =
    "INSERT INTO unshared (thread, name) SELECT thread, name FROM field;";

}  // namespace

void create_schema(sqlite3* db) {
    tooling::exec_sql(db, pragmas);
    tooling::exec_sql(db, "BEGIN");
    tooling::exec_sql(db, tables);
    tooling::exec_sql(db, team_tables);
    tooling::exec_sql(db, team_state_tables);
    tooling::exec_sql(db, ("PRAGMA user_version = " + std::to_string(schema_version)).c_str());
    tooling::exec_sql(db, "COMMIT");
}

void check_schema(sqlite3* db, const std::filesystem::path& store) {
    std::int64_t found = 0;
    {
        tooling::Statement version(db, "PRAGMA user_version");
        version.step();
        found = version.int64(0);
    }
    if (found == 1 || found == 2) {
        tooling::exec_sql(db, "BEGIN");
        if (found == 1) tooling::exec_sql(db, team_tables);
        tooling::exec_sql(db, team_state_tables);
        tooling::exec_sql(db, unshare_older_fields);
        tooling::exec_sql(db, deleted_before);
        tooling::exec_sql(db, "PRAGMA user_version = 3; COMMIT");
    } else if (found != schema_version) {
        tooling::usage_error(
            // TRANSLATORS: the case store: the responder's encrypted store of conversations, in
            // the folder {store}. {version} and {supported} are numbers of its format.
            client::tr("the case store '{store}' has version {version}, and this "
                       "tipline-responder reads version {supported}",
                       {{"store", store.string()},
                        {"version", std::to_string(found)},
                        {"supported", std::to_string(schema_version)}}),
            {found > schema_version
                 ? client::tr("upgrade tipline-responder")
                 : client::tr("the store is damaged; restore it from a backup")});
    }
    tooling::exec_sql(db, pragmas);
}

}  // namespace tipline::responder
