// The tools' HTTP client (client/src/http_client.cpp) and the responder's signed client
// (client/src/responder_client.cpp) against a real tiplined on 127.0.0.1, and against addresses
// where nothing listens.
#include "tipline/client/http_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "server_process.hpp"
#include "support.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/tooling/key_io.hpp"

using namespace tipline;
using client::HttpClient;
using test::Deployment;
using test::ServerProcess;

namespace {

// A loopback port where nothing listens: bound, then closed.
unsigned short closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t size = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string url(unsigned short port) { return "http://127.0.0.1:" + std::to_string(port); }

// The exit code and message of the ToolError that f throws, or {0, ""}.
template <class F>
std::pair<int, std::string> failure_of(F&& f) {
    try {
        f();
    } catch (const tooling::ToolError& e) {
        return {e.exit_code(), e.what()};
    }
    return {0, ""};
}

}  // namespace

TEST_CASE("the HTTP client returns a server's answers, errors included, and sends its headers",
          "[http_client][server]") {
    Deployment d;
    ServerProcess server(d.data);
    HttpClient http(server.url() + "/", "");  // a trailing slash is dropped
    const auto keys = http.get("/api/v1/keys");
    CHECK(keys.status == 200);
    CHECK(keys.body.find("\"recipients\"") != std::string::npos);

    const auto head = http.request("HEAD", "/api/v1/keys", {}, {});
    CHECK(head.status == 200);
    CHECK(head.body.empty());

    const auto missing = http.get("/api/v1/nothing");
    CHECK(missing.status == 404);
    CHECK(client::server_error_code(missing) == "not_found");
    CHECK(client::describe_server_error(missing) == "the server answered 404: no such endpoint");

    // The extra header lines reach the server: a malformed mailbox name is refused as such.
    const auto mailbox = http.request("GET", "/api/v1/mailbox", {},
                                      {client::header_line("Tipline-Mailbox", "not-hex"),
                                       client::header_line("Tipline-Mailbox-Token", "zz")});
    CHECK(mailbox.status == 400);
    CHECK(client::server_error_code(mailbox) == "bad_mailbox_header");

    // A body goes out whole: an envelope that is not one is refused for what it is.
    const test::Bytes junk = test::pattern_bytes(100);
    const auto posted = http.request(
        "POST", "/api/v1/tips", junk,
        {"Content-Type: application/octet-stream", "Tipline-Proof: " + std::string("x")});
    CHECK(posted.status == 400);
    CHECK(client::server_error_code(posted) == "bad_proof");

    // Not JSON: the status alone.
    CHECK(client::describe_server_error({502, "<html>"}) == "the server answered 502");
    CHECK(client::server_error_code({502, "<html>"}).empty());
}

TEST_CASE("no server, no proxy or no scheme: an error with exit 2 and a hint, nothing sent",
          "[http_client]") {
    const unsigned short nobody = closed_port();
    const auto [direct_code, direct] = failure_of([&] { HttpClient(url(nobody), "").get("/"); });
    CHECK(direct_code == tooling::exit_usage_or_io);
    CHECK(direct.starts_with("cannot reach the server"));

    try {
        HttpClient(url(nobody), "socks5h://127.0.0.1:" + std::to_string(nobody)).get("/");
        FAIL("no error");
    } catch (const client::TransportError& e) {
        CHECK(e.exit_code() == tooling::exit_usage_or_io);
        REQUIRE_FALSE(e.hints().empty());
        CHECK(e.hints().front().find("Tor") != std::string::npos);
    }

    const auto [scheme_code, scheme] = failure_of([] { HttpClient("127.0.0.1:8080", ""); });
    CHECK(scheme_code == tooling::exit_usage_or_io);
    CHECK(scheme.find("http://") != std::string::npos);
}

TEST_CASE("the responder's client signs what the server checks, and reports what it refuses",
          "[http_client][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const crypto::SecretIdentity responder =
        tooling::load_secret_key(d.key, tooling::PassphraseSource{.file = d.pass});
    HttpClient http(url(server.responder_port()), "");

    // A witness's tip opens a mailbox.
    crypto::SecretBuffer digits = crypto::generate_receipt();
    crypto::DeploymentSalt salt{};
    salt.fill(7);
    const crypto::ReceiptKeys keys = crypto::derive_receipt_keys(digits.span(), salt);
    const crypto::MailboxId mailbox = crypto::mailbox_id(keys.reply.public_key);
    const crypto::BoxPublicKey to[] = {responder.public_identity.box};
    const std::string opening =
        "Tipline-Mailbox: " + crypto::to_hex(mailbox) + "\r\nTipline-Mailbox-Token-Hash: " +
        crypto::to_hex(crypto::hash_mailbox_token(keys.mailbox_token.span())) + "\r\n";
    const std::string tip = test::as_text(test::seal_bytes(to, test::pattern_bytes(300)));
    REQUIRE(test::status_of(test::raw_http(
                server.port(),
                test::tip_request(tip, test::proof_line(server.port()) + opening))) == 201);

    client::ResponderClient api(http, responder);
    auto items = api.items();
    REQUIRE(items.size() == 1);
    CHECK(items[0].kind == "tip");
    CHECK(items[0].mailbox == crypto::to_hex(mailbox));
    CHECK_FALSE(items[0].acknowledged);

    // A reply into that mailbox is listed after the tip, in the same mailbox.
    const crypto::BoxPublicKey witness[] = {keys.reply.public_key};
    const test::Bytes reply = test::seal_bytes(witness, test::pattern_bytes(200, 2));
    const std::string id = api.post_reply(mailbox, reply);
    CHECK(id.size() == 32);
    items = api.items();
    REQUIRE(items.size() == 2);
    CHECK(items[1].kind == "reply");
    CHECK(items[1].id == id);
    CHECK(items[1].mailbox == items[0].mailbox);
    // Only the items after a cursor.
    CHECK(api.items(items[0].ref).size() == 1);
    // The same reply file pushed again is stored once, under the first push's id.
    CHECK(api.post_reply(mailbox, reply) == id);
    CHECK(api.items().size() == 2);
    // The same words sealed again are a new reply.
    const test::Bytes resealed = test::seal_bytes(witness, test::pattern_bytes(200, 2));
    REQUIRE(resealed != reply);
    CHECK(api.post_reply(mailbox, resealed) != id);
    CHECK(api.items().size() == 3);

    // No such mailbox: exit 1, nothing stored.
    crypto::MailboxId nowhere{};
    nowhere.fill(0x42);
    CHECK(failure_of([&] { api.post_reply(nowhere, reply); }).first ==
          tooling::exit_verification_failure);
    CHECK(api.items().size() == 3);

    // A key the server does not list signs in vain: exit 1, and the message says why.
    const crypto::SecretIdentity stranger = crypto::SecretIdentity::generate();
    client::ResponderClient outsider(http, stranger);
    const auto [code, message] = failure_of([&] { outsider.items(); });
    CHECK(code == tooling::exit_verification_failure);
    CHECK(message.find("does not accept this responder's signature") != std::string::npos);
}
