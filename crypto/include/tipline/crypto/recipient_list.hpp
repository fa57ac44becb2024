// The recipient list: the responders' public keys, signed by the organisation key, with a serial
// and an expiry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "tipline/crypto/keys.hpp"

namespace tipline::crypto {

inline constexpr std::size_t recipient_list_max_entries = 16;  // an envelope's limit
inline constexpr std::size_t recipient_list_fixed_size = 8 + 2 + 32 + 8 + 4 + 1;
inline constexpr std::size_t recipient_list_entry_size =
    box_public_key_bytes + sign_public_key_bytes;
inline constexpr std::size_t recipient_list_signature_size = 64;
inline constexpr std::size_t recipient_list_max_size =
    recipient_list_fixed_size + recipient_list_max_entries * recipient_list_entry_size +
    recipient_list_signature_size;

struct RecipientList {
    OrganisationKey organisation;
    std::uint64_t serial = 0;       // grows with every list the organisation signs
    std::uint32_t expires_day = 0;  // the last day it is valid: days since 1970-01-01, UTC
    std::vector<PublicIdentity> recipients;
    bool operator==(const RecipientList&) const = default;
};

// The list's bytes, signed. organisation must be the organisation key whose public half the list
// names. Throws std::invalid_argument for what the format cannot hold: serial 0, no recipient,
// more than 16, or one named twice.
std::vector<unsigned char> sign_recipient_list(const RecipientList& list,
                                               const SecretIdentity& organisation);

// Parses the bytes and checks the signature against the organisation key they name: malformed,
// truncated, unsupported_version or authentication_failed. Says nothing of whether that key is
// trusted.
std::error_code decode_recipient_list(std::span<const unsigned char> bytes, RecipientList& out);

// What a reader holds a decoded list to.
struct ListExpectations {
    std::int64_t today = 0;                            // days since 1970-01-01, UTC
    std::optional<OrganisationKey> organisation;       // the pinned key; none pinned when absent
    std::optional<std::uint64_t> highest_serial_seen;  // from that organisation, when remembered
};

// untrusted_key (another organisation signed it), expired, rolled_back: checked in that order.
std::error_code check_recipient_list(const RecipientList& list, const ListExpectations& expect);

}  // namespace tipline::crypto
