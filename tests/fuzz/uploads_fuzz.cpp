// The resumable upload state machine: sequences of begin, chunk, status and finish requests, each
// screened and handled as the listener does and written to a real store, checked against a model.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/protocol/names.hpp"
#include "tipline/server/api.hpp"
#include "tipline/server/router.hpp"

namespace {

using namespace tipline;
using fuzz::require;
namespace http = server::http;
namespace json = boost::json;

constexpr std::size_t max_steps = 64;
constexpr std::size_t max_chunk =
    70000;  // crosses the 64 KiB envelope chunks and a store row's edge

// Not inlined, so a crash report names the line of the broken invariant.
// A real envelope, so that a sequence can finish an upload successfully.
const std::vector<unsigned char>& valid_envelope() {
    static const std::vector<unsigned char> bytes = [] {
        std::vector<unsigned char> content(70000);
        for (std::size_t i = 0; i < content.size(); ++i)
            content[i] = static_cast<unsigned char>(i * 7);
        return fuzz::seal_to_responder(content);
    }();
    return bytes;
}

// What the server should hold for each upload it created.
struct Upload {
    server::TipId key;
    std::uint64_t length = 0;
    std::vector<unsigned char> received;
    bool gone = false;  // finished, or deleted because its bytes were not an envelope
};

std::string field_text(const server::Response& res, std::string_view name) {
    boost::system::error_code ec;
    const json::value v = json::parse(res.body(), ec);
    if (ec || !v.is_object() || !v.as_object().contains(name)) return {};
    const json::value& f = v.as_object().at(name);
    if (f.is_string()) return std::string(f.as_string());
    if (f.is_uint64()) return std::to_string(f.as_uint64());
    if (f.is_int64()) return std::to_string(f.as_int64());
    return {};
}

std::string error_code_of(const server::Response& res) {
    boost::system::error_code ec;
    const json::value v = json::parse(res.body(), ec);
    if (ec || !v.is_object()) return {};
    const auto* e = v.as_object().if_contains("error");
    if (e == nullptr || !e->is_object()) return {};
    const auto* code = e->as_object().if_contains("code");
    return code != nullptr && code->is_string() ? std::string(code->as_string()) : std::string();
}

// The listener's path for one request already in memory: screen, then handle and write.
std::optional<server::Response> serve(server::Request request, const server::ServerInfo& info,
                                      server::Store& store) {
    request.prepare_payload();
    if (server::screen_header(request.base(), info)) return std::nullopt;
    if (request.body().size() > server::body_limit_for(request.base(), info)) return std::nullopt;
    server::Action action =
        server::handle_request(std::move(request), info, *info.circuits->get(0));
    if (auto* write = std::get_if<server::PendingWrite>(&action))
        return fuzz::run_write(*write, store);
    return std::move(std::get<server::Response>(action));
}

std::string upload_target(const server::TipId& key, bool finish) {
    return "/api/v1/uploads/" + key.hex() + (finish ? "/finish" : "");
}

class Session {
  public:
    Session(FuzzedDataProvider& in, server::Store& store) : in_(in), store_(store) {}

    void step() {
        switch (in_.ConsumeIntegralInRange<int>(0, 5)) {
            case 0:
                begin();
                break;
            case 1:
                chunk();
                break;
            case 2:
                status();
                break;
            case 3:
                finish();
                break;
            case 4:
                chunk();
                break;  // chunks are most of an upload's requests
            default:
                stray();
                break;
        }
    }

  private:
    std::optional<server::Response> send(server::Request r) {
        return serve(std::move(r), info_, store_);
    }

    Upload* pick() {
        if (uploads_.empty()) return nullptr;
        return &uploads_[in_.ConsumeIntegralInRange<std::size_t>(0, uploads_.size() - 1)];
    }

    void begin() {
        server::Request r{http::verb::post, "/api/v1/uploads", 11};
        const int how = in_.ConsumeIntegralInRange<int>(0, 2);
        std::uint64_t length = valid_envelope().size();
        if (how == 1)
            length = in_.ConsumeIntegralInRange<std::uint64_t>(0, 2 * valid_envelope().size());
        std::string text = std::to_string(length);
        if (how == 2) text = in_.ConsumeRandomLengthString(24);
        r.set("Upload-Length", text);
        text = std::string(r["Upload-Length"]);  // as the handler reads it: the fields trim blanks
        const bool mailbox = in_.ConsumeBool();
        if (mailbox) {
            r.set(protocol::mailbox_header, in_.ConsumeRandomLengthString(70));
            r.set("Tipline-Mailbox-Token-Hash", in_.ConsumeRandomLengthString(70));
        }
        const auto res = send(std::move(r));
        if (!res) return;
        if (res->result() == http::status::created) {
            const auto key = server::TipId::from_hex(field_text(*res, "upload"));
            require(key.has_value());
            const auto parsed = server::parse_decimal(text);
            require(parsed.has_value() && field_text(*res, "offset") == "0");
            uploads_.push_back({*key, *parsed, {}, false});
            ++starts_;
        } else if (res->result() == http::status::service_unavailable) {
            // Only the limits refuse a start that is otherwise sound (PROTOCOL.md): the circuit's
            // starts, and the unfinished uploads' number and the bytes they received.
            require(error_code_of(*res) == "uploads_busy");
            require(starts_ >= info_.limits.upload_burst ||
                    pending() >= info_.limits.max_pending_uploads ||
                    pending_bytes() >= info_.limits.pending_upload_bytes);
        } else if (how == 0 && !mailbox) {
            std::abort();  // a valid envelope's exact length is otherwise always accepted
        } else if (res->result() == http::status::conflict) {
            ++starts_;  // a taken mailbox: the start spent its token all the same
        }
    }

    // The model's unfinished uploads, as the global limits count them.
    std::uint64_t pending() const {
        return static_cast<std::uint64_t>(std::count_if(uploads_.begin(), uploads_.end(),
                                                        [](const Upload& u) { return !u.gone; }));
    }
    // What the unfinished uploads have received: the bytes they hold.
    std::uint64_t pending_bytes() const {
        std::uint64_t sum = 0;
        for (const Upload& u : uploads_) sum += u.gone ? 0 : u.received.size();
        return sum;
    }

    void chunk() {
        Upload* u = pick();
        if (u == nullptr) return;
        const int how = in_.ConsumeIntegralInRange<int>(0, 2);
        std::uint64_t offset = u->received.size();
        if (how == 1) offset = in_.ConsumeIntegral<std::uint64_t>();
        std::string text = std::to_string(offset);
        if (how == 2) text = in_.ConsumeRandomLengthString(24);
        const std::size_t n = in_.ConsumeIntegralInRange<std::size_t>(0, max_chunk);
        std::vector<unsigned char> bytes;
        if (in_.ConsumeBool()) {
            const auto& env = valid_envelope();
            const std::size_t from = std::min<std::size_t>(u->received.size(), env.size());
            bytes.assign(env.begin() + static_cast<std::ptrdiff_t>(from),
                         env.begin() + static_cast<std::ptrdiff_t>(std::min(env.size(), from + n)));
        } else {
            bytes = in_.ConsumeBytes<unsigned char>(n);
        }
        server::Request r{http::verb::put, upload_target(u->key, false), 11};
        r.set("Upload-Offset", text);
        text = std::string(r["Upload-Offset"]);  // as the handler reads it: the fields trim blanks
        r.body() = bytes;
        const auto res = send(std::move(r));
        if (!res) return;
        const auto parsed = server::parse_decimal(text);
        if (res->result() == http::status::ok) {
            require(!u->gone && parsed && *parsed == u->received.size() && !bytes.empty());
            require(u->received.size() + bytes.size() <= u->length);
            u->received.insert(u->received.end(), bytes.begin(), bytes.end());
            require(field_text(*res, "offset") == std::to_string(u->received.size()));
        } else if (res->result() == http::status::conflict) {
            require(!u->gone && parsed && *parsed != u->received.size());
            require(field_text(*res, "offset") == std::to_string(u->received.size()));
        } else if (res->result() == http::status::not_found) {
            require(u->gone);
        } else if (res->result() == http::status::service_unavailable) {
            // Refused only when it would take what unfinished uploads hold past the limit.
            require(error_code_of(*res) == "uploads_busy");
            require(pending_bytes() + bytes.size() > info_.limits.pending_upload_bytes);
        } else if (!u->gone && parsed && *parsed == u->received.size() && !bytes.empty() &&
                   u->received.size() + bytes.size() <= u->length) {
            std::abort();  // a chunk that fits where the upload stands is taken
        }
    }

    void status() {
        Upload* u = pick();
        if (u == nullptr) return;
        const bool head = in_.ConsumeBool();
        const auto res = send(server::Request{head ? http::verb::head : http::verb::get,
                                              upload_target(u->key, false), 11});
        require(res.has_value());
        if (u->gone) {
            require(res->result() == http::status::not_found);
            return;
        }
        require(res->result() == http::status::ok);
        if (!head) {
            require(field_text(*res, "offset") == std::to_string(u->received.size()));
            require(field_text(*res, "length") == std::to_string(u->length));
        }
    }

    void finish() {
        Upload* u = pick();
        if (u == nullptr) return;
        const auto res = send(server::Request{http::verb::post, upload_target(u->key, true), 11});
        require(res.has_value());
        if (u->gone) {
            require(res->result() == http::status::not_found);
            return;
        }
        if (u->received.size() < u->length) {
            require(res->result() == http::status::conflict &&
                    error_code_of(*res) == "upload_incomplete");
            return;
        }
        u->gone = true;
        if (res->result() == http::status::bad_request) {
            require(error_code_of(*res).starts_with("envelope_"));
            return;
        }
        require(res->result() == http::status::created);
        const auto id = server::TipId::from_hex(field_text(*res, "id"));
        require(id.has_value());
        // The stored tip is exactly the bytes that were accepted.
        bool found = false;
        for (const server::StoredTip& t : store_.list_tips()) {
            if (t.id != *id) continue;
            crypto::VectorSink stored;
            require(store_.read_tip(t.seq, stored) && stored.bytes() == u->received);
            found = true;
        }
        require(found);
    }

    // Requests outside the happy path: an unknown key, another method, a mangled target.
    void stray() {
        static constexpr http::verb methods[] = {http::verb::get,   http::verb::put,
                                                 http::verb::post,  http::verb::delete_,
                                                 http::verb::patch, http::verb::options};
        server::TipId key;
        if (Upload* u = pick(); u != nullptr && in_.ConsumeBool()) key = u->key;
        const auto bytes = in_.ConsumeBytes<unsigned char>(key.bytes.size());
        for (std::size_t i = 0; i < bytes.size(); ++i) key.bytes[i] ^= bytes[i];
        std::string target = upload_target(key, in_.ConsumeBool());
        if (in_.ConsumeBool()) target = "/api/v1/uploads/" + in_.ConsumeRandomLengthString(80);
        http::verb method =
            methods[in_.ConsumeIntegralInRange<std::size_t>(0, std::size(methods) - 1)];
        // Chunks to a live upload are chunk()'s, where the model follows them.
        for (const Upload& u : uploads_) {
            if (u.key == key && method == http::verb::put) method = http::verb::get;
        }
        server::Request r{method, target, 11};
        r.body() = in_.ConsumeBytes<unsigned char>(in_.ConsumeIntegralInRange<std::size_t>(0, 64));
        const auto res = send(std::move(r));
        if (res) require(res->result() != http::status::internal_server_error);
        // A stray may have finished an upload of ours; nothing else may have changed it.
        for (Upload& u : uploads_) {
            if (u.key == key) resync(u);
        }
    }

    void resync(Upload& u) {
        const auto res = send(server::Request{http::verb::get, upload_target(u.key, false), 11});
        require(res.has_value());
        if (res->result() == http::status::not_found) {
            u.gone = true;
            return;
        }
        const auto offset = server::parse_decimal(field_text(*res, "offset"));
        require(offset.has_value() && *offset <= u.length);
        require(*offset == u.received.size());
    }

    FuzzedDataProvider& in_;
    server::Store& store_;
    server::ServerInfo info_ = fuzz::server_info();
    std::vector<Upload> uploads_;
    unsigned starts_ = 0;  // starts that spent a token of the upload budget
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static server::Store& store = fuzz::scratch_store();
    (void)valid_envelope();
    FuzzedDataProvider in(data, size);
    fuzz::RolledBack transaction(store);
    Session session(in, store);
    for (std::size_t i = 0; i < max_steps && in.remaining_bytes() > 0; ++i) session.step();
    return 0;
}
