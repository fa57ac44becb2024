// What a listener refuses, and with which status and message; no I/O here.
#include "tipline/server/listener_policy.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/string.hpp>
#include <string>

#include "tipline/server/responses.hpp"

namespace tipline::server {

std::optional<Response> screen_header_with_limit(const RequestHeader& h, std::uint64_t limit) {
    const unsigned v = h.version();
    if (h.method() == http::verb::unknown) {
        return error_response(http::status::not_implemented, "method_not_implemented",
                              "this method is not supported", v);
    }
    const std::string_view target(h.target().data(), h.target().size());
    if (target.empty() || target.front() != '/') {
        return error_response(http::status::bad_request, "bad_target",
                              "the request target must be a path", v);
    }
    const bool has_te = h.find(http::field::transfer_encoding) != h.end();
    // Beast accepts "gzip" and other codings on their own; only plain chunked is taken here.
    if (has_te && !boost::beast::iequals(h[http::field::transfer_encoding], "chunked")) {
        return error_response(http::status::not_implemented, "transfer_encoding_not_supported",
                              "only chunked transfer coding is supported", v);
    }
    const auto length = h.find(http::field::content_length);
    if (limit > 0 && length == h.end() && !has_te) {
        return error_response(http::status::length_required, "length_required",
                              "send a Content-Length", v);
    }
    if (length != h.end()) {
        const auto n =
            parse_decimal(std::string_view(length->value().data(), length->value().size()));
        if (!n || *n > limit) {
            return error_response(http::status::payload_too_large, "body_too_large",
                                  limit == 0 ? "this request takes no body"
                                             : "the body is larger than this request may carry",
                                  v);
        }
    }
    return std::nullopt;
}

std::optional<Response> read_refusal(ReadProblem problem, bool got_bytes, bool draining) {
    switch (problem) {
        case ReadProblem::header_too_large:
            return error_response(http::status::request_header_fields_too_large, "header_too_large",
                                  "the request header is too large");
        case ReadProblem::timed_out:
            // A connection that sent nothing is closed quietly; one cut short by a stop is told
            // to try again, since nothing of it was stored.
            if (!got_bytes) return std::nullopt;
            if (draining) {
                return error_response(http::status::service_unavailable, "shutting_down",
                                      "the server is stopping; try again");
            }
            return error_response(http::status::request_timeout, "timeout",
                                  "the request was too slow");
        case ReadProblem::body_too_large:
            return error_response(http::status::payload_too_large, "body_too_large",
                                  "the envelope is larger than one request may carry");
        case ReadProblem::busy:
            return error_response(http::status::service_unavailable, "busy",
                                  "the server has no room for this request now; try again");
        case ReadProblem::malformed:
        case ReadProblem::refused:
            break;
    }
    return error_response(http::status::bad_request, "bad_request",
                          "the request is not valid HTTP/1.1");
}

std::optional<CircuitId> parse_proxy_line(std::string_view line) {
    // Five fields after "PROXY", each separated by exactly one space.
    if (line.size() + 2 > max_proxy_line_bytes || !line.starts_with("PROXY ")) return std::nullopt;
    std::string_view fields[5];
    std::string_view rest = line.substr(6);
    for (std::size_t i = 0; i < 5; ++i) {
        const auto space = rest.find(' ');
        if ((space == std::string_view::npos) != (i == 4)) return std::nullopt;
        fields[i] = rest.substr(0, space);
        if (fields[i].empty()) return std::nullopt;
        rest = i == 4 ? std::string_view() : rest.substr(space + 1);
    }
    for (const std::string_view port : {fields[3], fields[4]}) {
        const auto n = parse_decimal(port);
        if (!n || *n > 65535) return std::nullopt;
    }
    boost::system::error_code ec;
    const std::string source(fields[1]);
    const std::string destination(fields[2]);
    if (fields[0] == "TCP6") {
        const auto src = boost::asio::ip::make_address_v6(source, ec);
        if (ec) return std::nullopt;
        boost::asio::ip::make_address_v6(destination, ec);
        if (ec || src.scope_id() != 0) return std::nullopt;
        const auto bytes = src.to_bytes();
        return static_cast<CircuitId>(CircuitId{bytes[12]} << 24 | CircuitId{bytes[13]} << 16 |
                                      CircuitId{bytes[14]} << 8 | CircuitId{bytes[15]});
    }
    if (fields[0] == "TCP4") {
        const auto src = boost::asio::ip::make_address_v4(source, ec);
        if (ec) return std::nullopt;
        boost::asio::ip::make_address_v4(destination, ec);
        if (ec) return std::nullopt;
        return static_cast<CircuitId>(src.to_uint());
    }
    return std::nullopt;
}

}  // namespace tipline::server
