// The HTTP API's names (docs/PROTOCOL.md), spelled once for the server and both clients: paths,
// header names and the limits a client must know before it asks.
#pragma once

#include <cstddef>
#include <string_view>

namespace tipline::protocol {

// The source API (PROTOCOL.md "Source API"), served to witnesses through the public onion service.
inline constexpr std::string_view keys_path = "/api/v1/keys";
inline constexpr std::string_view challenge_path = "/api/v1/challenge";
inline constexpr std::string_view tips_path = "/api/v1/tips";
inline constexpr std::string_view uploads_path =
    "/api/v1/uploads";  // then "/KEY" and "/KEY/finish"
inline constexpr std::string_view upload_finish_suffix = "/finish";
inline constexpr std::string_view mailbox_path = "/api/v1/mailbox";
inline constexpr std::string_view mailbox_messages_path = "/api/v1/mailbox/messages";

inline constexpr std::string_view proof_header = "Tipline-Proof";
inline constexpr std::string_view upload_length_header = "Upload-Length";
inline constexpr std::string_view upload_offset_header = "Upload-Offset";
// A mailbox's name, on the source API and the responder API alike.
inline constexpr std::string_view mailbox_header = "Tipline-Mailbox";
inline constexpr std::string_view mailbox_token_header = "Tipline-Mailbox-Token";
inline constexpr std::string_view mailbox_token_hash_header = "Tipline-Mailbox-Token-Hash";

// The responder API (PROTOCOL.md "Responder API"): every request signed (FORMAT.md section 13).
inline constexpr std::string_view responder_items_path = "/api/v1/responder/items";
inline constexpr std::string_view responder_bundle_path = "/api/v1/responder/bundle";
inline constexpr std::string_view responder_ack_path = "/api/v1/responder/ack";
inline constexpr std::string_view responder_replies_path = "/api/v1/responder/replies";
inline constexpr std::string_view responder_team_path = "/api/v1/responder/team";
inline constexpr std::string_view responder_envelope_path = "/api/v1/responder/envelope";

inline constexpr std::string_view responder_key_header = "Tipline-Key";
inline constexpr std::string_view responder_timestamp_header = "Tipline-Timestamp";
inline constexpr std::string_view responder_nonce_header = "Tipline-Nonce";
inline constexpr std::string_view responder_signature_header = "Tipline-Signature";

// Items one responder request may list, bundle or acknowledge.
inline constexpr std::size_t max_items_per_request = 10000;

}  // namespace tipline::protocol
