// The team: the recipient list's responders, kept in the case store's team and team_list tables
// (docs/FORMAT.md section 20.5), pinned to one organisation key and never rolled back.
#include "tipline/responder/team.hpp"

#include <algorithm>
#include <array>

#include "tipline/client/messages.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/sqlite.hpp"

namespace tipline::responder {
namespace {

using tooling::Statement;

template <std::size_t N>
void copy_blob(Statement& s, int column, std::array<unsigned char, N>& out) {
    const auto bytes = s.blob(column);
    // TRANSLATORS: the case store: the responder's encrypted store of conversations on this
    // machine. Its team: the responders of the organisation's signed list, who share triage.
    if (bytes.size() != N) tooling::usage_error(client::tr("the case store's team is damaged"));
    std::copy(bytes.begin(), bytes.end(), out.begin());
}

}  // namespace

std::optional<Team> stored_team(CaseStore& store) {
    Statement list(store.db(), "SELECT organisation, serial, expires_day FROM team_list");
    if (!list.step()) return std::nullopt;
    Team team;
    copy_blob(list, 0, team.organisation.key);
    team.serial = static_cast<std::uint64_t>(list.int64(1));
    team.expires_day = static_cast<std::uint32_t>(list.int64(2));
    Statement members(store.db(), "SELECT box, sign FROM team ORDER BY position");
    while (members.step()) {
        crypto::PublicIdentity id;
        copy_blob(members, 0, id.box);
        copy_blob(members, 1, id.sign);
        team.members.push_back(id);
    }
    return team;
}

TeamChange set_team(CaseStore& store, const crypto::RecipientList& list,
                    const std::optional<std::string>& expected) {
    using tooling::ToolError;
    const std::string organisation = crypto::organisation_fingerprint(list.organisation);
    const std::optional<Team> before = stored_team(store);
    if (expected && *expected != organisation) {
        throw ToolError(tooling::exit_verification_failure,
                        // TRANSLATORS: the list: the organisation's signed list of its
                        // responders. {organisation} is the fingerprint of the organisation's key.
                        client::tr("the list is signed by organisation {organisation}, not by the "
                                   "one you expect",
                                   {{"organisation", organisation}}),
                        {client::tr("do not use it; ask the organisation for its list")});
    }
    if (!before && !expected) {
        tooling::usage_error(
            // TRANSLATORS: the store: the case store, the responder's encrypted store of
            // conversations. Its team: the responders of the organisation's signed list.
            client::tr("the store has no team yet: give the organisation's fingerprint with "
                       "--expect, to compare with the one it published"),
            // TRANSLATORS: {organisation} is the fingerprint of the organisation's key.
            {client::tr("the list is signed by organisation {organisation}",
                        {{"organisation", organisation}})});
    }
    // The checks every reader of a list makes (recipient_list.hpp), against the stored team.
    crypto::ListExpectations expect;
    expect.today = crypto::current_day();
    if (before) {
        expect.organisation = before->organisation;
        expect.highest_serial_seen = before->serial;
    }
    if (const std::error_code ec = crypto::check_recipient_list(list, expect)) {
        const auto fail = [](std::string message, std::string hint) {
            throw ToolError(tooling::exit_verification_failure, std::move(message),
                            {std::move(hint)});
        };
        if (ec == crypto::Error::untrusted_key) {
            // TRANSLATORS: {organisation} and {team_organisation} are fingerprints of
            // organisation keys: the list's, and the one the case store's team was set from.
            fail(client::tr("the list is signed by organisation {organisation}, and the store's "
                            "team by {team_organisation}",
                            {{"organisation", organisation},
                             {"team_organisation",
                              crypto::organisation_fingerprint(before->organisation)}}),
                 client::tr("a team moves to another organisation key only in a new store"));
        }
        if (ec == crypto::Error::expired) {
            // TRANSLATORS: {day} is a date, as 2025-06-30.
            fail(client::tr("the list expired on {day}",
                            {{"day", crypto::format_day(list.expires_day)}}),
                 client::tr("ask the organisation for its current list"));
        }
        // TRANSLATORS: a serial is the number of a version of the organisation's list; the
        // case store's team was set from the list with serial {team_serial}.
        fail(client::tr("the list has serial {serial}, older than the store's team (serial "
                        "{team_serial})",
                        {{"serial", std::to_string(list.serial)},
                         {"team_serial", std::to_string(before->serial)}}),
             client::tr("use the organisation's current list"));
    }
    if (before && list.serial == before->serial) {
        if (before->members != list.recipients || before->expires_day != list.expires_day) {
            throw ToolError(
                tooling::exit_verification_failure,
                client::tr("the list has the serial of the store's team, and other contents"),
                {client::tr("the organisation signed two lists with one serial; ask it")});
        }
        return TeamChange::unchanged;
    }
    tooling::exec_sql(store.db(), "DELETE FROM team; DELETE FROM team_list");
    Statement put_list(store.db(),
                       "INSERT INTO team_list (id, organisation, serial, expires_day) "
                       "VALUES (1, ?, ?, ?)");
    put_list.bind(1, list.organisation.key);
    const auto serial = static_cast<std::int64_t>(list.serial);
    const auto expires = static_cast<std::int64_t>(list.expires_day);
    put_list.bind(2, serial);
    put_list.bind(3, expires);
    put_list.run();
    for (std::size_t i = 0; i < list.recipients.size(); ++i) {
        const crypto::PublicIdentity& id = list.recipients[i];
        const std::string fingerprint = crypto::fingerprint(id);
        Statement put(store.db(),
                      "INSERT INTO team (fingerprint, position, box, sign) VALUES (?, ?, ?, ?)");
        const auto position = static_cast<std::int64_t>(i);
        put.bind(1, std::string_view(fingerprint));
        put.bind(2, position);
        put.bind(3, id.box);
        put.bind(4, id.sign);
        put.run();
    }
    return before ? TeamChange::replaced : TeamChange::set;
}

}  // namespace tipline::responder
