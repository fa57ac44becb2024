// The signed responder API: authentication first, then routing to the item, bundle, ack and reply
// endpoints. Every authentication failure gets the same 401.
#include "tipline/server/responder_api.hpp"

#include <sodium.h>

#include <boost/json.hpp>

#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/protocol/names.hpp"
#include "tipline/server/api.hpp"
#include "tipline/server/listener_policy.hpp"
#include "tipline/server/responses.hpp"
#include "tipline/server/write_ops.hpp"

namespace tipline::server {
namespace {

namespace json = boost::json;
using namespace protocol;

constexpr std::size_t json_body_bytes =
    1024 * 1024;  // a list of refs, at most max_items_per_request

Response unauthorized(unsigned v) {
    return error_response(http::status::unauthorized, "unauthorized",
                          "the request is not signed by a responder", v);
}

Response bad_json(unsigned v) {
    return error_response(http::status::bad_request, "bad_json",
                          "the body is not the JSON this endpoint takes", v);
}

// The responder whose valid, fresh, first-seen signature the request carries, when one on the
// current list signed it; each responder has their own fetched state under this key.
std::optional<ResponderKey> authenticated(const Request& req, ResponderContext& ctx) {
    const RequestHeader& h = req.base();
    crypto::PublicIdentity who;
    const std::string_view key_text = header_text(h, responder_key_header);
    if (key_text.empty() || crypto::decode_public_key(key_text, who)) return std::nullopt;
    // A responder the current list names: one removed from it is refused from the next request on.
    if (!ctx.info.recipients->current()->contains(who)) return std::nullopt;

    const auto timestamp = parse_decimal(header_text(h, responder_timestamp_header));
    if (!timestamp) return std::nullopt;
    const std::int64_t now = ctx.now();
    const auto window = static_cast<std::int64_t>(ctx.info.limits.request_window_s);
    const auto t =
        static_cast<std::int64_t>(std::min<std::uint64_t>(*timestamp, std::uint64_t{1} << 62));
    if (t < now - window || t > now + window) return std::nullopt;

    crypto::RequestNonce nonce{};
    crypto::RequestSignature signature{};
    if (!crypto::from_hex(header_text(h, responder_nonce_header), nonce)) return std::nullopt;
    if (!crypto::from_hex(header_text(h, responder_signature_header), signature))
        return std::nullopt;

    crypto::RequestToSign signed_part;
    const std::string method(http::to_string(req.method()));
    signed_part.method = method;
    signed_part.target = std::string_view(req.target().data(), req.target().size());
    signed_part.body_hash = crypto::hash_request_body(req.body());
    signed_part.timestamp = *timestamp;
    signed_part.nonce = nonce;
    if (!crypto::verify_request(signed_part, who.sign, signature)) return std::nullopt;
    // Only a valid signature spends the nonce, so forged requests cannot fill the guard.
    if (!ctx.replay.first_use(nonce, now, window)) return std::nullopt;
    return who.sign;
}

std::string_view kind_name(ItemKind k) {
    switch (k) {
        case ItemKind::tip:
            return "tip";
        case ItemKind::follow_up:
            return "follow_up";
        case ItemKind::reply:
            return "reply";
        case ItemKind::team:
            return "team";
    }
    return "tip";
}

// {"refs": [n, ...]} with 1 to max_items_per_request positive integers, and optionally "delete":
// bool.
std::optional<std::vector<std::int64_t>> parse_refs(const std::vector<unsigned char>& body,
                                                    bool* delete_flag) {
    boost::system::error_code ec;
    const json::value v =
        json::parse(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()), ec);
    if (ec || !v.is_object()) return std::nullopt;
    const json::object& o = v.as_object();
    const auto* refs = o.if_contains("refs");
    if (!refs || !refs->is_array() || refs->as_array().empty() ||
        refs->as_array().size() > max_items_per_request)
        return std::nullopt;
    std::vector<std::int64_t> out;
    for (const auto& r : refs->as_array()) {
        if (!r.is_int64() || r.as_int64() <= 0) {
            if (!r.is_uint64() || r.as_uint64() == 0 || r.as_uint64() > (std::uint64_t{1} << 62))
                return std::nullopt;
            out.push_back(static_cast<std::int64_t>(r.as_uint64()));
            continue;
        }
        out.push_back(r.as_int64());
    }
    for (const auto& [k, value] : o) {
        if (k == "refs") continue;
        if (k == "delete" && delete_flag && value.is_bool()) {
            *delete_flag = value.as_bool();
            continue;
        }
        return std::nullopt;  // unknown members are refused, not ignored
    }
    return out;
}

Response failure(const WriteResult& r, unsigned v) {
    if (r.ec == IngestError::not_found) {
        json::object body = error_body("not_found", "no item has this ref");
        body["ref"] = r.value;
        return json_response(http::status::not_found, body, v, false);
    }
    if (r.ec == IngestError::too_large) {
        return error_response(http::status::payload_too_large, "response_too_large",
                              "more than one response may carry; ask for fewer refs", v);
    }
    if (r.ec == IngestError::mailbox_denied) {
        return error_response(http::status::not_found, "no_mailbox", "no mailbox has this name", v);
    }
    return stored_response(r.ec, {}, v, false);
}

Action items(const Request& req, std::string_view query, const ResponderKey& who) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::get) return method_not_allowed("GET", v);
    std::int64_t after = 0;
    if (!query.empty()) {
        const std::string_view prefix = "after=";
        const auto n =
            query.starts_with(prefix) ? parse_decimal(query.substr(prefix.size())) : std::nullopt;
        if (!n || *n > (std::uint64_t{1} << 62)) {
            return error_response(http::status::bad_request, "bad_query",
                                  "the only query is after=REF", v);
        }
        after = static_cast<std::int64_t>(*n);
    }
    return PendingWrite{
        list_items_op(who, after, max_items_per_request), 0,
        [v, keep, after](const WriteResult& r) {
            if (r.ec) return failure(r, v);
            json::array list;
            std::int64_t next = after;
            for (const StoredTip& t : r.items) {
                list.push_back(
                    json::object{{"ref", t.seq},
                                 {"id", t.id.hex()},
                                 {"kind", kind_name(t.kind)},
                                 {"day", crypto::format_day(t.day)},
                                 {"size", t.size},
                                 {"mailbox", t.mailbox ? json::value(crypto::to_hex(*t.mailbox))
                                                       : json::value(nullptr)},
                                 {"acknowledged", t.acknowledged}});
                next = t.seq;
            }
            return json_response(http::status::ok,
                                 json::object{{"items", std::move(list)},
                                              {"next", next},
                                              {"more", r.items.size() == max_items_per_request}},
                                 v, keep);
        }};
}

Action bundle(const Request& req, const ServerInfo& info, const ResponderKey& who) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    auto refs = parse_refs(req.body(), nullptr);
    if (!refs) return bad_json(v);
    return PendingWrite{bundle_items_op(who, std::move(*refs), info.limits.response_bytes), 0,
                        [v, keep](const WriteResult& r) {
                            if (r.ec) return failure(r, v);
                            return bytes_response(r.body, v, keep);
                        }};
}

// {"ref": N, "offset": X, "length": L}: part of one envelope, for items too large for one bundle.
Action envelope_range(const Request& req, const ServerInfo& info, const ResponderKey& who) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    boost::system::error_code ec;
    const json::value body = json::parse(
        std::string_view(reinterpret_cast<const char*>(req.body().data()), req.body().size()), ec);
    if (ec || !body.is_object() || body.as_object().size() != 3) return bad_json(v);
    const json::object& o = body.as_object();
    const auto number = [&](std::string_view k) -> std::optional<std::uint64_t> {
        const auto* x = o.if_contains(k);
        if (x == nullptr) return std::nullopt;
        if (x->is_uint64()) return x->as_uint64();
        if (x->is_int64() && x->as_int64() >= 0) return static_cast<std::uint64_t>(x->as_int64());
        return std::nullopt;
    };
    const auto ref = number("ref"), offset = number("offset"), length = number("length");
    if (!ref || !offset || !length || *ref == 0 || *ref > (std::uint64_t{1} << 62) ||
        *length == 0 || *length > info.limits.response_bytes) {
        return bad_json(v);
    }
    return PendingWrite{read_item_range_op(who, static_cast<std::int64_t>(*ref), *offset, *length),
                        0, [v, keep](const WriteResult& r) {
                            if (r.ec == IngestError::wrong_offset) {
                                return error_response(
                                    http::status::range_not_satisfiable, "bad_range",
                                    "the offset is at or past the end of the envelope", v);
                            }
                            if (r.ec) return failure(r, v);
                            Response res = bytes_response(r.body, v, keep);
                            res.set("Envelope-Length", std::to_string(r.value));
                            return res;
                        }};
}

Action acknowledge(const Request& req, const ResponderKey& who) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    bool delete_items = false;
    auto refs = parse_refs(req.body(), &delete_items);
    if (!refs) return bad_json(v);
    return PendingWrite{acknowledge_items_op(who, std::move(*refs), delete_items), 0,
                        [v, keep, delete_items](const WriteResult& r) {
                            if (r.ec) return failure(r, v);
                            return json_response(
                                http::status::ok,
                                json::object{{delete_items ? "deleted" : "acknowledged", r.value}},
                                v, keep);
                        }};
}

Action reply(Request&& req, const ServerInfo& info) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    const Hex32Header mailbox = hex32_header(req.base(), mailbox_header);
    if (!mailbox.valid) {
        return error_response(http::status::bad_request, "bad_mailbox_header",
                              "send Tipline-Mailbox: the mailbox name, 64 lowercase hex digits", v);
    }
    if (auto problem = check_envelope_body(req.body(), info, v)) return std::move(*problem);
    const std::uint64_t size = req.body().size();
    return PendingWrite{store_reply_op(std::move(req.body()), mailbox.value), size,
                        [v, keep](const WriteResult& r) {
                            if (r.ec) return failure(r, v);
                            return stored_response(r.ec, r.id, v, keep);
                        },
                        Room::conversation};
}

// The team's state: an envelope like a reply's, for the responders only, in no mailbox.
Action team_state(Request&& req, const ServerInfo& info) {
    const unsigned v = req.version();
    const bool keep = req.keep_alive();
    if (req.method() != http::verb::post) return method_not_allowed("POST", v);
    if (auto problem = check_envelope_body(req.body(), info, v)) return std::move(*problem);
    const std::uint64_t size = req.body().size();
    return PendingWrite{store_team_state_op(std::move(req.body())), size,
                        [v, keep](const WriteResult& r) {
                            if (r.ec) return failure(r, v);
                            return stored_response(r.ec, r.id, v, keep);
                        },
                        Room::conversation};
}

}  // namespace

bool ReplayGuard::first_use(const crypto::RequestNonce& nonce, std::int64_t now,
                            std::int64_t window_s) {
    std::lock_guard lock(mutex_);
    if (seen_.size() >= capacity_)
        std::erase_if(seen_, [now](const auto& e) { return e.second < now; });
    if (seen_.size() >= capacity_) return false;
    // Kept until no request with this nonce could still be inside the window.
    return seen_.emplace(std::string(nonce.begin(), nonce.end()), now + 2 * window_s + 1).second;
}

std::uint64_t responder_body_limit(const RequestHeader& h, const ServerInfo& info) {
    if (h.method() != http::verb::post) return 0;
    const std::string_view target(h.target().data(), h.target().size());
    if (target == responder_replies_path || target == responder_team_path)
        return info.limits.inline_bytes;
    if (target == responder_bundle_path || target == responder_ack_path ||
        target == responder_envelope_path)
        return json_body_bytes;
    return 0;
}

std::optional<Response> screen_responder_header(const RequestHeader& h, const ServerInfo& info) {
    return screen_header_with_limit(h, responder_body_limit(h, info));
}

Action handle_responder_request(Request&& req, ResponderContext& ctx) {
    const std::optional<ResponderKey> who = authenticated(req, ctx);
    if (!who) return unauthorized(req.version());
    std::string_view target(req.target().data(), req.target().size());
    std::string_view query;
    if (const auto q = target.find('?'); q != std::string_view::npos) {
        query = target.substr(q + 1);
        target = target.substr(0, q);
    }
    if (target == responder_items_path) return items(req, query, *who);
    if (!query.empty())
        return error_response(http::status::bad_request, "bad_query",
                              "this endpoint takes no query", req.version());
    if (target == responder_bundle_path) return bundle(req, ctx.info, *who);
    if (target == responder_ack_path) return acknowledge(req, *who);
    if (target == responder_envelope_path) return envelope_range(req, ctx.info, *who);
    if (target == responder_replies_path) return reply(std::move(req), ctx.info);
    if (target == responder_team_path) return team_state(std::move(req), ctx.info);
    return error_response(http::status::not_found, "not_found", "no such endpoint", req.version());
}

}  // namespace tipline::server
