// Source API handlers: routing, header screening, envelope checks and JSON bodies. No sockets here.
#include "tipline/server/api.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <charconv>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/padding.hpp"
#include "tipline/crypto/proof_of_work.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/protocol/names.hpp"
#include "tipline/server/web.hpp"
#include "tipline/server/write_ops.hpp"

namespace tipline::server {
namespace {

namespace json = boost::json;
using namespace protocol;

constexpr std::uint64_t web_check_bytes = 16 * 1024;  // the receipt form: one short field

}  // namespace

Response json_response(http::status status, const json::value& body, unsigned version,
                       bool keep_alive) {
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

// Bytes (a bundle) as application/octet-stream.
Response bytes_response(std::string body, unsigned version, bool keep_alive) {
    Response res{http::status::ok, version};
    res.set(http::field::content_type, "application/octet-stream");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

namespace {

Response envelope_error(std::error_code ec, unsigned version) {
    using crypto::Error;
    if (ec == Error::unsupported_version) {
        return error_response(http::status::bad_request, "envelope_unsupported_version",
                              "the envelope's format version is not one this server accepts",
                              version);
    }
    if (ec == Error::truncated) {
        return error_response(http::status::bad_request, "envelope_truncated",
                              "the envelope ends too early", version);
    }
    return error_response(http::status::bad_request, "envelope_malformed",
                          "the body is not a valid envelope", version);
}

}  // namespace

// A canonical decimal: digits only, no sign, no leading zero, fits in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0'))
        return std::nullopt;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

namespace {

std::optional<std::uint64_t> header_number(const RequestHeader& h, std::string_view name) {
    const auto it = h.find(name);
    if (it == h.end()) return std::nullopt;
    return parse_decimal(std::string_view(it->value().data(), it->value().size()));
}

}  // namespace

json::object error_body(std::string_view code, std::string_view message) {
    return json::object{{"error", json::object{{"code", code}, {"message", message}}}};
}

namespace {

// A 409 that tells the client where the stored bytes end, so it can go on from there.
Response conflict_at(std::string_view code, std::string_view message, std::uint64_t offset,
                     unsigned v) {
    json::object body = error_body(code, message);
    body["offset"] = offset;
    return json_response(http::status::conflict, body, v, false);
}

// Answers for upload writes that went wrong, shared by every upload endpoint.
Response upload_failure(const WriteResult& r, unsigned v) {
    if (r.ec == IngestError::not_found) {
        return error_response(http::status::not_found, "upload_not_found",
                              "no unfinished upload has this key", v);
    }
    if (r.ec == IngestError::wrong_offset) {
        return conflict_at("wrong_offset", "resume from the offset the server has stored", r.value,
                           v);
    }
    if (r.ec == IngestError::overflow) {
        return error_response(http::status::bad_request, "upload_overflow",
                              "more bytes than the upload declared", v);
    }
    if (r.ec == IngestError::incomplete) {
        return conflict_at("upload_incomplete", "the upload has not received all its bytes",
                           r.value, v);
    }
    return stored_response(r.ec, {}, v, false);
}

struct Route {
    enum Kind {
        keys,
        challenge,
        tips,
        uploads,
        upload,
        upload_finish,
        mailbox,
        mailbox_messages,
        none
    } kind = none;
    std::optional<TipId> key;
};

Route route(std::string_view target) {
    if (target == keys_path) return {Route::keys, {}};
    if (target == challenge_path) return {Route::challenge, {}};
    if (target == tips_path) return {Route::tips, {}};
    if (target == uploads_path) return {Route::uploads, {}};
    if (target == mailbox_path) return {Route::mailbox, {}};
    if (target == mailbox_messages_path) return {Route::mailbox_messages, {}};
    if (target.starts_with(uploads_path) && target.size() > uploads_path.size() &&
        target[uploads_path.size()] == '/') {
        std::string_view rest = target.substr(uploads_path.size() + 1);
        Route::Kind kind = Route::upload;
        if (rest.ends_with(upload_finish_suffix)) {
            rest.remove_suffix(upload_finish_suffix.size());
            kind = Route::upload_finish;
        }
        if (auto key = TipId::from_hex(rest)) return {kind, key};
    }
    return {Route::none, {}};
}

}  // namespace

Response method_not_allowed(std::string_view allowed, unsigned v) {
    Response res = error_response(http::status::method_not_allowed, "method_not_allowed",
                                  "this method is not allowed here", v);
    res.set(http::field::allow, allowed);
    return res;
}

namespace {

// A fresh challenge and what it takes, or only "required": false when the server asks for no work.
json::object challenge_body(const ServerInfo& info) {
    if (!info.pow->enabled()) return json::object{{"required", false}};
    const crypto::PowChallenge c = info.pow->issue();
    return json::object{{"required", true},
                        {"challenge", crypto::to_hex(c)},
                        {"bits", crypto::pow_bits(c)},
                        {"valid_for_s", info.pow->lifetime_s() / 2}};
}

Action keys(const Request& req, const ServerInfo& info) {
    const unsigned v = req.version();
    if (req.method() != http::verb::get && req.method() != http::verb::head)
        return method_not_allowed("GET, HEAD", v);
    const auto current = info.recipients->current();
    json::array recipients;
    for (std::size_t i = 0; i < current->texts.size(); ++i) {
        recipients.push_back(
            json::object{{"key", current->texts[i]}, {"fingerprint", current->fingerprints[i]}});
    }
    json::object body{
        {"version", 1},
        {"recipients", std::move(recipients)},
        {"salt", info.salt_hex},
        {"limits", json::object{{"inline_bytes", info.limits.inline_bytes},
                                {"envelope_bytes", info.limits.envelope_bytes},
                                {"upload_chunk_bytes", info.limits.upload_chunk_bytes}}},
        {"proof_of_work", challenge_body(info)}};
    // The organisation's signature over the recipients, for clients to check; the server cannot
    // forge it.
    if (current->list) body["recipient_list"] = crypto::to_hex(current->list_bytes);
    Response res = json_response(http::status::ok, body, v, req.keep_alive());
    if (req.method() == http::verb::head) res.body().clear();
    return res;
}

Action challenge(const Request& req, const ServerInfo& info) {
    const unsigned v = req.version();
    if (req.method() != http::verb::get) return method_not_allowed("GET", v);
    return json_response(http::status::ok, challenge_body(info), v, req.keep_alive());
}

}  // namespace

// A whole envelope in a body: its header is sound and the body is exactly as long as it says.
std::optional<Response> check_envelope_body(const std::vector<unsigned char>& body,
                                            const ServerInfo& info, unsigned v) {
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
    return std::nullopt;
}

Hex32Header hex32_header(const RequestHeader& h, std::string_view name) {
    Hex32Header out;
    const auto it = h.find(name);
    if (it == h.end()) return out;
    out.present = true;
    const std::string_view text(it->value().data(), it->value().size());
    if (text.size() != 2 * out.value.size()) return out;
    out.valid = crypto::from_hex(text, out.value);
    return out;
}

namespace {

Response bad_mailbox_header(unsigned v) {
    return error_response(http::status::bad_request, "bad_mailbox_header",
                          "mailbox names, tokens and token hashes are 64 lowercase hex digits", v);
}

// The mailbox a new tip or upload opens, from its two headers; both or neither.
std::variant<std::optional<NewMailbox>, Response> new_mailbox(const RequestHeader& h) {
    const Hex32Header key = hex32_header(h, mailbox_header);
    const Hex32Header hash = hex32_header(h, mailbox_token_hash_header);
    if (!key.present && !hash.present) return std::optional<NewMailbox>();
    if (!key.valid || !hash.valid) return bad_mailbox_header(h.version());
    return std::optional<NewMailbox>(NewMailbox{key.value, hash.value});
}

Response mailbox_failure(const WriteResult& r, const ServerInfo& info, unsigned v) {
    if (r.ec == IngestError::mailbox_taken) {
        return error_response(http::status::conflict, "mailbox_taken",
                              "a mailbox with this name exists already", v);
    }
    if (r.ec == IngestError::mailbox_denied) {
        info.mailbox_throttle->take();
        return error_response(http::status::not_found, "mailbox_denied",
                              "no mailbox with this name and token", v);
    }
    if (r.ec == IngestError::too_large) {
        return error_response(http::status::payload_too_large, "response_too_large",
                              "more than one response may carry", v);
    }
    return stored_response(r.ec, {}, v, false);
}

Action submit(Request&& req, const ServerInfo& info) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    if (auto problem = check_envelope_body(req.body(), info, v)) return std::move(*problem);
    auto mailbox = new_mailbox(req.base());
    if (auto* res = std::get_if<Response>(&mailbox)) return std::move(*res);
    const std::uint64_t size = req.body().size();
    return PendingWrite{store_envelope_op(std::move(req.body()), std::get<0>(mailbox)), size,
                        [v, keep, &info](const WriteResult& r) {
                            if (r.ec) return mailbox_failure(r, info, v);
                            return stored_response(r.ec, r.id, v, keep);
                        }};
}

// The mailbox's name and the hash of the presented token, or the answer that refuses the request.
std::variant<std::pair<MailboxKey, TokenHash>, Response> mailbox_access(const RequestHeader& h,
                                                                        const ServerInfo& info) {
    const unsigned v = h.version();
    if (!info.mailbox_throttle->allow()) {
        Response res = error_response(http::status::too_many_requests, "mailbox_throttled",
                                      "too many failed mailbox requests; try again later", v);
        res.set(http::field::retry_after,
                std::to_string(info.mailbox_throttle->retry_after_seconds()));
        return res;
    }
    const Hex32Header key = hex32_header(h, mailbox_header);
    const Hex32Header token = hex32_header(h, mailbox_token_header);
    if (!key.valid || !token.valid) return bad_mailbox_header(v);
    return std::pair{key.value, crypto::hash_mailbox_token(token.value)};
}

Action mailbox(const Request& req, const ServerInfo& info) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::get) return method_not_allowed("GET", v);
    auto access = mailbox_access(req.base(), info);
    if (auto* res = std::get_if<Response>(&access)) return std::move(*res);
    const auto [key, hash] = std::get<0>(access);
    return PendingWrite{read_replies_op(key, hash, info.limits.response_bytes), 0,
                        [v, keep, &info](const WriteResult& r) {
                            if (r.ec) return mailbox_failure(r, info, v);
                            return bytes_response(r.body, v, keep);
                        }};
}

Action mailbox_message(Request&& req, const ServerInfo& info) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    auto access = mailbox_access(req.base(), info);
    if (auto* res = std::get_if<Response>(&access)) return std::move(*res);
    if (auto problem = check_envelope_body(req.body(), info, v)) return std::move(*problem);
    const auto [key, hash] = std::get<0>(access);
    const std::uint64_t size = req.body().size();
    return PendingWrite{store_follow_up_op(std::move(req.body()), key, hash), size,
                        [v, keep, &info](const WriteResult& r) {
                            if (r.ec) return mailbox_failure(r, info, v);
                            return stored_response(r.ec, r.id, v, keep);
                        }};
}

constexpr unsigned upload_busy_retry_s =
    600;  // unfinished uploads free up as they finish or expire

Response uploads_busy(unsigned retry_after_s, unsigned v) {
    Response res =
        error_response(http::status::service_unavailable, "uploads_busy",
                       "too many uploads are unfinished or starting; try again later", v);
    res.set(http::field::retry_after, std::to_string(retry_after_s));
    return res;
}

Action begin_upload(const Request& req, const ServerInfo& info) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    const auto length = header_number(req.base(), upload_length_header);
    const std::uint64_t smallest =
        crypto::EnvelopeHeader{1, crypto::min_padded_length}.total_size();
    if (!length || *length < smallest) {
        return error_response(http::status::bad_request, "bad_upload_length",
                              "send Upload-Length: the envelope's exact size in bytes", v);
    }
    if (*length > info.limits.envelope_bytes) {
        return error_response(http::status::payload_too_large, "envelope_too_large",
                              "the envelope is larger than this server stores", v);
    }
    auto mailbox = new_mailbox(req.base());
    if (auto* res = std::get_if<Response>(&mailbox)) return std::move(*res);
    if (!info.upload_starts->try_take())
        return uploads_busy(info.upload_starts->retry_after_seconds(), v);
    const std::uint64_t chunk = info.limits.upload_chunk_bytes;
    const PendingUploadLimits limits{info.limits.max_pending_uploads,
                                     info.limits.pending_upload_bytes};
    return PendingWrite{
        begin_upload_op(*length, std::get<0>(mailbox), limits), 0,
        [v, keep, chunk, &info](const WriteResult& r) {
            if (r.ec == IngestError::mailbox_taken) return mailbox_failure(r, info, v);
            if (r.ec == IngestError::busy) return uploads_busy(upload_busy_retry_s, v);
            if (r.ec) return upload_failure(r, v);
            return json_response(
                http::status::created,
                json::object{{"upload", r.id.hex()}, {"offset", 0}, {"chunk_bytes", chunk}}, v,
                keep);
        }};
}

Action upload(Request&& req, const TipId& key) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() == http::verb::get || req.method() == http::verb::head) {
        auto length = std::make_shared<std::uint64_t>(0);
        const bool head = req.method() == http::verb::head;
        return PendingWrite{
            upload_status_op(key, length.get()), 0, [v, keep, length, head](const WriteResult& r) {
                if (r.ec) return upload_failure(r, v);
                Response res =
                    json_response(http::status::ok,
                                  json::object{{"offset", r.value}, {"length", *length}}, v, keep);
                if (head) res.body().clear();  // Content-Length still gives the GET size
                return res;
            }};
    }
    if (req.method() != http::verb::put) return method_not_allowed("GET, HEAD, PUT", v);
    const auto offset = header_number(req.base(), upload_offset_header);
    if (!offset) {
        return error_response(http::status::bad_request, "bad_upload_offset",
                              "send Upload-Offset: where this chunk starts", v);
    }
    if (req.body().empty()) {
        return error_response(http::status::bad_request, "empty_chunk",
                              "an upload chunk must carry bytes", v);
    }
    const std::uint64_t size = req.body().size();
    return PendingWrite{
        append_upload_op(key, *offset, std::move(req.body())), size,
        [v, keep](const WriteResult& r) {
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

Response error_response(http::status status, std::string_view code, std::string_view message,
                        unsigned version) {
    return json_response(status, error_body(code, message), version, false);
}

bool wants_keep_alive(const RequestHeader& h) {
    http::token_list connection(h[http::field::connection]);
    if (h.version() < 11) return connection.exists("keep-alive");
    return !connection.exists("close");
}

namespace {

// The submissions that cost a proof of work: new tips, new uploads and follow-ups. Upload chunks
// are covered by the proof that started their upload.
bool needs_proof(const RequestHeader& h, const ServerInfo& info) {
    if (!info.pow->enabled() || h.method() != http::verb::post) return false;
    const Route::Kind k = route(std::string_view(h.target().data(), h.target().size())).kind;
    return k == Route::tips || k == Route::uploads || k == Route::mailbox_messages;
}

// Checks and spends the request's proof; the answer refusing it, or nothing when it is accepted.
std::optional<Response> check_proof(const RequestHeader& h, const ServerInfo& info) {
    const auto it = h.find(proof_header);
    const std::string_view text = it == h.end()
                                      ? std::string_view()
                                      : std::string_view(it->value().data(), it->value().size());
    const unsigned v = h.version();
    const auto refuse = [v](std::string_view code, std::string_view message) {
        return error_response(http::status::forbidden, code, message, v);
    };
    switch (info.pow->check(text)) {
        case PowVerdict::accepted:
            return std::nullopt;
        case PowVerdict::missing:
            return refuse(
                "proof_required",
                "solve a challenge from GET /api/v1/challenge and send it in Tipline-Proof");
        case PowVerdict::malformed:
            return error_response(http::status::bad_request, "bad_proof",
                                  "Tipline-Proof is not a challenge and a nonce", v);
        case PowVerdict::stale:
            return refuse("proof_stale", "the challenge has expired; solve a new one");
        case PowVerdict::too_weak:
            return refuse("proof_too_weak",
                          "the server asks for more work now; solve a new challenge");
        case PowVerdict::unsolved:
            return refuse("proof_unsolved", "the nonce does not solve the challenge");
        case PowVerdict::spent:
            return refuse("proof_spent", "this challenge was used already; solve a new one");
        case PowVerdict::busy:
            break;
    }
    Response res = error_response(http::status::service_unavailable, "busy",
                                  "the server is busy; try again later", v);
    res.set(http::field::retry_after, std::to_string(info.pow->lifetime_s() / 2));
    return res;
}

}  // namespace

void apply_limits(ServerInfo& info, const Limits& limits) {
    info.limits = limits;
    info.mailbox_throttle = std::make_shared<TokenBucket>(limits.mailbox_failure_burst,
                                                          limits.mailbox_failures_per_minute);
    info.upload_starts =
        std::make_shared<TokenBucket>(limits.upload_burst, limits.uploads_per_hour / 60.0);
    info.web_forms =
        std::make_shared<TokenBucket>(limits.web_form_burst, limits.web_forms_per_hour / 60.0);
    info.pow =
        std::make_shared<ProofOfWork>(PowSettings{.enabled = limits.proof_of_work,
                                                  .bits = limits.pow_bits,
                                                  .max_bits = limits.pow_max_bits,
                                                  .target_per_minute = limits.pow_target_per_minute,
                                                  .lifetime_s = limits.pow_lifetime_s});
}

std::uint64_t body_limit_for(const RequestHeader& h, const ServerInfo& info) {
    const std::string_view target(h.target().data(), h.target().size());
    if (const auto page = web_target(target); page && h.method() == http::verb::post) {
        if (page->kind == WebTarget::submit || page->kind == WebTarget::follow_up)
            return info.limits.web_form_bytes;
        if (page->kind == WebTarget::check) return web_check_bytes;
    }
    const Route r = route(target);
    if (r.kind == Route::tips && h.method() == http::verb::post) return info.limits.inline_bytes;
    if (r.kind == Route::upload && h.method() == http::verb::put)
        return info.limits.upload_chunk_bytes;
    if (r.kind == Route::mailbox_messages && h.method() == http::verb::post)
        return info.limits.inline_bytes;
    return 0;
}

std::optional<Response> screen_header(const RequestHeader& h, const ServerInfo& info) {
    auto refusal = screen_header_with_limit(h, body_limit_for(h, info));
    if (!refusal && needs_proof(h, info)) refusal = check_proof(h, info);
    // The web form's visitors get a page in their language, not JSON.
    if (refusal && h.method() == http::verb::post) {
        if (const auto page = web_target(std::string_view(h.target().data(), h.target().size()));
            page && page->kind != WebTarget::home && page->kind != WebTarget::file) {
            const http::status status = refusal->result();
            return form_error_page(
                page->lang, status,
                status == http::status::payload_too_large ? "error.too_large" : "error.bad_form",
                h.version(), page->kind);
        }
    }
    return refusal;
}

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

Action handle_request(Request&& req, const ServerInfo& info) {
    if (const auto page = web_target(std::string_view(req.target().data(), req.target().size()))) {
        // A submission arrives as a streamed body; here only when it is not a POST.
        return web_response(req.base(), *page, info);
    }
    const Route r = route(std::string_view(req.target().data(), req.target().size()));
    switch (r.kind) {
        case Route::keys:
            return keys(req, info);
        case Route::challenge:
            return challenge(req, info);
        case Route::tips:
            return submit(std::move(req), info);
        case Route::uploads:
            return begin_upload(req, info);
        case Route::upload:
            return upload(std::move(req), *r.key);
        case Route::upload_finish:
            return finish_upload(req, *r.key);
        case Route::mailbox:
            return mailbox(req, info);
        case Route::mailbox_messages:
            return mailbox_message(std::move(req), info);
        case Route::none:
            break;
    }
    return error_response(http::status::not_found, "not_found", "no such endpoint", req.version());
}

Response stored_response(std::error_code ec, const TipId& id, unsigned version, bool keep_alive) {
    if (ec == IngestError::full) {
        return error_response(http::status::insufficient_storage, "storage_full",
                              "the server cannot store more now; stored tips are safe", version);
    }
    if (ec == IngestError::stopped) {
        return error_response(http::status::service_unavailable, "shutting_down",
                              "the server is stopping; try again", version);
    }
    if (ec)
        return error_response(http::status::internal_server_error, "storage_failed",
                              "nothing was stored", version);
    return json_response(http::status::created, json::object{{"id", id.hex()}}, version,
                         keep_alive);
}

}  // namespace tipline::server
