// What the responder does with the case store: import bundles, list and search conversations, read
// one, and triage it. Every triage change is a field written with the next Lamport clock, which is
// also how colleagues' changes merge (docs/FORMAT.md section 20.5).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/responder/case_store.hpp"

namespace tipline::responder {

inline constexpr std::array<std::string_view, 5> statuses = {"new", "read", "needs_reply",
                                                             "answered", "closed"};
inline constexpr std::size_t max_tag_size = 64;      // bytes of UTF-8
inline constexpr std::size_t max_note_size = 65536;  // bytes of UTF-8
inline constexpr std::size_t min_typed_id = 4;       // hex digits of a shortened conversation id
inline constexpr std::size_t short_id_size = 8;

// What the team's state an import brought changed (team_state.hpp).
struct TeamStateCounts {
    std::size_t newer = 0;    // changes that replaced the store's field, or added one
    std::size_t older = 0;    // changes the store already had, or had newer
    std::size_t refused = 0;  // changes that break FORMAT.md 21.2
    std::size_t deleted = 0;  // changes for conversations deleted from this store
};

struct ImportReport {
    std::size_t added = 0;        // messages, and the team's state applied
    std::size_t team_states = 0;  // of added: team-state documents applied
    TeamStateCounts team;
    std::vector<std::string> team_without_team;   // item ids left out: the store has no team yet
    std::vector<std::string> team_from_outsider;  // item ids left out: signed by no team member
    std::size_t already = 0;  // in the store, or deleted from it (counted in deleted too)
    std::size_t deleted = 0;  // deleted from the store before, and not added again
    std::vector<std::string> not_for_this_key;                     // item ids
    std::vector<std::pair<std::string, std::error_code>> damaged;  // item id, what failed
};

// Imports every envelope of a bundle that opens with the store's key and is not there yet, and
// writes the store back once if anything was added. A bad manifest is an error for the whole
// bundle, and nothing is added.
std::error_code import_bundle(CaseStore& store, crypto::ByteSource& in, std::uint64_t file_size,
                              ImportReport& report);

struct ConversationSummary {
    std::string thread;    // 64 hex digits (the witness's mailbox), or 32 (a tip with no receipt)
    std::string status;    // one of statuses
    std::string assignee;  // a responder's fingerprint, or empty
    std::vector<std::string> tags;
    std::int64_t first_day = 0, last_day = 0;
    std::int64_t messages = 0, unseen = 0;  // unseen: by this responder
    bool can_reply = false;
    std::string preview;  // the first message's first line, shortened

    std::string short_id() const { return thread.substr(0, short_id_size); }
};

struct ConversationFilter {
    std::optional<std::string> status;
    std::optional<std::string> tag;
    std::optional<std::string> assignee;  // a fingerprint, or "" for nobody
    bool unseen_only = false;
    std::string search;  // words, all of which must appear somewhere in the conversation
    std::optional<std::string> thread;  // only this conversation
};

std::vector<ConversationSummary> list_conversations(CaseStore& store,
                                                    const ConversationFilter& filter);

// A conversation typed by a person: its id, or at least min_typed_id leading hex digits of it.
// ToolError (usage) when nothing or more than one conversation matches.
std::string find_thread(CaseStore& store, std::string_view typed);

struct StoredSafeCopy {
    crypto::StoreFileId file{};
    std::string media_type;
    std::uint64_t size = 0;
    unsigned pages = 0;
    std::string note;
};

struct StoredAttachment {
    crypto::StoreFileId file{};
    std::string name, media_type;
    std::uint64_t size = 0;
    std::optional<StoredSafeCopy> safe_copy;
};

struct StoredMessage {
    std::string item;  // the server's id, 32 hex digits
    std::string kind;  // tip, follow_up or reply
    std::int64_t day = 0;
    std::int64_t written = 0;  // the sender's clock, which may be wrong
    std::string language, body;
    std::string signer;  // a signed reply's responder fingerprint, or empty
    bool seen = false;   // by this responder
    std::vector<StoredAttachment> attachments;
};

struct StoredNote {
    std::string id, author, text;
    std::int64_t day = 0;
};

struct Conversation {
    ConversationSummary summary;
    std::optional<crypto::BoxPublicKey> reply_key;
    std::vector<StoredMessage> messages;  // in the order they were written
    std::vector<StoredNote> notes;
};

Conversation load_conversation(CaseStore& store, const std::string& thread);

// One triage field, as it travels between responders.
struct FieldChange {
    std::string thread, name, value;
    std::int64_t clock = 0;
    std::string writer;  // fingerprint
    std::int64_t day = 0;
};

// Writes a field as this responder, with a clock above every one the store has seen.
FieldChange set_field(CaseStore& store, const std::string& thread, const std::string& name,
                      const std::string& value);
// Applies a change when it is newer than the store's, by (clock, writer); returns whether it did.
bool merge_field(CaseStore& store, const FieldChange& change);
// As merge_field, telling apart a change dropped because its conversation was deleted here (its
// clock still counts) from one the store already had, or had newer.
enum class Merged { newer, older, deleted };
Merged merge_change(CaseStore& store, const FieldChange& change);

// A tag: 1 to max_tag_size bytes of UTF-8, without commas or control characters.
bool is_tag_text(std::string_view tag);

// Triage, each checked and then written with set_field. None writes the store back: call save().
void set_status(CaseStore& store, const std::string& thread, std::string_view status);
void set_assignee(CaseStore& store, const std::string& thread, const std::string& fingerprint);
void set_tag(CaseStore& store, const std::string& thread, std::string_view tag, bool on);
std::string add_note(CaseStore& store, const std::string& thread, std::string_view text);
// Marks every message this responder has not seen as seen, and a new conversation as read.
// Returns whether anything changed.
bool mark_seen(CaseStore& store, const Conversation& conversation);

// Seals a safe copy of an attachment into the store, beside its original (safe_copy.hpp).
void add_safe_copy(CaseStore& store, const crypto::StoreFileId& original,
                   std::span<const unsigned char> bytes, const std::string& media_type,
                   unsigned pages, const std::string& note);

// Deletes a closed conversation from the database: its messages, attachments' rows, search text
// and fields. Its items are remembered (ids only), so that importing them again adds nothing.
// Returns the attachment files to remove once the database is written back (CaseStore::save,
// then CaseStore::remove_attachments). ToolError (usage) when it is not closed.
std::vector<crypto::StoreFileId> delete_conversation(CaseStore& store, const std::string& thread);

// The conversations closed on or before this day (days since 1970-01-01).
std::vector<std::string> closed_on_or_before(CaseStore& store, std::int64_t day);

}  // namespace tipline::responder
