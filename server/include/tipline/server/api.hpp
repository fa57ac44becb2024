// The source API as pure functions from a request to a response or to an envelope to store.
#pragma once

#include <array>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "tipline/server/config.hpp"
#include "tipline/server/form_tokens.hpp"
#include "tipline/server/ingest_queue.hpp"
#include "tipline/server/proof_of_work.hpp"
#include "tipline/server/recipients.hpp"
#include "tipline/server/throttle.hpp"
#include "tipline/server/tip_id.hpp"

namespace tipline::server {

namespace http = boost::beast::http;
using Request = http::request<http::vector_body<unsigned char>>;
using RequestHeader = http::request_header<>;
using Response = http::response<http::string_body>;

// What handlers know about this deployment; read-only while serving. The budgets and the proof of
// work below are shared and internally locked. Their defaults suit handler tests (no proof of
// work); apply_limits sets them from the configuration.
struct ServerInfo {
    std::shared_ptr<RecipientBook> recipients =
        std::make_shared<RecipientBook>();  // replaced while serving
    std::string salt_hex;                   // deployment salt for receipts
    Limits limits;
    std::shared_ptr<TokenBucket> mailbox_throttle = std::make_shared<TokenBucket>();
    std::shared_ptr<FormTokens> form_tokens = std::make_shared<FormTokens>();
    std::shared_ptr<TokenBucket> upload_starts = std::make_shared<TokenBucket>(30, 5);
    std::shared_ptr<TokenBucket> web_forms = std::make_shared<TokenBucket>(10, 2);
    std::shared_ptr<ProofOfWork> pow = std::make_shared<ProofOfWork>(PowSettings{.enabled = false});
};

// The budgets and the proof of work for these limits, for a server starting now.
void apply_limits(ServerInfo& info, const Limits& limits);

// A write for the ingest queue, and how to answer once it is durable or has failed.
struct PendingWrite {
    WriteOp op;
    std::uint64_t adds_bytes = 0;
    std::function<Response(const WriteResult&)> respond;
};

// The handler's verdict on a complete request: answer it now, or make a write and then answer.
using Action = std::variant<Response, PendingWrite>;

// A request body taken as it arrives, not buffered whole: the web form's submission streams into
// sealing. The listener feeds it and asks it for the answer.
class StreamedBody {
  public:
    enum class Failure { refused, too_large, timeout, malformed };
    virtual ~StreamedBody() = default;
    // The next bytes of the body; false refuses the body, and refusal(Failure::refused) then
    // answers.
    virtual bool write(std::span<const unsigned char> bytes) noexcept = 0;
    // The whole body has arrived.
    virtual Action finish() = 0;
    // The answer when the body was refused, or could not be read.
    virtual Response refusal(Failure why) = 0;
};

// The largest body this request may carry (0 for requests that take none).
std::uint64_t body_limit_for(const RequestHeader& header, const ServerInfo& info);

// Checks a request's header before any body byte is read; a response means: send it and close.
std::optional<Response> screen_header(const RequestHeader& header, const ServerInfo& info);

Action handle_request(Request&& request, const ServerInfo& info);

// The body of this request, when it is one the source listener streams (the web form's
// submission); nullptr for every other request.
std::unique_ptr<StreamedBody> streamed_body_for(const RequestHeader& header,
                                                const ServerInfo& info);

// The answer to POST /api/v1/tips once the write is durable (ec empty) or has failed.
Response stored_response(std::error_code ec, const TipId& id, unsigned version, bool keep_alive);

// Screening with a given body limit; screen_header uses the source API's limits.
std::optional<Response> screen_header_with_limit(const RequestHeader& header, std::uint64_t limit);

// Shared by the source and responder APIs.
Response json_response(http::status status, const boost::json::value& body, unsigned version,
                       bool keep_alive);
Response bytes_response(std::string body, unsigned version,
                        bool keep_alive);  // application/octet-stream
Response method_not_allowed(std::string_view allowed, unsigned version);
boost::json::object error_body(std::string_view code, std::string_view message);
// A canonical decimal: digits only, no sign, no leading zero, fits in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view text);
// A whole envelope in a body: its header is sound and the body is exactly as long as it says.
std::optional<Response> check_envelope_body(const std::vector<unsigned char>& body,
                                            const ServerInfo& info, unsigned version);

// Whether the client keeps the connection open after this request (HTTP/1.1 unless it says close).
bool wants_keep_alive(const RequestHeader& header);

// A 32-byte value sent as 64 lowercase hex digits in a header: absent, malformed, or present.
struct Hex32Header {
    bool present = false;
    bool valid = false;
    std::array<unsigned char, 32> value{};
};
Hex32Header hex32_header(const RequestHeader& header, std::string_view name);

// A JSON error with a stable code; never echoes anything from the request.
Response error_response(http::status status, std::string_view code, std::string_view message,
                        unsigned version = 11);

}  // namespace tipline::server
