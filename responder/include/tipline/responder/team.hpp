// The team in the case store: the responders of the organisation's signed recipient list, pinned
// to that organisation. Conversations are assigned to them, replies copied to them, and (with the
// team-state envelopes) their triage is the only triage merged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/responder/case_store.hpp"

namespace tipline::responder {

struct Team {
    crypto::OrganisationKey organisation;
    std::uint64_t serial = 0;
    std::uint32_t expires_day = 0;
    std::vector<crypto::PublicIdentity> members;
};

// The team the store holds, if one was set.
std::optional<Team> stored_team(CaseStore& store);

enum class TeamChange { set, replaced, unchanged };

// Puts the list's responders in the store as the team (without writing the store back: call save).
// The first list must come with the organisation's fingerprint (expected), compared here; later
// ones must be signed by the same organisation, with a higher serial (or be the same list), and
// may come with it. ToolError: exit 1 when the list is from another organisation, older, or
// expired; usage (2) when the first comes without a fingerprint.
TeamChange set_team(CaseStore& store, const crypto::RecipientList& list,
                    const std::optional<std::string>& expected);

}  // namespace tipline::responder
