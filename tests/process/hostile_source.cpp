// The hostile source API: Boost.Beast, synchronous, one connection at a time on a background
// thread.
#include "hostile_source.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <iterator>
#include <stdexcept>

#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/stream.hpp"

namespace tipline::test {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

constexpr std::uint64_t max_request_body =
    64 * 1024 * 1024;  // larger than any envelope a test sends
constexpr int stalled_client_s =
    30;  // a safety net only: frees the thread from a client that hangs
constexpr unsigned http_version = 11;
constexpr unsigned status_created = 201;
constexpr unsigned status_not_found = 404;
constexpr unsigned status_conflict = 409;
constexpr std::string_view uploads_prefix = "/api/v1/uploads/";

template <class View>
std::string text_of(const View& view) {
    return {view.data(), view.size()};
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::uint64_t parse_offset(const std::string& text) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        return UINT64_MAX;
    return std::stoull(text);
}

CannedResponse json_answer(unsigned status, const json::object& body) {
    return {status, json::serialize(body)};
}

}  // namespace

std::string RecordedRequest::header(std::string_view name) const {
    const std::string wanted = lower(name);
    for (const auto& [key, value] : headers) {
        if (key == wanted) return value;
    }
    return {};
}

CannedResponse id_answer(std::string_view id, std::string_view field) {
    json::object body;
    body[field] = id;
    return json_answer(status_created, body);
}

CannedResponse error_answer(unsigned status, std::string_view code, std::string_view message) {
    json::object error;
    error["code"] = code;
    error["message"] = message;
    json::object body;
    body["error"] = std::move(error);
    return json_answer(status, body);
}

CannedResponse bundle_answer(const std::vector<Bytes>& envelopes) {
    std::vector<crypto::BundleEntry> entries;
    for (std::size_t i = 0; i < envelopes.size(); ++i) {
        crypto::BundleEntry e;
        e.id.fill(static_cast<unsigned char>(i + 1));
        e.day = static_cast<std::uint32_t>(crypto::current_day());
        e.size = envelopes[i].size();
        entries.push_back(e);
    }
    crypto::VectorSink sink;
    crypto::write_bundle_manifest(sink, entries);
    for (const Bytes& envelope : envelopes) sink.write(envelope);
    return {200, as_text(sink.bytes()), "application/octet-stream"};
}

std::string KeysAnswer::json() const {
    json::array listed;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        json::object entry;
        entry["key"] = crypto::encode_public_key(recipients[i]);
        entry["fingerprint"] = i < shown_fingerprints.size() ? shown_fingerprints[i]
                                                             : crypto::fingerprint(recipients[i]);
        listed.push_back(std::move(entry));
    }
    json::object limits;
    limits["inline_bytes"] = inline_bytes;
    limits["envelope_bytes"] = default_envelope_bytes;
    limits["upload_chunk_bytes"] = upload_chunk_bytes;
    json::object pow;
    pow["required"] = false;
    json::object body;
    body["version"] = 1;
    body["recipients"] = std::move(listed);
    body["salt"] = crypto::to_hex(salt);
    body["limits"] = std::move(limits);
    body["proof_of_work"] = std::move(pow);
    if (raw_list) {
        body["recipient_list"] = *raw_list;
    } else if (recipient_list) {
        body["recipient_list"] = crypto::to_hex(*recipient_list);
    }
    return json::serialize(body);
}

HostileSource::HostileSource()
    : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
      port_(acceptor_.local_endpoint().port()),
      thread_([this] { serve(); }) {}

HostileSource::~HostileSource() {
    stopping_ = true;
    // A connection of our own wakes the blocking accept, which then sees stopping_.
    try {
        asio::io_context io;
        tcp::socket wake(io);
        wake.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port_));
    } catch (const std::exception&) {
    }
    thread_.join();
}

void HostileSource::answer(const std::string& method, const std::string& target,
                           CannedResponse response) {
    const std::lock_guard lock(mutex_);
    answers_[{method, target}] = std::move(response);
}

void HostileSource::serve_tip_line(const KeysAnswer& keys) {
    answer("GET", "/api/v1/keys", {200, keys.json()});
    answer("GET", "/api/v1/challenge", {200, R"({"required":false})"});
    answer("POST", "/api/v1/tips", id_answer(fake_tip_id));
    answer("POST", "/api/v1/mailbox/messages", id_answer(fake_follow_up_id));
    json::object started;
    started["upload"] = fake_upload_key;
    started["offset"] = 0;
    started["chunk_bytes"] = keys.upload_chunk_bytes;
    answer("POST", "/api/v1/uploads", json_answer(status_created, started));
    answer("POST", std::string(uploads_prefix) + std::string(fake_upload_key) + "/finish",
           id_answer(fake_upload_tip_id));
    answer("GET", "/api/v1/mailbox", bundle_answer({}));
    // Whether the receipt opens a mailbox (a follow-up asks first, to learn the receipt's version).
    answer("HEAD", "/api/v1/mailbox", {200, "", "application/octet-stream"});
}

std::vector<RecordedRequest> HostileSource::requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
}

void HostileSource::forget_requests() {
    const std::lock_guard lock(mutex_);
    requests_.clear();
}

CannedResponse HostileSource::respond(const RecordedRequest& request) {
    const std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (const auto it = answers_.find({request.method, request.target}); it != answers_.end())
        return it->second;
    const bool upload = request.target.starts_with(uploads_prefix) &&
                        request.target.find('/', uploads_prefix.size()) == std::string::npos;
    if (upload && request.method == "PUT") {
        std::uint64_t& held = upload_offsets_[request.target];
        json::object body;
        if (parse_offset(request.header("Upload-Offset")) != held) {
            body["offset"] = held;
            return json_answer(status_conflict, body);
        }
        held += request.body.size();
        body["offset"] = held;
        return json_answer(200, body);
    }
    if (upload && request.method == "GET") {
        json::object body;
        body["offset"] = upload_offsets_[request.target];
        return json_answer(200, body);
    }
    return error_answer(status_not_found, "not_found", "no such endpoint");
}

void HostileSource::serve() {
    while (!stopping_) {
        tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (stopping_ || ec) continue;
        const timeval limit{stalled_client_s, 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);

        boost::beast::flat_buffer buffer;
        http::request_parser<http::vector_body<unsigned char>> parser;
        parser.body_limit(max_request_body);
        http::read(socket, buffer, parser, ec);
        if (ec) continue;
        const auto& message = parser.get();
        RecordedRequest request;
        request.method = text_of(message.method_string());
        request.target = text_of(message.target());
        for (const auto& field : message)
            request.headers.emplace_back(lower(text_of(field.name_string())),
                                         text_of(field.value()));
        request.body = message.body();

        const CannedResponse canned = respond(request);
        http::response<http::string_body> response;
        response.version(http_version);
        response.result(canned.status);
        response.set(http::field::content_type, canned.content_type);
        response.keep_alive(false);
        response.body() = canned.body;
        response.prepare_payload();
        http::write(socket, response, ec);
        socket.shutdown(tcp::socket::shutdown_send, ec);
    }
}

std::vector<Bytes> sent_envelopes(const std::vector<RecordedRequest>& requests) {
    std::vector<Bytes> out;
    std::map<std::string, Bytes> uploads;  // by target, in the order the tool sent them
    std::vector<std::string> order;
    for (const RecordedRequest& r : requests) {
        if (r.method == "POST" &&
            (r.target == "/api/v1/tips" || r.target == "/api/v1/mailbox/messages")) {
            out.push_back(r.body);
        } else if (r.method == "PUT" && r.target.starts_with(uploads_prefix)) {
            auto [it, added] = uploads.try_emplace(r.target);
            if (added) order.push_back(r.target);
            if (parse_offset(r.header("Upload-Offset")) != it->second.size()) {
                throw std::runtime_error("an upload chunk does not follow the one before it");
            }
            it->second.insert(it->second.end(), r.body.begin(), r.body.end());
        }
    }
    for (const std::string& target : order) out.push_back(uploads[target]);
    return out;
}

std::vector<RecordedRequest> submissions(const std::vector<RecordedRequest>& requests) {
    std::vector<RecordedRequest> out;
    std::copy_if(requests.begin(), requests.end(), std::back_inserter(out),
                 [](const RecordedRequest& r) { return r.method == "POST" || r.method == "PUT"; });
    return out;
}

}  // namespace tipline::test
