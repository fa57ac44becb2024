// The source API's JSON endpoints: keys, challenges, tips, uploads and mailboxes. No sockets and no
// pages here; router.cpp sends requests this way.
#include "tipline/server/api.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/padding.hpp"
#include "tipline/crypto/proof_of_work.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/protocol/names.hpp"
#include "tipline/server/responses.hpp"
#include "tipline/server/write_ops.hpp"

namespace tipline::server {
namespace {

namespace json = boost::json;
using namespace protocol;

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

// A 409 that tells the client where the stored bytes end, so it can go on from there.
Response conflict_at(std::string_view code, std::string_view message, std::uint64_t offset,
                     unsigned v) {
    json::object body = error_body(code, message);
    body["offset"] = offset;
    return json_response(http::status::conflict, body, v, false);
}

// Answers for upload writes that went wrong, shared by every upload endpoint.
// Unfinished uploads free up as they finish or expire.
constexpr unsigned upload_busy_retry_s = 600;

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
    if (r.ec == IngestError::busy) {
        Response res = error_response(
            http::status::service_unavailable, "uploads_busy",
            "unfinished uploads hold as many bytes as the server takes; try again later", v);
        res.set(http::field::retry_after, std::to_string(upload_busy_retry_s));
        return res;
    }
    return stored_response(r.ec, {}, v, false);
}

}  // namespace

ApiRoute api_route(std::string_view target) {
    if (target == keys_path) return {ApiRoute::keys, {}};
    if (target == challenge_path) return {ApiRoute::challenge, {}};
    if (target == tips_path) return {ApiRoute::tips, {}};
    if (target == uploads_path) return {ApiRoute::uploads, {}};
    if (target == mailbox_path) return {ApiRoute::mailbox, {}};
    if (target == mailbox_messages_path) return {ApiRoute::mailbox_messages, {}};
    if (target.starts_with(uploads_path) && target.size() > uploads_path.size() &&
        target[uploads_path.size()] == '/') {
        std::string_view rest = target.substr(uploads_path.size() + 1);
        ApiRoute::Kind kind = ApiRoute::upload;
        if (rest.ends_with(upload_finish_suffix)) {
            rest.remove_suffix(upload_finish_suffix.size());
            kind = ApiRoute::upload_finish;
        }
        if (auto key = TipId::from_hex(rest)) return {kind, key};
    }
    return {ApiRoute::none, {}};
}

std::uint64_t api_body_limit(const ApiRoute& route, http::verb method, const ServerInfo& info) {
    if (route.kind == ApiRoute::tips && method == http::verb::post) return info.limits.inline_bytes;
    if (route.kind == ApiRoute::upload && method == http::verb::put)
        return info.limits.upload_chunk_bytes;
    if (route.kind == ApiRoute::mailbox_messages && method == http::verb::post)
        return info.limits.inline_bytes;
    return 0;
}

bool api_needs_proof(const ApiRoute& route, http::verb method, const ServerInfo& info) {
    if (!info.pow->enabled() || method != http::verb::post) return false;
    return route.kind == ApiRoute::tips || route.kind == ApiRoute::uploads ||
           route.kind == ApiRoute::mailbox_messages;
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
    // The proof grows with what the submission may store: an upload's declared length, or a body's
    // Content-Length (a body without one may be as large as a body may be). A missing or bad
    // Upload-Length, or one past envelope_bytes, asks nothing more here, and the upload is
    // refused for it afterwards.
    std::optional<std::uint64_t> length;
    if (api_route(std::string_view(h.target().data(), h.target().size())).kind ==
        ApiRoute::uploads) {
        length = header_number(h, upload_length_header);
        if (length && *length > info.limits.envelope_bytes) length.reset();
    } else {
        length = header_number(h, "Content-Length");
        if (!length) length = info.limits.inline_bytes;
    }
    const unsigned extra_bits =
        length ? crypto::pow_size_extra_bits(*length, info.limits.pow_size_base_bytes) : 0;
    switch (info.pow->check(text, extra_bits)) {
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
        case PowVerdict::too_weak_for_size: {
            json::object body = error_body(
                "proof_too_weak_for_size",
                "a submission this large needs more work: solve the challenge for extra_bits more "
                "leading zero bits");
            body["extra_bits"] = extra_bits;
            return json_response(http::status::forbidden, body, v, false);
        }
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

namespace {

// A fresh challenge and what it takes, or only "required": false when the server asks for no work.
json::object challenge_body(const ServerInfo& info) {
    if (!info.pow->enabled()) return json::object{{"required", false}};
    const crypto::PowChallenge c = info.pow->issue();
    return json::object{{"required", true},
                        {"challenge", crypto::to_hex(c)},
                        {"bits", crypto::pow_bits(c)},
                        {"valid_for_s", info.pow->lifetime_s() / 2},
                        {"size_base_bytes", info.limits.pow_size_base_bytes}};
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

// A wrong name or token spends one of the circuit's failed-mailbox budget; past it the answer is
// 429. A right one never gets here, so it is never refused for what others spent.
Response mailbox_failure(const WriteResult& r, Circuit& circuit, unsigned v) {
    if (r.ec == IngestError::mailbox_taken) {
        return error_response(http::status::conflict, "mailbox_taken",
                              "a mailbox with this name exists already", v);
    }
    if (r.ec == IngestError::mailbox_denied) {
        if (!circuit.mailbox_failures.try_take()) {
            Response res = error_response(http::status::too_many_requests, "mailbox_throttled",
                                          "too many failed mailbox requests; try again later", v);
            res.set(http::field::retry_after,
                    std::to_string(circuit.mailbox_failures.retry_after_seconds()));
            return res;
        }
        return error_response(http::status::not_found, "mailbox_denied",
                              "no mailbox with this name and token", v);
    }
    if (r.ec == IngestError::too_large) {
        return error_response(http::status::payload_too_large, "response_too_large",
                              "more than one response may carry", v);
    }
    return stored_response(r.ec, {}, v, false);
}

Action submit(Request&& req, const ServerInfo& info, Circuit& circuit) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    if (auto problem = check_envelope_body(req.body(), info, v)) return std::move(*problem);
    auto mailbox = new_mailbox(req.base());
    if (auto* res = std::get_if<Response>(&mailbox)) return std::move(*res);
    const std::uint64_t size = req.body().size();
    return PendingWrite{store_envelope_op(std::move(req.body()), std::get<0>(mailbox)), size,
                        [v, keep, &circuit](const WriteResult& r) {
                            if (r.ec) return mailbox_failure(r, circuit, v);
                            return stored_response(r.ec, r.id, v, keep);
                        }};
}

// The mailbox's name and the hash of the presented token, or the answer that refuses the request.
std::variant<std::pair<MailboxKey, TokenHash>, Response> mailbox_access(const RequestHeader& h) {
    const unsigned v = h.version();
    const Hex32Header key = hex32_header(h, mailbox_header);
    const Hex32Header token = hex32_header(h, mailbox_token_header);
    if (!key.valid || !token.valid) return bad_mailbox_header(v);
    return std::pair{key.value, crypto::hash_mailbox_token(token.value)};
}

Action mailbox(const Request& req, const ServerInfo& info, Circuit& circuit) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    const bool head = req.method() == http::verb::head;
    if (req.method() != http::verb::get && !head) return method_not_allowed("GET, HEAD", v);
    auto access = mailbox_access(req.base());
    if (auto* res = std::get_if<Response>(&access)) return std::move(*res);
    const auto [key, hash] = std::get<0>(access);
    if (head) {
        // Whether the receipt opens this mailbox, and nothing else: no reply is read or marked.
        return PendingWrite{mailbox_exists_op(key, hash), 0,
                            [v, keep, &circuit](const WriteResult& r) {
                                if (r.ec) return mailbox_failure(r, circuit, v);
                                return bytes_response({}, v, keep);
                            }};
    }
    return PendingWrite{read_replies_op(key, hash, info.limits.response_bytes), 0,
                        [v, keep, &circuit](const WriteResult& r) {
                            if (r.ec) return mailbox_failure(r, circuit, v);
                            return bytes_response(r.body, v, keep);
                        }};
}

Action mailbox_message(Request&& req, const ServerInfo& info, Circuit& circuit) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    auto access = mailbox_access(req.base());
    if (auto* res = std::get_if<Response>(&access)) return std::move(*res);
    if (auto problem = check_envelope_body(req.body(), info, v)) return std::move(*problem);
    const auto [key, hash] = std::get<0>(access);
    const std::uint64_t size = req.body().size();
    return PendingWrite{store_follow_up_op(std::move(req.body()), key, hash), size,
                        [v, keep, &circuit](const WriteResult& r) {
                            if (r.ec) return mailbox_failure(r, circuit, v);
                            return stored_response(r.ec, r.id, v, keep);
                        },
                        Room::conversation};
}

Response uploads_busy(unsigned retry_after_s, unsigned v) {
    Response res =
        error_response(http::status::service_unavailable, "uploads_busy",
                       "too many uploads are unfinished or starting; try again later", v);
    res.set(http::field::retry_after, std::to_string(retry_after_s));
    return res;
}

Action begin_upload(const Request& req, const ServerInfo& info, Circuit& circuit) {
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
    if (!circuit.upload_starts.try_take())
        return uploads_busy(circuit.upload_starts.retry_after_seconds(), v);
    const std::uint64_t chunk = info.limits.upload_chunk_bytes;
    const PendingUploadLimits limits{info.limits.max_pending_uploads,
                                     info.limits.pending_upload_bytes};
    return PendingWrite{
        begin_upload_op(*length, std::get<0>(mailbox), limits, info.uploads), 0,
        [v, keep, chunk, &circuit](const WriteResult& r) {
            if (r.ec == IngestError::mailbox_taken) return mailbox_failure(r, circuit, v);
            if (r.ec == IngestError::busy) return uploads_busy(upload_busy_retry_s, v);
            if (r.ec) return upload_failure(r, v);
            return json_response(
                http::status::created,
                json::object{{"upload", r.id.hex()}, {"offset", 0}, {"chunk_bytes", chunk}}, v,
                keep);
        }};
}

Action upload(Request&& req, const TipId& key, const ServerInfo& info) {
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
        append_upload_op(key, *offset, std::move(req.body()), info.limits.pending_upload_bytes,
                         info.uploads),
        size, [v, keep](const WriteResult& r) {
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

Action handle_api(const ApiRoute& r, Request&& req, const ServerInfo& info, Circuit& circuit) {
    switch (r.kind) {
        case ApiRoute::keys:
            return keys(req, info);
        case ApiRoute::challenge:
            return challenge(req, info);
        case ApiRoute::tips:
            return submit(std::move(req), info, circuit);
        case ApiRoute::uploads:
            return begin_upload(req, info, circuit);
        case ApiRoute::upload:
            return upload(std::move(req), *r.key, info);
        case ApiRoute::upload_finish:
            return finish_upload(req, *r.key);
        case ApiRoute::mailbox:
            return mailbox(req, info, circuit);
        case ApiRoute::mailbox_messages:
            return mailbox_message(std::move(req), info, circuit);
        case ApiRoute::none:
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
