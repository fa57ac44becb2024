// Sharing the team's triage: fields sealed into team-state files, and colleagues' files merged.
#include "tipline/responder/team_state.hpp"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>

#include "tipline/client/messages.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/utf8.hpp"
#include "tipline/responder/casework.hpp"
#include "tipline/responder/team.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/sqlite.hpp"

namespace tipline::responder {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using tooling::Statement;

bool is_lower_hex(std::string_view text, std::size_t size) {
    return text.size() == size && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool is_fingerprint(std::string_view text) {
    const auto canonical = crypto::parse_fingerprint(text);
    return canonical && *canonical == text;
}

// A note's value: empty once deleted, else its format version "1", a newline and the text.
bool is_note_value(std::string_view value) {
    if (value.empty()) return true;
    if (!value.starts_with("1\n")) return false;
    const std::string_view text = value.substr(2);
    return !text.empty() && text.size() <= max_note_size && crypto::is_valid_utf8(text);
}

std::optional<std::int64_t> bounded(const json::value* v, std::int64_t low, std::int64_t high) {
    if (v == nullptr) return std::nullopt;
    std::int64_t n = 0;
    if (v->is_int64()) {
        n = v->as_int64();
    } else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(high)) {
        n = static_cast<std::int64_t>(v->as_uint64());
    } else {
        return std::nullopt;
    }
    if (n < low || n > high) return std::nullopt;
    return n;
}

// This responder's changes not yet sealed, oldest first; a field a colleague changed since is
// theirs now and is not sent again.
std::vector<FieldChange> unshared_changes(CaseStore& store) {
    Statement st(store.db(),
                 "SELECT f.thread, f.name, f.value, f.clock, f.writer, f.day FROM unshared u JOIN "
                 "field f ON f.thread = u.thread AND f.name = u.name WHERE f.writer = ? "
                 "ORDER BY f.clock, f.thread, f.name");
    st.bind(1, store.me());
    std::vector<FieldChange> out;
    while (st.step()) {
        out.push_back(
            FieldChange{st.text(0), st.text(1), st.text(2), st.int64(3), st.text(4), st.int64(5)});
    }
    return out;
}

// The changes cut into documents of about team_state_document_bytes of JSON each.
std::vector<std::vector<FieldChange>> in_documents(std::vector<FieldChange> changes) {
    std::vector<std::vector<FieldChange>> out;
    std::size_t bytes = 0;
    for (FieldChange& c : changes) {
        const std::size_t size = encode_team_changes(std::span(&c, 1)).size();
        if (out.empty() || bytes + size > team_state_document_bytes) {
            out.emplace_back();
            bytes = 0;
        }
        bytes += size;
        out.back().push_back(std::move(c));
    }
    return out;
}

// The team, in a random order, and one key that nobody holds while there is room: the envelope's
// header is then the size of a reply copied to the whole team (FORMAT.md 21.3).
std::vector<crypto::BoxPublicKey> team_recipients(const Team& team) {
    std::vector<crypto::BoxPublicKey> out;
    for (const crypto::PublicIdentity& m : team.members) out.push_back(m.box);
    if (out.size() < crypto::envelope_max_recipients)
        out.push_back(crypto::BoxKeyPair::generate().public_key);
    for (std::size_t i = out.size(); i > 1; --i)
        std::swap(out[i - 1], out[randombytes_uniform(static_cast<std::uint32_t>(i))]);
    return out;
}

}  // namespace

std::string encode_team_changes(std::span<const FieldChange> changes) {
    json::array list;
    for (const FieldChange& c : changes) {
        list.push_back(json::object{{"thread", c.thread},
                                    {"name", c.name},
                                    {"value", c.value},
                                    {"clock", c.clock},
                                    {"day", c.day}});
    }
    return json::serialize(
        json::object{{"version", team_state_version}, {"changes", std::move(list)}});
}

std::optional<std::vector<FieldChange>> decode_team_changes(std::string_view text,
                                                            const std::string& writer) {
    boost::system::error_code ec;
    const json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object() || doc.as_object().size() != 2) return std::nullopt;
    const json::object& top = doc.as_object();
    const json::value* version = top.if_contains("version");
    const json::value* list = top.if_contains("changes");
    if (!version || !version->is_int64() || version->as_int64() != team_state_version || !list ||
        !list->is_array())
        return std::nullopt;
    std::vector<FieldChange> out;
    for (const json::value& v : list->as_array()) {
        if (!v.is_object() || v.as_object().size() != 5) return std::nullopt;
        const json::object& o = v.as_object();
        const json::value* thread = o.if_contains("thread");
        const json::value* name = o.if_contains("name");
        const json::value* value = o.if_contains("value");
        const auto clock = bounded(o.if_contains("clock"), 1, max_team_clock);
        const auto day = bounded(o.if_contains("day"), 0, max_team_day);
        if (!thread || !thread->is_string() || !name || !name->is_string() || !value ||
            !value->is_string() || !clock || !day)
            return std::nullopt;
        out.push_back(FieldChange{std::string(thread->as_string()), std::string(name->as_string()),
                                  std::string(value->as_string()), *clock, writer, *day});
    }
    return out;
}

bool acceptable_change(const FieldChange& c) {
    if (!is_lower_hex(c.thread, 64) && !is_lower_hex(c.thread, 32)) return false;
    if (c.clock < 1 || c.clock > max_merged_clock || c.day < 0 || c.day > max_team_day)
        return false;
    const std::string_view name = c.name;
    if (name == "status")
        return std::find(statuses.begin(), statuses.end(), c.value) != statuses.end();
    if (name == "assignee") return c.value.empty() || is_fingerprint(c.value);
    if (name.starts_with("tag:"))
        return is_tag_text(name.substr(4)) && (c.value == "0" || c.value == "1");
    if (name.starts_with("note:"))
        return is_lower_hex(name.substr(5), 16) && is_note_value(c.value);
    if (name.starts_with("seen:")) {
        // seen:<writer>:<item>: a responder says only what they have seen themselves.
        const std::string_view rest = name.substr(5);
        const std::size_t colon = rest.rfind(':');
        return colon != std::string_view::npos && rest.substr(0, colon) == c.writer &&
               is_lower_hex(rest.substr(colon + 1), 32) && c.value == "1";
    }
    return false;
}

std::size_t unshared_count(CaseStore& store) { return unshared_changes(store).size(); }

bool has_unshared_changes(CaseStore& store, const std::string& thread) {
    if (!stored_team(store)) return false;
    Statement st(store.db(),
                 "SELECT 1 FROM unshared u JOIN field f ON f.thread = u.thread AND f.name = u.name "
                 "WHERE u.thread = ? AND f.writer = ?");
    return st.bind(1, thread).bind(2, store.me()).step();
}

SharedState share_team_state(CaseStore& store, const fs::path& outbox) {
    const std::optional<Team> team = stored_team(store);
    if (!team) {
        tooling::usage_error(
            // TRANSLATORS: the case store: the responder's encrypted store of conversations. Its
            // team: the responders of the organisation's signed list. Its state: the triage.
            client::tr("the case store has no team to share its state with"),
            {client::tr("set it from the organisation's recipient list: tipline-responder team "
                        "set LIST --expect ORG_FINGERPRINT")});
    }
    const bool member = std::any_of(
        team->members.begin(), team->members.end(),
        [&](const crypto::PublicIdentity& m) { return crypto::fingerprint(m) == store.me(); });
    if (!member) {
        tooling::usage_error(
            client::tr("this responder is not in the store's team, so colleagues would refuse "
                       "their changes"),
            {client::tr("ask the organisation for a recipient list that names this key")});
    }
    SharedState result;
    result.responders = team->members.size();
    std::vector<FieldChange> changes = unshared_changes(store);
    result.changes = changes.size();
    // The header's clock is the day only: no exact time leaves the machine, even sealed.
    const std::int64_t day = crypto::current_day();
    for (const std::vector<FieldChange>& part : in_documents(std::move(changes))) {
        crypto::TipHeader header;
        header.kind = crypto::TipKind::team_state;
        header.created_at = day * 86400;
        header.message = encode_team_changes(part);
        crypto::VectorSink sealed;
        if (auto ec =
                crypto::seal_team_state(team_recipients(*team), header, store.identity(), sealed))
            tooling::io_error(
                // TRANSLATORS: the team's state: the triage (statuses, tags, notes) shared with
                // the team.
                client::tr("cannot seal the team's state: {error}", {{"error", ec.message()}}));
        sodium_memzero(header.message.data(), header.message.size());
        result.files.push_back(
            write_outbox_file(outbox, "team", "team", client::encode_team_file(sealed.bytes())));
    }
    // Only once every file is on disk: a crash before this shares the same changes again, which
    // merging takes as often as it comes.
    tooling::exec_sql(store.db(), "DELETE FROM unshared");
    store.save();
    return result;
}

TeamStateVerdict apply_team_state(CaseStore& store, const crypto::TipHeader& header,
                                  TeamStateCounts& counts) {
    const std::optional<Team> team = stored_team(store);
    if (!team) return TeamStateVerdict::no_team;
    if (!header.signer || std::find(team->members.begin(), team->members.end(), *header.signer) ==
                              team->members.end())
        return TeamStateVerdict::not_in_team;
    const auto changes = decode_team_changes(header.message, crypto::fingerprint(*header.signer));
    if (!changes) return TeamStateVerdict::not_json;
    for (const FieldChange& c : *changes) {
        if (!acceptable_change(c)) {
            ++counts.refused;
            continue;
        }
        switch (merge_change(store, c)) {
            case Merged::newer:
                ++counts.newer;
                break;
            case Merged::older:
                ++counts.older;
                break;
            case Merged::deleted:
                ++counts.deleted;
                break;
        }
    }
    return TeamStateVerdict::applied;
}

}  // namespace tipline::responder
