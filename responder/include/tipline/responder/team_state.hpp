// The team's state (docs/FORMAT.md section 21): the triage fields a responder changed, sealed to
// every responder of the team and signed, carried through the server like a reply, and merged by
// each colleague's store in any order (last writer wins per field, conversations.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tipline/crypto/tip_document.hpp"
#include "tipline/responder/case_store.hpp"
#include "tipline/responder/conversations.hpp"

namespace tipline::responder {

inline constexpr std::int64_t team_state_version = 1;
// A document holds changes until its JSON reaches this many bytes; one change may take it over.
inline constexpr std::size_t team_state_document_bytes = 256 * 1024;
// Clocks and days a change may carry: exact in every JSON reader (2^53 - 1 is the largest integer
// a double holds with its neighbours), and far from overflow.
inline constexpr std::int64_t max_team_clock = (std::int64_t{1} << 53) - 1;
// The largest clock a store takes from a colleague, and makes itself: every store takes every
// change any store makes, so they never diverge; a clock that reaches it stops triage loudly.
inline constexpr std::int64_t max_merged_clock = std::int64_t{1} << 48;
inline constexpr std::int64_t max_team_day = std::int64_t{1} << 31;

// The JSON of FORMAT.md 21.1, without the writer: each change's writer is the document's signer.
std::string encode_team_changes(std::span<const FieldChange> changes);
// The changes of a document signed by writer (a fingerprint); nullopt when the text is not that
// JSON. A change it holds may still break the rules of acceptable_change.
std::optional<std::vector<FieldChange>> decode_team_changes(std::string_view text,
                                                            const std::string& writer);
// Whether a colleague may send this change (FORMAT.md 21.2): a thread id, a field name and value
// as section 20.5 defines them, and a clock and day in range. A seen field names its writer.
bool acceptable_change(const FieldChange& change);

// How many fields this responder changed and has not yet sealed for the team.
std::size_t unshared_count(CaseStore& store);
// Whether the store has a team and this responder changed fields of this conversation that the
// team does not have yet: deleting it now would lose them.
bool has_unshared_changes(CaseStore& store, const std::string& thread);

struct SharedState {
    std::vector<std::filesystem::path> files;  // team-state files (FORMAT.md 21.3), for 'push'
    std::size_t changes = 0;
    std::size_t responders = 0;  // the team's, this responder included
};

// Seals every field this responder changed since the last share into team-state files in outbox,
// flushed to disk, then counts them as shared and writes the store back. Nothing to share gives no
// file. ToolError (usage) when the store has no team, or this responder is not in it.
SharedState share_team_state(CaseStore& store, const std::filesystem::path& outbox);

enum class TeamStateVerdict {
    applied,      // merged: every acceptable change, each where it is newer
    no_team,      // the store has no team yet: nothing applied, import it again after 'team set'
    not_in_team,  // signed by a responder the store's team does not hold: nothing applied
    not_json,     // the signed document's text is not the team-state JSON
};

// Merges an opened, signed team-state document into the store (without writing it back).
TeamStateVerdict apply_team_state(CaseStore& store, const crypto::TipHeader& header,
                                  TeamStateCounts& counts);

}  // namespace tipline::responder
