// Which keys a witness's tool seals to, and whose replies it shows: the keys the witness pinned by
// fingerprint, or that the pinned organisation's signed list names (docs/PROTOCOL.md, "Keys and
// pinning").
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/recipient_list.hpp"

namespace tipline::client {

// Fingerprints the witness gave with --expect, in canonical form (responders' or the
// organisation's).
struct Pins {
    std::vector<std::string> fingerprints;
    bool empty() const noexcept { return fingerprints.empty(); }
    bool contains(const std::string& fingerprint) const;
};

// Any grouping, dashes or full-width digits are one fingerprint (FORMAT.md 6.4); anything else is a
// usage error (exit 2), never a mismatch.
Pins parse_pins(const std::vector<std::string>& typed);

// The highest list serial seen from each organisation (FORMAT.md section 19), kept in a file only
// when the witness asks for one with --remember.
class ListMemory {
  public:
    ListMemory() = default;  // remembers nothing and writes nothing
    // Reads the file if it exists; a file that breaks the format is a usage error.
    explicit ListMemory(std::filesystem::path file);

    std::optional<std::uint64_t> highest(const crypto::OrganisationKey& organisation) const;
    // Raises the serial kept for the organisation, and writes the file when it changed.
    void record(const crypto::OrganisationKey& organisation, std::uint64_t serial);

  private:
    std::filesystem::path file_;
    std::map<std::string, std::uint64_t> serials_;  // organisation key text -> highest serial
};

struct TrustedRecipients {
    std::vector<crypto::PublicIdentity>
        identities;       // sealed to; replies signed by one of them are shown
    bool pinned = false;  // false: nothing the witness pinned stands behind them
    std::optional<crypto::RecipientList> list;  // the signed list that named them, when one did
    std::vector<std::string> warnings;          // for the witness, one line each
    std::string refusal;  // why, when identities is empty: nothing may be sealed or sent
};

// From the keys the tip line lists, its signed list (raw bytes, when it serves one), the pins and
// what is remembered. With no key left, identities is empty and refusal says why; the warnings say
// what was left out, and a tool shows them before it refuses.
TrustedRecipients choose_recipients(const std::vector<crypto::PublicIdentity>& listed,
                                    const std::optional<std::vector<unsigned char>>& list_bytes,
                                    const Pins& pins, ListMemory& memory, std::int64_t today);

}  // namespace tipline::client
