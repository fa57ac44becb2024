// Every magic prefix, domain-separation label and format constant, spelled exactly as
// docs/FORMAT.md spells it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tipline::crypto::labels {

// Envelope v1 (FORMAT.md section "Envelope").
inline constexpr std::string_view envelope_magic = "TIPLNENV";
inline constexpr std::uint16_t envelope_version = 1;
inline constexpr std::string_view payload_key_label = "tipline envelope v1 payload key";
inline constexpr std::string_view header_mac_key_label = "tipline envelope v1 header mac key";

// Responder public key text form and fingerprint (FORMAT.md section "Public key").
inline constexpr std::string_view public_key_prefix = "tipline-pk1-";
inline constexpr std::string_view public_key_checksum_label = "tipline public key v1 checksum";
inline constexpr std::string_view fingerprint_label = "tipline fingerprint v1";

// Secret key file (FORMAT.md section "Secret key file").
inline constexpr std::string_view secret_key_magic = "TIPLNSEC";
inline constexpr std::uint16_t secret_key_version = 1;

// Tip document (FORMAT.md section "Tip document"); version 2 is signed by its responder: a reply,
// or the team's state.
inline constexpr std::string_view tip_document_magic = "TIPLNDOC";
inline constexpr std::uint16_t tip_document_version = 1;
inline constexpr std::uint16_t tip_document_signed_version = 2;
inline constexpr std::string_view signed_reply_label = "tipline signed reply v1";
inline constexpr std::string_view signed_team_state_label = "tipline signed team state v1";

// Organisation key text form and fingerprint (FORMAT.md section "Organisation key").
inline constexpr std::string_view organisation_key_prefix = "tipline-org1-";
inline constexpr std::string_view organisation_key_checksum_label =
    "tipline organisation key v1 checksum";
inline constexpr std::string_view organisation_fingerprint_label =
    "tipline organisation fingerprint v1";

// Recipient list signed by the organisation key (FORMAT.md section "Recipient list").
inline constexpr std::string_view recipient_list_magic = "TIPLNLST";
inline constexpr std::uint16_t recipient_list_version = 1;
inline constexpr std::string_view recipient_list_signature_label = "tipline recipient list v1";

// Export bundle (FORMAT.md section "Bundle").
inline constexpr std::string_view bundle_magic = "TIPLNBDL";
inline constexpr std::uint16_t bundle_version = 1;

// Case store files (FORMAT.md section 20), on the responders' offline machines.
inline constexpr std::string_view store_file_magic = "TIPLNSTO";
inline constexpr std::uint16_t store_file_version = 1;
inline constexpr std::string_view store_key_label = "tipline store v1 key";
inline constexpr std::string_view store_file_key_label = "tipline store v1 file key";

// Reply file, carried from the offline machine to the online one (FORMAT.md section "Reply file").
inline constexpr std::string_view reply_file_magic = "TIPLNRPL";
inline constexpr std::uint16_t reply_file_version = 1;

// Team-state file, carried the same way (FORMAT.md section "Team state").
inline constexpr std::string_view team_file_magic = "TIPLNTEA";
inline constexpr std::uint16_t team_file_version = 1;

// Resume file of tipline-submit for a large tip (FORMAT.md section "Resume file").
inline constexpr std::string_view resume_file_magic = "TIPLNRSM";
// Version 2 holds a receipt of version 2 (10.3); version 1, one of version 1. The layout is the
// same.
inline constexpr std::uint16_t resume_file_version = 2;

// Receipt derivation (FORMAT.md section "Receipt").
inline constexpr std::string_view mailbox_token_label = "tipline receipt v1 mailbox token";
inline constexpr std::string_view reply_key_label = "tipline receipt v1 reply key";
inline constexpr std::string_view mailbox_token_v2_label = "tipline receipt v2 mailbox token";
inline constexpr std::string_view reply_key_v2_label = "tipline receipt v2 reply key";
inline constexpr std::string_view mailbox_token_hash_label = "tipline mailbox token hash v1";
inline constexpr std::string_view mailbox_id_label = "tipline mailbox id v1";

// Signed responder API requests (FORMAT.md section "Signed responder requests").
inline constexpr std::string_view request_signature_label = "tipline responder request v1";

// Proof of work on submission (FORMAT.md section "Proof of work").
inline constexpr std::string_view pow_label = "tipline pow v1";
inline constexpr std::string_view pow_challenge_mac_label = "tipline pow challenge v1";

}  // namespace tipline::crypto::labels
