// The operator's commands on a data directory: init, export, backup, purge and stats.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tipline/server/config.hpp"
#include "tipline/server/server_info.hpp"
#include "tipline/server/store.hpp"

namespace tipline::server {

// Creates dir (mode 0700) holding tiplined.conf and an empty database with a fresh deployment salt.
// Refuses a folder that exists and is not empty. responders are public key texts, already checked.
// Returns the quota it wrote: default_quota() of the space free on dir's file system.
std::uint64_t init_data_dir(const std::filesystem::path& dir,
                            const std::vector<std::string>& responders);

std::filesystem::path database_path(const std::filesystem::path& dir);

// What the handlers need, from the config and the database.
ServerInfo load_server_info(const std::filesystem::path& dir, const Config& config);

struct ExportResult {
    std::size_t items = 0;        // in the bundle: tips, follow-ups and replies
    std::size_t replies = 0;      // of them
    std::size_t team_states = 0;  // of them: the team's state (FORMAT.md 9.6)
    std::uint64_t bytes = 0;
    std::size_t deleted = 0;       // with delete_exported: tips and follow-ups erased
    std::size_t replies_kept = 0;  // with delete_exported: replies left for their witnesses
};

// Writes every stored item received on or after since_day (days since the epoch; 0 for all),
// except replies an earlier export handed over, into a new bundle file (never replacing one),
// flushed to disk. Then, if asked, deletes exactly those items: tips and follow-ups are erased,
// and replies leave every responder's view but stay in their mailboxes until purge expires them.
ExportResult export_bundle(const std::filesystem::path& dir, const std::filesystem::path& out,
                           bool delete_exported, std::int64_t since_day = 0);

// Writes a consistent copy of the database, with everything in it, into a new file (mode 0600,
// never replacing one), checked with integrity_check and flushed to disk; safe while tiplined is
// serving. Returns the copy's size in bytes.
std::uint64_t backup_database(const std::filesystem::path& dir, const std::filesystem::path& out);

// "YYYY-MM-DD" as days since 1970-01-01; nullopt for anything else.
using crypto::parse_day;

struct PurgeResult {
    std::size_t tips = 0;            // tips and follow-ups received more than retention_days ago
    std::size_t team_states = 0;     // the team's state, received more than retention_days ago
    std::size_t read_replies = 0;    // replies their witness first read over retention_days ago
    std::size_t unread_replies = 0;  // replies never read, received over unread_reply_days ago
    std::size_t uploads = 0;         // unfinished and started more than upload_expiry_days ago
    std::size_t mailboxes = 0;       // empty, and nothing put in them for retention_days
};

// Deletes unfinished uploads started more than upload_expiry_days before today; returns how many.
std::size_t expire_uploads(const std::filesystem::path& dir, unsigned upload_expiry_days,
                           std::int64_t today = current_day());

// Deletes what the retention policy of config (retention_days, unread_reply_days,
// upload_expiry_days) says has expired on day today.
PurgeResult purge(const std::filesystem::path& dir, const Config& config,
                  std::int64_t today = current_day());

}  // namespace tipline::server
