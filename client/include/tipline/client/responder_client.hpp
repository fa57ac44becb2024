// The online responder's side of the signed responder API (docs/PROTOCOL.md), and reply files.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tipline/client/http_client.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/receipt.hpp"

namespace tipline::client {

struct ResponderItem {
    std::int64_t ref = 0;
    std::string id;    // 32 hex digits
    std::string kind;  // tip, follow_up or reply
    std::string day;   // YYYY-MM-DD
    std::uint64_t size = 0;
    std::string mailbox;        // 64 hex digits, or empty
    bool acknowledged = false;  // by this responder: each responder has their own fetched state
};

// Signs every request with the responder's Ed25519 key; the key file may be sign-only.
class ResponderClient {
  public:
    ResponderClient(HttpClient& http, const crypto::SecretIdentity& signer)
        : http_(http), signer_(signer) {}

    // Every stored item after the cursor, following the server's pages.
    std::vector<ResponderItem> items(std::int64_t after = 0);
    // A bundle of these items, in this order.
    std::vector<unsigned char> bundle(std::span<const std::int64_t> refs);
    // Up to length bytes of one item's envelope from offset (for items too large for one bundle).
    std::vector<unsigned char> envelope_range(std::int64_t ref, std::uint64_t offset,
                                              std::uint64_t length);
    // Marks the items acknowledged for this responder, or deletes them (a reply only from this
    // responder's list: it stays for its witness); returns how many the server found.
    std::uint64_t acknowledge(std::span<const std::int64_t> refs, bool delete_items);
    // Stores a reply envelope in a mailbox; returns its id.
    std::string post_reply(const crypto::MailboxId& mailbox,
                           std::span<const unsigned char> envelope);
    // Stores the team's state (FORMAT.md 9.6) for the other responders; returns its id.
    std::string post_team_state(std::span<const unsigned char> envelope);

  private:
    HttpResponse signed_request(const std::string& method, const std::string& target,
                                std::span<const unsigned char> body,
                                std::vector<std::string> headers = {});

    HttpClient& http_;
    const crypto::SecretIdentity& signer_;
};

// A reply file carries a sealed reply and the mailbox it goes to, from the offline machine to the
// online one (FORMAT.md section 14).
std::vector<unsigned char> encode_reply_file(const crypto::MailboxId& mailbox,
                                             std::span<const unsigned char> envelope);
// Checks the magic, version and the envelope's header and length; Error classes as in FORMAT.md.
std::error_code decode_reply_file(std::span<const unsigned char> file, crypto::MailboxId& mailbox,
                                  std::span<const unsigned char>& envelope);

// A team-state file carries the team's state, sealed, the same way (FORMAT.md section 21.3).
std::vector<unsigned char> encode_team_file(std::span<const unsigned char> envelope);
std::error_code decode_team_file(std::span<const unsigned char> file,
                                 std::span<const unsigned char>& envelope);

}  // namespace tipline::client
