// Source API handlers: routing, header screening, envelope checks and JSON bodies. No sockets here.
#include "tipline/server/api.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/server/ingest_queue.hpp"

namespace tipline::server {
namespace {

namespace json = boost::json;

constexpr std::string_view keys_path = "/api/v1/keys";
constexpr std::string_view tips_path = "/api/v1/tips";

Response json_response(http::status status, const json::value& body, unsigned version, bool keep_alive) {
    Response res{status, version};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.keep_alive(keep_alive);
    res.body() = json::serialize(body) + "\n";
    res.prepare_payload();
    return res;
}

Response envelope_error(std::error_code ec, unsigned version) {
    using crypto::Error;
    if (ec == Error::unsupported_version) {
        return error_response(http::status::bad_request, "envelope_unsupported_version",
                              "the envelope's format version is not one this server accepts", version);
    }
    if (ec == Error::truncated) {
        return error_response(http::status::bad_request, "envelope_truncated", "the envelope ends too early", version);
    }
    return error_response(http::status::bad_request, "envelope_malformed", "the body is not a valid envelope", version);
}

}  // namespace

Response error_response(http::status status, std::string_view code, std::string_view message, unsigned version) {
    json::object error{{"code", code}, {"message", message}};
    return json_response(status, json::object{{"error", std::move(error)}}, version, false);
}

std::optional<Response> screen_header(const RequestHeader& h, const ServerInfo& info) {
    const unsigned v = h.version();
    if (h.method() == http::verb::unknown) {
        return error_response(http::status::not_implemented, "method_not_implemented", "this method is not supported", v);
    }
    const std::string_view target(h.target().data(), h.target().size());
    if (target.empty() || target.front() != '/') {
        return error_response(http::status::bad_request, "bad_target", "the request target must be a path", v);
    }
    const bool has_te = h.find(http::field::transfer_encoding) != h.end();
    if (has_te) {
        // Beast accepts "gzip" and other codings on their own; only plain chunked is taken here.
        if (!boost::beast::iequals(h[http::field::transfer_encoding], "chunked")) {
            return error_response(http::status::not_implemented, "transfer_encoding_not_supported",
                                  "only chunked transfer coding is supported", v);
        }
    }
    if (target == tips_path && h.method() == http::verb::post) {
        const auto length = h.find(http::field::content_length);
        if (length == h.end() && !has_te) {
            return error_response(http::status::length_required, "length_required", "send a Content-Length", v);
        }
        if (length != h.end()) {
            std::uint64_t n = 0;
            const auto text = length->value();
            for (char c : text) n = n * 10 + static_cast<std::uint64_t>(c - '0');  // Beast has validated the digits
            if (n > info.limits.inline_bytes) {
                return error_response(http::status::payload_too_large, "body_too_large",
                                      "the envelope is larger than one request may carry", v);
            }
        }
    }
    return std::nullopt;
}

Action handle_request(Request&& req, const ServerInfo& info) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    const std::string_view target(req.target().data(), req.target().size());
    if (target == keys_path) {
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            return error_response(http::status::method_not_allowed, "method_not_allowed", "use GET", v);
        }
        json::array recipients;
        for (std::size_t i = 0; i < info.recipients.size(); ++i) {
            recipients.push_back(json::object{{"key", info.recipients[i]}, {"fingerprint", info.fingerprints[i]}});
        }
        json::object body{{"version", 1},
                          {"recipients", std::move(recipients)},
                          {"salt", info.salt_hex},
                          {"limits", json::object{{"inline_bytes", info.limits.inline_bytes},
                                                  {"envelope_bytes", info.limits.envelope_bytes}}}};
        Response res = json_response(http::status::ok, body, v, keep);
        if (req.method() == http::verb::head) res.body().clear();
        return res;
    }
    if (target == tips_path) {
        if (req.method() != http::verb::post) {
            return error_response(http::status::method_not_allowed, "method_not_allowed", "use POST", v);
        }
        std::vector<unsigned char>& body = req.body();
        crypto::MemorySource source(body);
        crypto::EnvelopeHeader header;
        if (auto ec = crypto::read_envelope_header(source, header)) return envelope_error(ec, v);
        if (header.total_size() > info.limits.envelope_bytes) {
            return error_response(http::status::payload_too_large, "envelope_too_large",
                                  "the envelope is larger than this server stores", v);
        }
        if (body.size() < header.total_size()) return envelope_error(crypto::Error::truncated, v);
        if (body.size() > header.total_size()) {
            return error_response(http::status::bad_request, "envelope_trailing_data",
                                  "the body continues past the end of the envelope", v);
        }
        return StoreEnvelope{std::move(body)};
    }
    return error_response(http::status::not_found, "not_found", "no such endpoint", v);
}

Response stored_response(std::error_code ec, const TipId& id, unsigned version, bool keep_alive) {
    if (ec == IngestError::full) {
        return error_response(http::status::insufficient_storage, "storage_full",
                              "the server cannot store more tips now; stored tips are safe", version);
    }
    if (ec == IngestError::stopped) {
        return error_response(http::status::service_unavailable, "shutting_down", "the server is stopping; try again",
                              version);
    }
    if (ec) return error_response(http::status::internal_server_error, "storage_failed", "the tip was not stored", version);
    return json_response(http::status::created, json::object{{"id", id.hex()}}, version, keep_alive);
}

}  // namespace tipline::server
