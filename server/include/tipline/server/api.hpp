// The source API as pure functions from a request to a response or to an envelope to store.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/vector_body.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "tipline/server/config.hpp"
#include "tipline/server/ingest_queue.hpp"
#include "tipline/server/tip_id.hpp"

namespace tipline::server {

namespace http = boost::beast::http;
using Request = http::request<http::vector_body<unsigned char>>;
using RequestHeader = http::request_header<>;
using Response = http::response<http::string_body>;

// What handlers know about this deployment; read-only while serving.
struct ServerInfo {
    std::vector<std::string> recipients;    // public key texts
    std::vector<std::string> fingerprints;  // in the same order
    std::string salt_hex;                   // deployment salt for receipts
    Limits limits;
};

// A write for the ingest queue, and how to answer once it is durable or has failed.
struct PendingWrite {
    WriteOp op;
    std::uint64_t adds_bytes = 0;
    std::function<Response(const WriteResult&)> respond;
};

// The handler's verdict on a complete request: answer it now, or make a write and then answer.
using Action = std::variant<Response, PendingWrite>;

// The largest body this request may carry (0 for requests that take none).
std::uint64_t body_limit_for(const RequestHeader& header, const ServerInfo& info);

// Checks a request's header before any body byte is read; a response means: send it and close.
std::optional<Response> screen_header(const RequestHeader& header, const ServerInfo& info);

Action handle_request(Request&& request, const ServerInfo& info);

// The answer to POST /api/v1/tips once the write is durable (ec empty) or has failed.
Response stored_response(std::error_code ec, const TipId& id, unsigned version, bool keep_alive);

// A JSON error with a stable code; never echoes anything from the request.
Response error_response(http::status status, std::string_view code, std::string_view message, unsigned version = 11);

}  // namespace tipline::server
