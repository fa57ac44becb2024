// The source API handlers as pure functions: no socket, no server process.
#include "tipline/server/api.hpp"

#include <catch2/catch.hpp>

#include "support.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/server/ingest_queue.hpp"
#include "tipline/server/responses.hpp"
#include "tipline/server/router.hpp"
#include "tipline/server/store.hpp"

using namespace tipline;
using server::http::field;
using server::http::status;
using server::http::verb;

namespace {

server::ServerInfo info() {
    server::ServerInfo i;
    const auto id = crypto::SecretIdentity::generate();
    i.recipients->replace(
        server::recipients_from_keys({crypto::encode_public_key(id.public_identity)}));
    i.salt_hex = std::string(32, 'a');
    i.limits.inline_bytes = 100000;
    i.limits.envelope_bytes = 200000;
    return i;
}

server::Request request(verb method, std::string target, test::Bytes body = {}) {
    server::Request r{method, target, 11};
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
}

// Handles a request and, when it asks for a write, runs the write in its own transaction.
server::Response run_request(server::Request req, const server::ServerInfo& i,
                             server::Store& store) {
    auto action = server::handle_request(std::move(req), i, *i.circuits->get(0));
    if (auto* r = std::get_if<server::Response>(&action)) return *r;
    auto& write = std::get<server::PendingWrite>(action);
    store.begin();
    const auto result = write.op(store, 7);
    store.commit();
    return write.respond(result);
}

status status_of(const server::Action& a) { return std::get<server::Response>(a).result(); }

test::Bytes envelope(std::size_t content) {
    const crypto::BoxPublicKey to[] = {crypto::BoxKeyPair::generate().public_key};
    return test::seal_bytes(to, test::pattern_bytes(content));
}

}  // namespace

TEST_CASE("headers are screened before any body is read", "[api]") {
    const auto i = info();
    server::RequestHeader h;
    h.method(verb::post);
    h.target("/api/v1/tips");
    h.set(field::content_length, "100001");
    REQUIRE(server::screen_header(h, i));
    CHECK(server::screen_header(h, i)->result() == status::payload_too_large);
    h.set(field::content_length, "100000");
    CHECK_FALSE(server::screen_header(h, i));
    h.erase(field::content_length);
    CHECK(server::screen_header(h, i)->result() == status::length_required);
    h.set(field::transfer_encoding, "gzip");
    CHECK(server::screen_header(h, i)->result() == status::not_implemented);
    h.set(field::transfer_encoding, "chunked");
    CHECK_FALSE(server::screen_header(h, i));
    server::RequestHeader absolute;
    absolute.method(verb::get);
    absolute.target("http://evil/api/v1/keys");
    CHECK(server::screen_header(absolute, i)->result() == status::bad_request);
    server::RequestHeader unknown;
    unknown.method_string("BREW");
    unknown.target("/");
    CHECK(server::screen_header(unknown, i)->result() == status::not_implemented);
}

TEST_CASE("the keys endpoint lists every recipient", "[api]") {
    const auto i = info();
    const auto action =
        server::handle_request(request(verb::get, "/api/v1/keys"), i, *i.circuits->get(0));
    const auto& res = std::get<server::Response>(action);
    CHECK(res.result() == status::ok);
    CHECK(res.body().find(i.recipients->current()->texts[0]) != std::string::npos);
    CHECK(res.body().find(i.recipients->current()->fingerprints[0]) != std::string::npos);
    CHECK(res.body().find("recipient_list") == std::string::npos);  // none installed
    CHECK(res[field::cache_control] == "no-store");
    CHECK(res.find(field::server) == res.end());
    CHECK(status_of(server::handle_request(request(verb::post, "/api/v1/keys"), i,
                                           *i.circuits->get(0))) == status::method_not_allowed);
}

TEST_CASE("a valid envelope becomes a write that stores exactly its bytes", "[api]") {
    const auto i = info();
    const auto env = envelope(1000);
    auto action =
        server::handle_request(request(verb::post, "/api/v1/tips", env), i, *i.circuits->get(0));
    REQUIRE(std::holds_alternative<server::PendingWrite>(action));
    auto& write = std::get<server::PendingWrite>(action);
    CHECK(write.adds_bytes == env.size());

    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    store->begin();
    const server::WriteResult result = write.op(*store, 7);
    store->commit();
    REQUIRE_FALSE(result.ec);
    const auto tips = store->list_tips();
    REQUIRE(tips.size() == 1);
    CHECK(tips[0].id == result.id);
    crypto::VectorSink stored;
    REQUIRE(store->read_tip(tips[0].seq, stored));
    CHECK(stored.bytes() == env);
    const server::Response res = write.respond(result);
    CHECK(res.result() == status::created);
    CHECK(res.body().find(result.id.hex()) != std::string::npos);
}

TEST_CASE("an upload in chunks becomes a tip only when complete and valid", "[api]") {
    const auto i = info();
    const auto env = envelope(150000);
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    auto run = [&](server::Request req) { return run_request(std::move(req), i, *store); };
    auto start = request(verb::post, "/api/v1/uploads");
    start.set("Upload-Length", std::to_string(env.size()));
    const auto created = run(std::move(start));
    REQUIRE(created.result() == status::created);
    const std::string key = created.body().substr(created.body().find("\"upload\":\"") + 10, 32);
    const std::string path = "/api/v1/uploads/" + key;

    auto chunk = [&](std::size_t from, std::size_t to, std::uint64_t offset) {
        auto put = request(verb::put, path,
                           test::Bytes(env.begin() + static_cast<std::ptrdiff_t>(from),
                                       env.begin() + static_cast<std::ptrdiff_t>(to)));
        put.set("Upload-Offset", std::to_string(offset));
        return run(std::move(put));
    };
    CHECK(chunk(0, 50000, 0).result() == status::ok);
    const auto early = run(request(verb::post, path + "/finish"));
    CHECK(early.result() == status::conflict);
    CHECK(early.body().find("upload_incomplete") != std::string::npos);
    const auto wrong = chunk(50000, 100000, 5);
    CHECK(wrong.result() == status::conflict);
    CHECK(wrong.body().find("\"offset\":50000") != std::string::npos);
    CHECK(chunk(50000, 100000, 50000).result() == status::ok);
    const auto status_now = run(request(verb::get, path));
    CHECK(status_now.body().find("\"offset\":100000") != std::string::npos);
    CHECK(chunk(100000, env.size(), 100000).result() == status::ok);
    CHECK(store->stats().tips == 0);  // not a tip until finished

    const auto finished = run(request(verb::post, path + "/finish"));
    REQUIRE(finished.result() == status::created);
    const auto tips = store->list_tips();
    REQUIRE(tips.size() == 1);
    crypto::VectorSink stored;
    REQUIRE(store->read_tip(tips[0].seq, stored));
    CHECK(stored.bytes() == env);
    CHECK(run(request(verb::post, path + "/finish")).result() == status::not_found);
}

TEST_CASE("a finished upload that is not an envelope is refused and deleted", "[api]") {
    const auto i = info();
    test::TempDir tmp;
    auto store = server::Store::open(tmp / "db", true);
    auto run = [&](server::Request req) { return run_request(std::move(req), i, *store); };
    auto start = request(verb::post, "/api/v1/uploads");
    start.set("Upload-Length", "5000");
    const auto created = run(std::move(start));
    const std::string key = created.body().substr(created.body().find("\"upload\":\"") + 10, 32);
    auto put = request(verb::put, "/api/v1/uploads/" + key, test::Bytes(5000, 'x'));
    put.set("Upload-Offset", "0");
    CHECK(run(std::move(put)).result() == status::ok);
    const auto finished = run(request(verb::post, "/api/v1/uploads/" + key + "/finish"));
    CHECK(finished.result() == status::bad_request);
    CHECK(finished.body().find("envelope_malformed") != std::string::npos);
    CHECK(store->stats().uploads == 0);
    CHECK(store->stats().tips == 0);
}

TEST_CASE("bad envelopes get their own codes", "[api]") {
    const auto i = info();
    auto env = envelope(1000);
    auto code = [&](test::Bytes body) {
        const auto action = server::handle_request(
            request(verb::post, "/api/v1/tips", std::move(body)), i, *i.circuits->get(0));
        return std::get<server::Response>(action).body();
    };
    CHECK(code(test::Bytes(env.begin(), env.end() - 1)).find("envelope_truncated") !=
          std::string::npos);
    auto longer = env;
    longer.push_back(0);
    CHECK(code(longer).find("envelope_trailing_data") != std::string::npos);
    CHECK(code(test::Bytes(300, 'x')).find("envelope_malformed") != std::string::npos);
    auto v2 = env;
    v2[9] = 2;
    CHECK(code(v2).find("envelope_unsupported_version") != std::string::npos);
    CHECK(code(envelope(250000)).find("envelope_too_large") != std::string::npos);
}

TEST_CASE("unknown paths and errors never echo the request", "[api]") {
    const auto i = info();
    const auto action = server::handle_request(request(verb::get, "/<script>alert(1)</script>"), i,
                                               *i.circuits->get(0));
    const auto& res = std::get<server::Response>(action);
    CHECK(res.result() == status::not_found);
    CHECK(res.body().find("script") == std::string::npos);
    CHECK_FALSE(res.keep_alive());
}

TEST_CASE("stored responses map storage outcomes to statuses", "[api]") {
    const auto id = server::TipId::random();
    const auto ok = server::stored_response({}, id, 11, true);
    CHECK(ok.result() == status::created);
    CHECK(ok.body().find(id.hex()) != std::string::npos);
    CHECK(server::stored_response(server::IngestError::full, id, 11, true).result() ==
          status::insufficient_storage);
    CHECK(server::stored_response(server::IngestError::stopped, id, 11, true).result() ==
          status::service_unavailable);
    CHECK(server::stored_response(server::IngestError::failed, id, 11, true).result() ==
          status::internal_server_error);
}
