// The witness side of the source API (docs/PROTOCOL.md): fetch the recipients' keys, submit an
// envelope.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tipline/client/http_client.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/proof_of_work.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::client {

// Whether submissions cost a proof of work here, and a challenge not used yet (docs/PROTOCOL.md).
struct ProofState {
    bool required = false;
    std::optional<crypto::PowChallenge> challenge;
    std::uint64_t size_base_bytes = 0;  // 0: no submission needs more work for its size
};

struct ServerKeys {
    std::vector<crypto::PublicIdentity> recipients;
    // The organisation-signed list, as served and not yet checked: choose_recipients decides.
    std::optional<std::vector<unsigned char>> recipient_list;
    crypto::DeploymentSalt salt{};
    std::uint64_t inline_bytes = 0;
    std::uint64_t envelope_bytes = 0;  // the largest envelope the server stores; 0: not said
    std::uint64_t upload_chunk_bytes = 0;
    ProofState proof;  // from the same answer, which saves a round trip over Tor
};

// POSTs body to path, with a solved proof of work when the server asks for one, extra_bits harder
// than the challenge (for the body's size, or an upload's). A proof the server finds stale, too
// weak or spent (it was solving while the difficulty rose) is solved again with a fresh challenge,
// a few times, before the refusal is returned; one too weak for the size is solved again for the
// bits the server names.
HttpResponse post_with_proof(HttpClient& http, const std::string& path,
                             std::span<const unsigned char> body, std::vector<std::string> headers,
                             ProofState& proof, unsigned extra_bits = 0);

// What a witness's client derives from a receipt to reach its mailbox (FORMAT.md 10.3, 10.4).
struct MailboxAccess {
    crypto::MailboxId name{};
    crypto::SecretBuffer token;  // 32 bytes; shown to the server, never stored by it
    crypto::BoxKeyPair reply;    // replies are sealed to reply.public_key

    static MailboxAccess from_receipt(std::span<const unsigned char> digits,
                                      const crypto::DeploymentSalt& salt,
                                      crypto::ReceiptKdf kdf = crypto::current_receipt_kdf);
    // Headers that open the mailbox with a new tip: the name and the token's hash.
    std::vector<std::string> opening_headers() const;
    // Headers that read it or post to it: the name and the token.
    std::vector<std::string> access_headers() const;
};

// GET /api/v1/keys; every key is checked (checksum, canonical form) before it is returned. Which of
// them a tip may be sealed to is choose_recipients's decision (pinning.hpp).
ServerKeys fetch_server_keys(HttpClient& http);

// POST /api/v1/tips; returns the tip's id (32 hex digits, or the answer is refused) once the server
// has stored it durably. headers may open
// a mailbox (MailboxAccess::opening_headers).
std::string submit_envelope(HttpClient& http, std::span<const unsigned char> envelope,
                            const std::vector<std::string>& headers, ProofState& proof);

// A typed receipt's mailbox and its replies. A receipt does not say its version (FORMAT.md 10.3),
// so each is tried, newest first; a receipt no version opens is a ToolError (exit 1).
struct OpenedMailbox {
    MailboxAccess access;
    std::vector<unsigned char> replies;  // a bundle
};
OpenedMailbox open_mailbox(HttpClient& http, std::span<const unsigned char> digits,
                           const crypto::DeploymentSalt& salt);
// The same search with HEAD /api/v1/mailbox, which reads no reply: for a follow-up, which must
// carry the reply key of the receipt's own version.
MailboxAccess find_mailbox(HttpClient& http, std::span<const unsigned char> digits,
                           const crypto::DeploymentSalt& salt);

// POST /api/v1/mailbox/messages; returns the follow-up's id once stored.
std::string send_follow_up(HttpClient& http, const MailboxAccess& mailbox,
                           std::span<const unsigned char> envelope, ProofState& proof);

struct UploadProgress {
    std::uint64_t done = 0;
    std::uint64_t total = 0;
};

// One resumable upload: length bytes of envelope read from fd at file_offset, sent in chunks.
struct UploadJob {
    int fd = -1;
    std::uint64_t file_offset = 0;
    std::uint64_t length = 0;
    std::uint64_t chunk_bytes = 0;
    std::vector<std::string> start_headers;  // sent when the upload is started (a mailbox opening)
    std::string key;  // an upload started earlier, to resume; empty to start one
    std::function<void(const std::string& key)> on_started;  // the new key, before any byte is sent
    std::function<void(const UploadProgress&)> progress;
    ProofState* proof = nullptr;  // for starting the upload; required when key is empty
};

// Sends the envelope as a resumable upload. A dropped connection is retried from the offset the
// server confirms as durable; a job with a key first asks the server where to go on from. Returns
// the tip's id once the server has stored the whole envelope.
std::string upload_envelope(HttpClient& http, const UploadJob& job);

}  // namespace tipline::client
