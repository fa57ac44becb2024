// Error codes of the crypto library: each failure class is distinct so callers and tests can tell
// them apart.
#pragma once

#include <system_error>

namespace tipline::crypto {

enum class Error {
    malformed =
        1,  // input violates the format (bad magic, bad field, non-canonical, trailing bytes)
    unsupported_version = 2,    // magic is right but the version is not one this build reads
    no_matching_key = 3,        // no stanza opens with any of the given identities
    authentication_failed = 4,  // a MAC or AEAD tag did not verify (includes a wrong passphrase)
    truncated = 5,              // input ended before the format said it would
    invalid_argument = 6,       // the caller asked for something the format cannot express
    expired = 7,                // a signed recipient list past its last valid day
    rolled_back = 8,    // a signed recipient list older than one already seen from its organisation
    untrusted_key = 9,  // validly signed, but by a key the reader does not trust
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Error e) noexcept;

}  // namespace tipline::crypto

template <>
struct std::is_error_code_enum<tipline::crypto::Error> : std::true_type {};
