// Source API handlers: routing, header screening, envelope checks and JSON bodies. No sockets here.
#include "tipline/server/api.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include <charconv>

#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/padding.hpp"
#include "tipline/server/write_ops.hpp"

namespace tipline::server {
namespace {

namespace json = boost::json;

constexpr std::string_view keys_path = "/api/v1/keys";
constexpr std::string_view tips_path = "/api/v1/tips";
constexpr std::string_view uploads_path = "/api/v1/uploads";
constexpr std::string_view finish_suffix = "/finish";
constexpr std::string_view length_header = "Upload-Length";
constexpr std::string_view offset_header = "Upload-Offset";

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

// A canonical decimal: digits only, no sign, no leading zero, fits in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

std::optional<std::uint64_t> header_number(const RequestHeader& h, std::string_view name) {
    const auto it = h.find(name);
    if (it == h.end()) return std::nullopt;
    return parse_decimal(std::string_view(it->value().data(), it->value().size()));
}

json::object error_body(std::string_view code, std::string_view message) {
    return json::object{{"error", json::object{{"code", code}, {"message", message}}}};
}

// A 409 that tells the client where the stored bytes end, so it can go on from there.
Response conflict_at(std::string_view code, std::string_view message, std::uint64_t offset, unsigned v) {
    json::object body = error_body(code, message);
    body["offset"] = offset;
    return json_response(http::status::conflict, body, v, false);
}

// Answers for upload writes that went wrong, shared by every upload endpoint.
Response upload_failure(const WriteResult& r, unsigned v) {
    if (r.ec == IngestError::not_found) {
        return error_response(http::status::not_found, "upload_not_found", "no unfinished upload has this key", v);
    }
    if (r.ec == IngestError::wrong_offset) {
        return conflict_at("wrong_offset", "resume from the offset the server has stored", r.value, v);
    }
    if (r.ec == IngestError::overflow) {
        return error_response(http::status::bad_request, "upload_overflow", "more bytes than the upload declared", v);
    }
    if (r.ec == IngestError::incomplete) {
        return conflict_at("upload_incomplete", "the upload has not received all its bytes", r.value, v);
    }
    return stored_response(r.ec, {}, v, false);
}

struct Route {
    enum Kind { keys, tips, uploads, upload, upload_finish, none } kind = none;
    std::optional<TipId> key;
};

Route route(std::string_view target) {
    if (target == keys_path) return {Route::keys, {}};
    if (target == tips_path) return {Route::tips, {}};
    if (target == uploads_path) return {Route::uploads, {}};
    if (target.starts_with(uploads_path) && target.size() > uploads_path.size() && target[uploads_path.size()] == '/') {
        std::string_view rest = target.substr(uploads_path.size() + 1);
        Route::Kind kind = Route::upload;
        if (rest.ends_with(finish_suffix)) {
            rest.remove_suffix(finish_suffix.size());
            kind = Route::upload_finish;
        }
        if (auto key = TipId::from_hex(rest)) return {kind, key};
    }
    return {Route::none, {}};
}

Response method_not_allowed(std::string_view allowed, unsigned v) {
    Response res = error_response(http::status::method_not_allowed, "method_not_allowed", "this method is not allowed here", v);
    res.set(http::field::allow, allowed);
    return res;
}

Action keys(const Request& req, const ServerInfo& info) {
    const unsigned v = req.version();
    if (req.method() != http::verb::get && req.method() != http::verb::head) return method_not_allowed("GET, HEAD", v);
    json::array recipients;
    for (std::size_t i = 0; i < info.recipients.size(); ++i) {
        recipients.push_back(json::object{{"key", info.recipients[i]}, {"fingerprint", info.fingerprints[i]}});
    }
    json::object body{{"version", 1},
                      {"recipients", std::move(recipients)},
                      {"salt", info.salt_hex},
                      {"limits", json::object{{"inline_bytes", info.limits.inline_bytes},
                                              {"envelope_bytes", info.limits.envelope_bytes},
                                              {"upload_chunk_bytes", info.limits.upload_chunk_bytes}}}};
    Response res = json_response(http::status::ok, body, v, req.keep_alive());
    if (req.method() == http::verb::head) res.body().clear();
    return res;
}

Action submit(Request&& req, const ServerInfo& info) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
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
    const std::uint64_t size = body.size();
    return PendingWrite{store_envelope_op(std::move(body)), size,
                        [v, keep](const WriteResult& r) { return stored_response(r.ec, r.id, v, keep); }};
}

Action begin_upload(const Request& req, const ServerInfo& info) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    const auto length = header_number(req.base(), length_header);
    const std::uint64_t smallest = crypto::EnvelopeHeader{1, crypto::min_padded_length}.total_size();
    if (!length || *length < smallest) {
        return error_response(http::status::bad_request, "bad_upload_length",
                              "send Upload-Length: the envelope's exact size in bytes", v);
    }
    if (*length > info.limits.envelope_bytes) {
        return error_response(http::status::payload_too_large, "envelope_too_large",
                              "the envelope is larger than this server stores", v);
    }
    const std::uint64_t chunk = info.limits.upload_chunk_bytes;
    return PendingWrite{begin_upload_op(*length), 0, [v, keep, chunk](const WriteResult& r) {
                            if (r.ec) return upload_failure(r, v);
                            return json_response(http::status::created,
                                                 json::object{{"upload", r.id.hex()}, {"offset", 0}, {"chunk_bytes", chunk}},
                                                 v, keep);
                        }};
}

Action upload(Request&& req, const TipId& key) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() == http::verb::get || req.method() == http::verb::head) {
        auto length = std::make_shared<std::uint64_t>(0);
        const bool head = req.method() == http::verb::head;
        return PendingWrite{upload_status_op(key, length.get()), 0, [v, keep, length, head](const WriteResult& r) {
                                if (r.ec) return upload_failure(r, v);
                                Response res = json_response(
                                    http::status::ok, json::object{{"offset", r.value}, {"length", *length}}, v, keep);
                                if (head) res.body().clear();  // Content-Length still gives the GET size
                                return res;
                            }};
    }
    if (req.method() != http::verb::put) return method_not_allowed("GET, HEAD, PUT", v);
    const auto offset = header_number(req.base(), offset_header);
    if (!offset) {
        return error_response(http::status::bad_request, "bad_upload_offset",
                              "send Upload-Offset: where this chunk starts", v);
    }
    if (req.body().empty()) {
        return error_response(http::status::bad_request, "empty_chunk", "an upload chunk must carry bytes", v);
    }
    const std::uint64_t size = req.body().size();
    return PendingWrite{append_upload_op(key, *offset, std::move(req.body())), size, [v, keep](const WriteResult& r) {
                            if (r.ec) return upload_failure(r, v);
                            return json_response(http::status::ok, json::object{{"offset", r.value}}, v, keep);
                        }};
}

Action finish_upload(const Request& req, const TipId& key) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    return PendingWrite{finish_upload_op(key), 0, [v, keep](const WriteResult& r) {
                            if (r.ec) return upload_failure(r, v);
                            if (r.detail) return envelope_error(r.detail, v);
                            return stored_response({}, r.id, v, keep);
                        }};
}

}  // namespace

Response error_response(http::status status, std::string_view code, std::string_view message, unsigned version) {
    return json_response(status, error_body(code, message), version, false);
}

std::uint64_t body_limit_for(const RequestHeader& h, const ServerInfo& info) {
    const Route r = route(std::string_view(h.target().data(), h.target().size()));
    if (r.kind == Route::tips && h.method() == http::verb::post) return info.limits.inline_bytes;
    if (r.kind == Route::upload && h.method() == http::verb::put) return info.limits.upload_chunk_bytes;
    return 0;
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
    // Beast accepts "gzip" and other codings on their own; only plain chunked is taken here.
    if (has_te && !boost::beast::iequals(h[http::field::transfer_encoding], "chunked")) {
        return error_response(http::status::not_implemented, "transfer_encoding_not_supported",
                              "only chunked transfer coding is supported", v);
    }
    const std::uint64_t limit = body_limit_for(h, info);
    const auto length = h.find(http::field::content_length);
    if (limit > 0 && length == h.end() && !has_te) {
        return error_response(http::status::length_required, "length_required", "send a Content-Length", v);
    }
    if (length != h.end()) {
        const auto n = parse_decimal(std::string_view(length->value().data(), length->value().size()));
        if (!n || *n > limit) {
            return error_response(http::status::payload_too_large, "body_too_large",
                                  limit == 0 ? "this request takes no body" : "the body is larger than this request may carry",
                                  v);
        }
    }
    return std::nullopt;
}

Action handle_request(Request&& req, const ServerInfo& info) {
    const Route r = route(std::string_view(req.target().data(), req.target().size()));
    switch (r.kind) {
        case Route::keys: return keys(req, info);
        case Route::tips: return submit(std::move(req), info);
        case Route::uploads: return begin_upload(req, info);
        case Route::upload: return upload(std::move(req), *r.key);
        case Route::upload_finish: return finish_upload(req, *r.key);
        case Route::none: break;
    }
    return error_response(http::status::not_found, "not_found", "no such endpoint", req.version());
}

Response stored_response(std::error_code ec, const TipId& id, unsigned version, bool keep_alive) {
    if (ec == IngestError::full) {
        return error_response(http::status::insufficient_storage, "storage_full",
                              "the server cannot store more now; stored tips are safe", version);
    }
    if (ec == IngestError::stopped) {
        return error_response(http::status::service_unavailable, "shutting_down", "the server is stopping; try again",
                              version);
    }
    if (ec) return error_response(http::status::internal_server_error, "storage_failed", "nothing was stored", version);
    return json_response(http::status::created, json::object{{"id", id.hex()}}, version, keep_alive);
}

}  // namespace tipline::server
