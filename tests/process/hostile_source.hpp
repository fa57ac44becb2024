// A hostile source API for attacking tipline-submit: an HTTP server on 127.0.0.1 that answers what
// each test scripts and records every request.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/receipt.hpp"

namespace tipline::test {

// Ids a well-behaved fake tip line hands out: each exactly 32 lowercase hex digits.
inline constexpr std::string_view fake_tip_id = "0123456789abcdef0123456789abcdef";
inline constexpr std::string_view fake_follow_up_id = "00112233445566778899aabbccddeeff";
inline constexpr std::string_view fake_upload_key = "fedcba9876543210fedcba9876543210";
inline constexpr std::string_view fake_upload_tip_id = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";

inline constexpr std::uint64_t default_inline_bytes = 4 * 1024 * 1024;  // tiplined's default
inline constexpr std::uint64_t default_envelope_bytes = 512 * 1024 * 1024;
inline constexpr std::uint64_t default_chunk_bytes = 1024 * 1024;

// One request as it reached the server.
struct RecordedRequest {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>>
        headers;  // names in lower case, in arrival order
    Bytes body;
    // The first value of a header (name in any case), or "".
    std::string header(std::string_view name) const;
};

// What the server sends back for one method and target.
struct CannedResponse {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json; charset=utf-8";
};

// {"id": id} with status 201, as POST /api/v1/tips answers; id is put in a JSON string as is (the
// serializer escapes control characters as \uXXXX, which the tool's JSON parser turns back into
// them).
CannedResponse id_answer(std::string_view id, std::string_view field = "id");
// {"error": {"code": code, "message": message}}.
CannedResponse error_answer(unsigned status, std::string_view code, std::string_view message);
// A bundle (FORMAT.md 11) of the given envelopes, received today, as GET /api/v1/mailbox answers.
CannedResponse bundle_answer(const std::vector<Bytes>& envelopes);

// The body of GET /api/v1/keys, built from real keys: the tool decodes them, so only real ones get
// far.
struct KeysAnswer {
    std::vector<crypto::PublicIdentity> recipients;
    // The "fingerprint" fields, when they should lie; the keys' true fingerprints otherwise.
    std::vector<std::string> shown_fingerprints;
    crypto::DeploymentSalt salt{};
    std::optional<Bytes> recipient_list;  // served as lowercase hex when present
    std::optional<std::string> raw_list;  // served as this exact string instead, when present
    std::uint64_t inline_bytes = default_inline_bytes;
    std::uint64_t upload_chunk_bytes = default_chunk_bytes;
    std::string json() const;
};

// The fake server. Bound to 127.0.0.1 on a port the kernel picks before the constructor returns, so
// a client may connect at once; it serves one connection at a time on a background thread and
// closes each after one answer.
class HostileSource {
  public:
    HostileSource();
    ~HostileSource();
    HostileSource(const HostileSource&) = delete;
    HostileSource& operator=(const HostileSource&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // Answers every later request with this method and exact target so.
    void answer(const std::string& method, const std::string& target, CannedResponse response);
    // Scripts a tip line that accepts everything: keys as given, no proof of work, tips, follow-ups
    // and uploads stored under the fake ids above, and an empty mailbox.
    void serve_tip_line(const KeysAnswer& keys);

    // Without a scripted answer, PUT /api/v1/uploads/KEY appends the chunk when Upload-Offset
    // equals what that key holds and answers {"offset": N}; GET /api/v1/uploads/KEY answers the
    // offset. Anything else unscripted gets 404 not_found.

    std::vector<RecordedRequest> requests() const;
    void forget_requests();

  private:
    void serve();
    CannedResponse respond(const RecordedRequest& request);

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_;  // guards everything below, shared with the serving thread
    std::map<std::pair<std::string, std::string>, CannedResponse> answers_;
    std::map<std::string, std::uint64_t> upload_offsets_;  // per upload target, bytes accepted
    std::vector<RecordedRequest> requests_;

    std::thread thread_;  // last: starts once everything above exists
};

// Every envelope that left the tool: the bodies of POST /api/v1/tips and /api/v1/mailbox/messages,
// and each upload's PUT chunks joined in offset order (a gap or overlap throws).
std::vector<Bytes> sent_envelopes(const std::vector<RecordedRequest>& requests);
// The requests that could carry an envelope: every POST and PUT.
std::vector<RecordedRequest> submissions(const std::vector<RecordedRequest>& requests);

}  // namespace tipline::test
