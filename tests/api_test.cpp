// The source API handlers as pure functions: no socket, no server process.
#include <catch2/catch.hpp>

#include "support.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/server/api.hpp"
#include "tipline/server/ingest_queue.hpp"

using namespace tipline;
using server::http::field;
using server::http::status;
using server::http::verb;

namespace {

server::ServerInfo info() {
    server::ServerInfo i;
    const auto id = crypto::SecretIdentity::generate();
    i.recipients = {crypto::encode_public_key(id.public_identity)};
    i.fingerprints = {crypto::fingerprint(id.public_identity)};
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
    const auto action = server::handle_request(request(verb::get, "/api/v1/keys"), i);
    const auto& res = std::get<server::Response>(action);
    CHECK(res.result() == status::ok);
    CHECK(res.body().find(i.recipients[0]) != std::string::npos);
    CHECK(res.body().find(i.fingerprints[0]) != std::string::npos);
    CHECK(res[field::cache_control] == "no-store");
    CHECK(res.find(field::server) == res.end());
    CHECK(status_of(server::handle_request(request(verb::post, "/api/v1/keys"), i)) == status::method_not_allowed);
}

TEST_CASE("a valid envelope becomes a store action with exactly its bytes", "[api]") {
    const auto i = info();
    const auto env = envelope(1000);
    const auto action = server::handle_request(request(verb::post, "/api/v1/tips", env), i);
    REQUIRE(std::holds_alternative<server::StoreEnvelope>(action));
    CHECK(std::get<server::StoreEnvelope>(action).envelope == env);
}

TEST_CASE("bad envelopes get their own codes", "[api]") {
    const auto i = info();
    auto env = envelope(1000);
    auto code = [&](test::Bytes body) {
        const auto action = server::handle_request(request(verb::post, "/api/v1/tips", std::move(body)), i);
        return std::get<server::Response>(action).body();
    };
    CHECK(code(test::Bytes(env.begin(), env.end() - 1)).find("envelope_truncated") != std::string::npos);
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
    const auto action = server::handle_request(request(verb::get, "/<script>alert(1)</script>"), i);
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
    CHECK(server::stored_response(server::IngestError::full, id, 11, true).result() == status::insufficient_storage);
    CHECK(server::stored_response(server::IngestError::stopped, id, 11, true).result() == status::service_unavailable);
    CHECK(server::stored_response(server::IngestError::failed, id, 11, true).result() == status::internal_server_error);
}
