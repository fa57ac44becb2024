// Source API calls with strict checking of what the server sends back.
#include "tipline/client/source_api.hpp"

#include <boost/json.hpp>

#include "tipline/client/diagnostics.hpp"

namespace tipline::client {
namespace {

namespace json = boost::json;

json::object parse_object(const HttpResponse& r) {
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object()) io_error("the server's answer is not valid JSON");
    return std::move(v.as_object());
}

}  // namespace

ServerKeys fetch_server_keys(HttpClient& http) {
    const HttpResponse r = http.get("/api/v1/keys");
    if (r.status != 200) io_error("cannot fetch the responders' keys: " + describe_server_error(r));
    const json::object body = parse_object(r);
    ServerKeys keys;
    const auto* list = body.if_contains("recipients");
    if (list == nullptr || !list->is_array() || list->as_array().empty()) io_error("the server lists no responder keys");
    for (const json::value& entry : list->as_array()) {
        const auto* key = entry.is_object() ? entry.as_object().if_contains("key") : nullptr;
        crypto::PublicIdentity id;
        if (key == nullptr || !key->is_string() || crypto::decode_public_key(std::string(key->as_string().c_str()), id)) {
            io_error("the server sent a responder key that is not valid");
        }
        keys.recipients.push_back(id);
    }
    if (const auto* limits = body.if_contains("limits"); limits != nullptr && limits->is_object()) {
        if (const auto* n = limits->as_object().if_contains("inline_bytes"); n != nullptr && n->is_number()) {
            keys.inline_bytes = n->to_number<std::uint64_t>();
        }
    }
    return keys;
}

std::string submit_envelope(HttpClient& http, std::span<const unsigned char> envelope) {
    const HttpResponse r = http.post("/api/v1/tips", envelope, "application/octet-stream");
    if (r.status != 201) io_error("the tip was not accepted: " + describe_server_error(r));
    const json::object body = parse_object(r);
    const auto* id = body.if_contains("id");
    if (id == nullptr || !id->is_string()) io_error("the server's answer has no tip id");
    return std::string(id->as_string().c_str());
}

}  // namespace tipline::client
