// Signed requests over HttpClient, and strict parsing of what the responder API answers.
#include "tipline/client/responder_client.hpp"

#include <sodium.h>

#include <boost/json.hpp>
#include <chrono>

#include "server_answer.hpp"
#include "tipline/client/display_text.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/request_auth.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/protocol/names.hpp"
#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys
namespace {

namespace json = boost::json;

std::span<const unsigned char> as_span(const std::string& s) {
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// what: a whole message of its own, already translated ("cannot download the items").
[[noreturn]] void refused(const std::string& what, const HttpResponse& r) {
    if (r.status == 401) {
        throw ToolError(
            exit_verification_failure,
            // TRANSLATORS: {action} is what failed, a message of its own ("cannot download the
            // items").
            tr("{action}: the server does not accept this responder's signature",
               {{"action", what}}),
            {tr("check that this key is one of the server's responders, and that this machine's "
                "clock is right")});
    }
    // TRANSLATORS: {action} is what failed, a message of its own ("cannot download the items");
    // {error} is how the server answered ("the server answered 500").
    io_error(tr("{action}: {error}", {{"action", what}, {"error", describe_server_error(r)}}));
}

std::string refs_json(std::span<const std::int64_t> refs, const char* extra = "") {
    std::string out = "{\"refs\":[";
    for (std::size_t i = 0; i < refs.size(); ++i) out += (i ? "," : "") + std::to_string(refs[i]);
    return out + "]" + extra + "}";
}

}  // namespace

HttpResponse ResponderClient::signed_request(const std::string& method, const std::string& target,
                                             std::span<const unsigned char> body,
                                             std::vector<std::string> headers) {
    crypto::RequestToSign r;
    r.method = method;
    r.target = target;
    r.body_hash = crypto::hash_request_body(body);
    r.timestamp =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    randombytes_buf(r.nonce.data(), r.nonce.size());
    const auto signature = crypto::sign_request(r, signer_.sign_secret);
    headers.push_back(header_line(protocol::responder_key_header,
                                  crypto::encode_public_key(signer_.public_identity)));
    headers.push_back(
        header_line(protocol::responder_timestamp_header, std::to_string(r.timestamp)));
    headers.push_back(header_line(protocol::responder_nonce_header, crypto::to_hex(r.nonce)));
    headers.push_back(header_line(protocol::responder_signature_header, crypto::to_hex(signature)));
    return http_.request(method, target, body, headers);
}

std::vector<ResponderItem> ResponderClient::items(std::int64_t after) {
    std::vector<ResponderItem> out;
    for (;;) {
        const HttpResponse r = signed_request(
            "GET", std::string(protocol::responder_items_path) + "?after=" + std::to_string(after),
            {});
        if (r.status != 200) refused(tr("cannot list the stored items"), r);
        const json::object body = parse_answer(r);
        const auto* list = body.if_contains("items");
        if (list == nullptr || !list->is_array())
            io_error(tr("the server's list of items is not valid"));
        for (const json::value& v : list->as_array()) {
            if (!v.is_object()) io_error(tr("the server's list of items is not valid"));
            const json::object& o = v.as_object();
            ResponderItem item;
            try {
                item.ref = json::value_to<std::int64_t>(o.at("ref"));
                item.id = json::value_to<std::string>(o.at("id"));
                item.kind = json::value_to<std::string>(o.at("kind"));
                item.day = json::value_to<std::string>(o.at("day"));
                item.size = json::value_to<std::uint64_t>(o.at("size"));
                if (o.at("mailbox").is_string())
                    item.mailbox = json::value_to<std::string>(o.at("mailbox"));
                item.acknowledged = json::value_to<bool>(o.at("acknowledged"));
            } catch (const std::exception&) {
                io_error(tr("the server's list of items is not valid"));
            }
            // Nothing the server names reaches a terminal or a path unchecked.
            if (!is_item_id(item.id) || (item.kind != "tip" && item.kind != "follow_up" &&
                                         item.kind != "reply" && item.kind != "team")) {
                io_error(tr("the server's list of items is not valid"));
            }
            if (item.ref <= after) io_error(tr("the server listed items out of order"));
            after = item.ref;
            out.push_back(std::move(item));
        }
        const auto* more = body.if_contains("more");
        if (more == nullptr || !more->is_bool() || !more->as_bool() || list->as_array().empty())
            return out;
    }
}

std::vector<unsigned char> ResponderClient::bundle(std::span<const std::int64_t> refs) {
    const std::string body = refs_json(refs);
    const HttpResponse r = signed_request("POST", std::string(protocol::responder_bundle_path),
                                          as_span(body), {"Content-Type: application/json"});
    if (r.status != 200) refused(tr("cannot download the items"), r);
    return {r.body.begin(), r.body.end()};
}

std::vector<unsigned char> ResponderClient::envelope_range(std::int64_t ref, std::uint64_t offset,
                                                           std::uint64_t length) {
    const std::string body = "{\"ref\":" + std::to_string(ref) +
                             ",\"offset\":" + std::to_string(offset) +
                             ",\"length\":" + std::to_string(length) + "}";
    const HttpResponse r = signed_request("POST", std::string(protocol::responder_envelope_path),
                                          as_span(body), {"Content-Type: application/json"});
    if (r.status != 200) refused(tr("cannot download part of a large item"), r);
    if (r.body.empty() || r.body.size() > length)
        io_error(tr("the server sent a part of the wrong size"));
    return {r.body.begin(), r.body.end()};
}

std::uint64_t ResponderClient::acknowledge(std::span<const std::int64_t> refs, bool delete_items) {
    const std::string body = refs_json(refs, delete_items ? ",\"delete\":true" : "");
    const HttpResponse r = signed_request("POST", std::string(protocol::responder_ack_path),
                                          as_span(body), {"Content-Type: application/json"});
    if (r.status != 200)
        refused(delete_items ? tr("cannot delete the items on the server")
                             // TRANSLATORS: to acknowledge is to tell the server the items were
                             // fetched, so that later fetches leave them out.
                             : tr("cannot acknowledge the items"),
                r);
    const json::object answer = parse_answer(r);
    const auto count = unsigned_member(answer, delete_items ? "deleted" : "acknowledged");
    if (!count) io_error(tr("the server's answer has no count"));
    return *count;
}

std::string ResponderClient::post_reply(const crypto::MailboxId& mailbox,
                                        std::span<const unsigned char> envelope) {
    const HttpResponse r =
        signed_request("POST", std::string(protocol::responder_replies_path), envelope,
                       {header_line(protocol::mailbox_header, crypto::to_hex(mailbox)),
                        "Content-Type: application/octet-stream"});
    if (r.status == 404) {
        throw ToolError(exit_verification_failure,
                        tr("the witness's mailbox is no longer on the server"),
                        {tr("the server deletes a mailbox once it has been empty and unused for "
                            "its retention period")});
    }
    if (r.status != 201) refused(tr("the reply was not accepted"), r);
    const json::object answer = parse_answer(r);
    return item_id_member(answer, "id");
}

std::string ResponderClient::post_team_state(std::span<const unsigned char> envelope) {
    const HttpResponse r = signed_request("POST", std::string(protocol::responder_team_path),
                                          envelope, {"Content-Type: application/octet-stream"});
    if (r.status != 201) refused(tr("the team's state was not accepted"), r);
    const json::object answer = parse_answer(r);
    return item_id_member(answer, "id");
}

std::vector<unsigned char> encode_reply_file(const crypto::MailboxId& mailbox,
                                             std::span<const unsigned char> envelope) {
    std::vector<unsigned char> out;
    out.reserve(crypto::labels::reply_file_magic.size() + 2 + mailbox.size() + envelope.size());
    crypto::put_bytes(out, crypto::labels::reply_file_magic);
    crypto::put_u16(out, crypto::labels::reply_file_version);
    crypto::put_bytes(out, mailbox);
    crypto::put_bytes(out, envelope);
    return out;
}

namespace {

// The checks a reply file and a team-state file share: magic, version, room for the fixed part;
// then the envelope that fills the rest exactly.
std::error_code check_carried_file(std::span<const unsigned char> file, std::string_view magic_text,
                                   std::uint16_t version, std::size_t fixed) {
    const auto magic = crypto::as_bytes(magic_text);
    if (file.size() < magic.size() || !std::equal(magic.begin(), magic.end(), file.begin())) {
        return file.size() < magic.size() && std::equal(file.begin(), file.end(), magic.begin())
                   ? crypto::Error::truncated
                   : crypto::Error::malformed;
    }
    if (file.size() < fixed) return crypto::Error::truncated;
    if (crypto::get_u16(file.subspan<8, 2>()) != version) return crypto::Error::unsupported_version;
    return {};
}

std::error_code check_whole_envelope(std::span<const unsigned char> envelope) {
    crypto::MemorySource in(envelope);
    crypto::EnvelopeHeader header;
    if (auto ec = crypto::read_envelope_header(in, header)) return ec;
    if (header.total_size() > envelope.size()) return crypto::Error::truncated;
    if (header.total_size() < envelope.size()) return crypto::Error::malformed;
    return {};
}

}  // namespace

std::error_code decode_reply_file(std::span<const unsigned char> file, crypto::MailboxId& mailbox,
                                  std::span<const unsigned char>& envelope) {
    constexpr std::size_t fixed = 8 + 2 + 32;
    if (auto ec = check_carried_file(file, crypto::labels::reply_file_magic,
                                     crypto::labels::reply_file_version, fixed))
        return ec;
    std::copy_n(file.begin() + 10, mailbox.size(), mailbox.begin());
    envelope = file.subspan(fixed);
    return check_whole_envelope(envelope);
}

std::vector<unsigned char> encode_team_file(std::span<const unsigned char> envelope) {
    std::vector<unsigned char> out;
    out.reserve(crypto::labels::team_file_magic.size() + 2 + envelope.size());
    crypto::put_bytes(out, crypto::labels::team_file_magic);
    crypto::put_u16(out, crypto::labels::team_file_version);
    crypto::put_bytes(out, envelope);
    return out;
}

std::error_code decode_team_file(std::span<const unsigned char> file,
                                 std::span<const unsigned char>& envelope) {
    constexpr std::size_t fixed = 8 + 2;
    if (auto ec = check_carried_file(file, crypto::labels::team_file_magic,
                                     crypto::labels::team_file_version, fixed))
        return ec;
    envelope = file.subspan(fixed);
    return check_whole_envelope(envelope);
}

}  // namespace tipline::client
