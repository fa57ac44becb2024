// Mailboxes and the signed responder API against a real tiplined over real sockets: a witness's tip
// opens a mailbox, a responder lists, downloads and answers it, the witness reads the reply with
// the receipt's token and follows up. Then each way a request must be refused.
#include <sodium.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "server_process.hpp"
#include "support.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/request_auth.hpp"
#include "tipline/crypto/tip_document.hpp"

using namespace tipline;
using test::Bytes;
using test::Deployment;
using test::ServerProcess;

namespace {

namespace json = boost::json;
using test::as_text;
using test::body_of;
using test::error_code_of;

std::string hex(std::span<const unsigned char> b) { return crypto::to_hex(b); }

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

crypto::SecretIdentity responder_identity(const Deployment& d) {
    const Bytes file = test::read_file(d.key);
    std::string pass = as_text(test::read_file(d.pass));
    while (!pass.empty() && pass.back() == '\n') pass.pop_back();
    crypto::SecretIdentity id;
    const auto ec = crypto::open_secret_key_file(
        file, {reinterpret_cast<const unsigned char*>(pass.data()), pass.size()}, id);
    if (ec) throw std::runtime_error("cannot open the test key: " + ec.message());
    return id;
}

struct Signed {
    std::uint64_t timestamp = static_cast<std::uint64_t>(unix_now());
    crypto::RequestNonce nonce = [] {
        crypto::RequestNonce n{};
        randombytes_buf(n.data(), n.size());
        return n;
    }();
};

// A complete HTTP request signed by who.
std::string signed_request(const crypto::SecretIdentity& who, const std::string& method,
                           const std::string& target, const std::string& body, const Signed& s = {},
                           const std::string& extra_headers = "") {
    crypto::RequestToSign r;
    r.method = method;
    r.target = target;
    r.body_hash = crypto::hash_request_body(
        {reinterpret_cast<const unsigned char*>(body.data()), body.size()});
    r.timestamp = s.timestamp;
    r.nonce = s.nonce;
    const auto sig = crypto::sign_request(r, who.sign_secret);
    return method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
           "Tipline-Key: " + crypto::encode_public_key(who.public_identity) + "\r\n" +
           "Tipline-Timestamp: " + std::to_string(s.timestamp) + "\r\n" +
           "Tipline-Nonce: " + hex(s.nonce) + "\r\n" + "Tipline-Signature: " + hex(sig) + "\r\n" +
           extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The witness side of one receipt: its mailbox name and token, and the reply key pair.
struct Witness {
    crypto::MailboxId mailbox{};
    crypto::SecretBuffer token;
    crypto::BoxKeyPair reply;
    std::string headers(bool with_token = true) const {
        return "Tipline-Mailbox: " + hex(mailbox) + "\r\n" +
               (with_token ? "Tipline-Mailbox-Token: " + hex(token.span()) + "\r\n"
                           : std::string());
    }
};

Witness witness_for(unsigned short port) {
    const std::string keys = body_of(
        test::raw_http(port, "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    crypto::DeploymentSalt salt{};
    const std::string salt_hex = json::value_to<std::string>(json::parse(keys).at("salt"));
    REQUIRE(crypto::from_hex(salt_hex, salt));
    crypto::SecretBuffer digits = crypto::generate_receipt();
    auto derived = crypto::derive_receipt_keys(digits.span(), salt);
    Witness w{crypto::mailbox_id(derived.reply.public_key), std::move(derived.mailbox_token),
              std::move(derived.reply)};
    return w;
}

// A whole POST of an envelope, with a proof of work solved for the server on port.
std::string post_envelope(unsigned short port, const std::string& path, const Bytes& envelope,
                          const std::string& headers) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers +
           test::proof_line(port) + "Content-Length: " + std::to_string(envelope.size()) +
           "\r\n\r\n" + as_text(envelope);
}

// Opens every envelope of a bundle with one key; returns their contents in order.
std::vector<std::string> open_bundle(const std::string& bundle, const crypto::BoxKeyPair& key) {
    Bytes bytes(bundle.begin(), bundle.end());
    crypto::MemorySource in(bytes);
    std::vector<crypto::BundleEntry> entries;
    REQUIRE_FALSE(crypto::read_bundle_manifest(in, bytes.size(), entries));
    std::vector<std::string> out;
    const crypto::BoxKeyPair* keys[] = {&key};
    for (const auto& e : entries) {
        crypto::LimitedSource one(in, e.size);
        crypto::VectorSink content;
        REQUIRE_FALSE(crypto::open_envelope(keys, one, content));
        out.push_back(as_text(content.bytes()));
    }
    return out;
}

json::array items_of(const std::string& raw) {
    return json::parse(body_of(raw)).at("items").as_array();
}

}  // namespace

TEST_CASE("a conversation through the mailbox and the signed responder API", "[mailbox][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const auto responder = responder_identity(d);
    const crypto::BoxPublicKey to_responder[] = {responder.public_identity.box};
    Witness w = witness_for(server.port());

    // 1. The tip opens the mailbox: the server receives the name and the token's hash only.
    const auto tip = test::seal_bytes(to_responder, Bytes{'t', 'i', 'p'});
    const std::string opening =
        "Tipline-Mailbox: " + hex(w.mailbox) +
        "\r\nTipline-Mailbox-Token-Hash: " + hex(crypto::hash_mailbox_token(w.token.span())) +
        "\r\n";
    CHECK(test::status_of(test::raw_http(
              server.port(), post_envelope(server.port(), "/api/v1/tips", tip, opening))) == 201);
    // The same name cannot be opened twice.
    const auto again =
        test::raw_http(server.port(), post_envelope(server.port(), "/api/v1/tips", tip, opening));
    CHECK(test::status_of(again) == 409);
    CHECK(error_code_of(again) == "mailbox_taken");

    // 2. The responder lists and downloads it, and can open it.
    const auto listed = test::raw_http(
        server.responder_port(), signed_request(responder, "GET", "/api/v1/responder/items", ""));
    REQUIRE(test::status_of(listed) == 200);
    auto items = items_of(listed);
    REQUIRE(items.size() == 1);
    CHECK(items[0].at("kind") == "tip");
    CHECK(items[0].at("mailbox").as_string() == std::string_view(hex(w.mailbox)));
    CHECK(items[0].at("acknowledged") == false);
    const std::int64_t tip_ref = items[0].at("ref").as_int64();
    const std::string refs = "{\"refs\":[" + std::to_string(tip_ref) + "]}";
    const auto bundle =
        test::raw_http(server.responder_port(),
                       signed_request(responder, "POST", "/api/v1/responder/bundle", refs));
    REQUIRE(test::status_of(bundle) == 200);
    CHECK(open_bundle(body_of(bundle), responder.box) == std::vector<std::string>{"tip"});

    // 3. The responder answers into the mailbox, sealed to the witness's reply key and its own.
    const crypto::BoxPublicKey to_thread[] = {w.reply.public_key, responder.public_identity.box};
    const auto reply = test::seal_bytes(to_thread, Bytes{'q', '?'});
    const auto posted = test::raw_http(
        server.responder_port(),
        signed_request(responder, "POST", "/api/v1/responder/replies", as_text(reply), {},
                       "Tipline-Mailbox: " + hex(w.mailbox) + "\r\n"));
    CHECK(test::status_of(posted) == 201);

    // 4. The witness reads it with the token and opens it with the reply key.
    const auto replies = test::raw_http(
        server.port(),
        "GET /api/v1/mailbox HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + w.headers() + "\r\n");
    REQUIRE(test::status_of(replies) == 200);
    CHECK(open_bundle(body_of(replies), w.reply) == std::vector<std::string>{"q?"});

    // 5. The witness follows up; the responder sees it after the cursor, marked as a follow-up.
    const auto follow_up = test::seal_bytes(to_responder, Bytes{'a', '!'});
    CHECK(test::status_of(
              test::raw_http(server.port(), post_envelope(server.port(), "/api/v1/mailbox/messages",
                                                          follow_up, w.headers()))) == 201);
    const auto later = test::raw_http(
        server.responder_port(),
        signed_request(responder, "GET", "/api/v1/responder/items?after=" + std::to_string(tip_ref),
                       ""));
    items = items_of(later);
    REQUIRE(items.size() == 2);
    CHECK(items[0].at("kind") == "reply");
    CHECK(items[1].at("kind") == "follow_up");
    CHECK(items[1].at("mailbox").as_string() == std::string_view(hex(w.mailbox)));

    // 6. Acknowledging marks; acknowledging with delete removes the tip and the follow-up, and
    //    takes the reply off the responder's list only: it stays in the mailbox for the witness.
    //    The mailbox stays too, so the responders can still answer.
    const auto acked = test::raw_http(
        server.responder_port(), signed_request(responder, "POST", "/api/v1/responder/ack", refs));
    CHECK(body_of(acked).find("\"acknowledged\":1") != std::string::npos);
    items = items_of(test::raw_http(
        server.responder_port(), signed_request(responder, "GET", "/api/v1/responder/items", "")));
    REQUIRE(items.size() == 3);
    CHECK(items[0].at("acknowledged") == true);
    std::string all = "{\"refs\":[";
    for (std::size_t i = 0; i < items.size(); ++i)
        all += (i ? "," : "") + std::to_string(items[i].at("ref").as_int64());
    all += "],\"delete\":true}";
    const auto deleted = test::raw_http(
        server.responder_port(), signed_request(responder, "POST", "/api/v1/responder/ack", all));
    CHECK(body_of(deleted).find("\"deleted\":3") != std::string::npos);
    CHECK(items_of(test::raw_http(server.responder_port(),
                                  signed_request(responder, "GET", "/api/v1/responder/items", "")))
              .empty());
    const auto empty = test::raw_http(
        server.port(),
        "GET /api/v1/mailbox HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + w.headers() + "\r\n");
    CHECK(test::status_of(empty) == 200);
    CHECK(open_bundle(body_of(empty), w.reply) == std::vector<std::string>{"q?"});
    const auto later_reply = test::raw_http(
        server.responder_port(),
        signed_request(responder, "POST", "/api/v1/responder/replies", as_text(reply), {},
                       "Tipline-Mailbox: " + hex(w.mailbox) + "\r\n"));
    CHECK(test::status_of(later_reply) == 201);
}

TEST_CASE("mailbox requests with a wrong token or a malformed one are refused",
          "[mailbox][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const auto responder = responder_identity(d);
    const crypto::BoxPublicKey to_responder[] = {responder.public_identity.box};
    Witness w = witness_for(server.port());
    const std::string opening =
        "Tipline-Mailbox: " + hex(w.mailbox) +
        "\r\nTipline-Mailbox-Token-Hash: " + hex(crypto::hash_mailbox_token(w.token.span())) +
        "\r\n";
    REQUIRE(test::status_of(test::raw_http(
                server.port(), post_envelope(server.port(), "/api/v1/tips",
                                             test::seal_bytes(to_responder, Bytes{1}), opening))) ==
            201);

    // A wrong receipt gives a wrong token: the same answer as for a mailbox that does not exist.
    Witness stranger = witness_for(server.port());
    const auto get = [&](const std::string& headers) {
        return test::raw_http(
            server.port(),
            "GET /api/v1/mailbox HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + "\r\n");
    };
    const auto wrong = get("Tipline-Mailbox: " + hex(w.mailbox) +
                           "\r\nTipline-Mailbox-Token: " + hex(stranger.token.span()) + "\r\n");
    CHECK(test::status_of(wrong) == 404);
    CHECK(error_code_of(wrong) == "mailbox_denied");
    const auto missing = get(stranger.headers());
    CHECK(test::status_of(missing) == 404);
    CHECK(body_of(missing) == body_of(wrong));
    // A follow-up with a wrong token is refused too, and stores nothing.
    const auto follow = test::raw_http(
        server.port(),
        post_envelope(server.port(), "/api/v1/mailbox/messages",
                      test::seal_bytes(to_responder, Bytes{2}),
                      "Tipline-Mailbox: " + hex(w.mailbox) +
                          "\r\nTipline-Mailbox-Token: " + hex(stranger.token.span()) + "\r\n"));
    CHECK(test::status_of(follow) == 404);

    // Tokens of the wrong length, or not hex, are malformed.
    const std::string short_token = hex(w.token.span()).substr(0, 62);
    const auto too_short = get("Tipline-Mailbox: " + hex(w.mailbox) +
                               "\r\nTipline-Mailbox-Token: " + short_token + "\r\n");
    CHECK(test::status_of(too_short) == 400);
    CHECK(error_code_of(too_short) == "bad_mailbox_header");
    const auto too_long = get("Tipline-Mailbox: " + hex(w.mailbox) +
                              "\r\nTipline-Mailbox-Token: " + hex(w.token.span()) + "00\r\n");
    CHECK(test::status_of(too_long) == 400);
    CHECK(test::status_of(get("Tipline-Mailbox: " + hex(w.mailbox) + "\r\n")) == 400);

    // The right token still works.
    CHECK(test::status_of(get(w.headers())) == 200);
    const auto listed = test::raw_http(
        server.responder_port(), signed_request(responder, "GET", "/api/v1/responder/items", ""));
    CHECK(items_of(listed).size() == 1);
}

TEST_CASE("wrong mailbox tries are throttled, and a right name and token is still answered",
          "[mailbox][server]") {
    Deployment d(std::map<std::string, std::string>{{"mailbox_failure_burst", "3"},
                                                    {"mailbox_failures_per_minute", "1"}});
    ServerProcess server(d.data);
    const auto responder = responder_identity(d);
    const crypto::BoxPublicKey to_responder[] = {responder.public_identity.box};
    Witness w = witness_for(server.port());
    REQUIRE(test::status_of(test::raw_http(
                server.port(),
                post_envelope(
                    server.port(), "/api/v1/tips", test::seal_bytes(to_responder, Bytes{1}),
                    "Tipline-Mailbox: " + hex(w.mailbox) + "\r\nTipline-Mailbox-Token-Hash: " +
                        hex(crypto::hash_mailbox_token(w.token.span())) + "\r\n"))) == 201);
    const auto get = [&](const Witness& who) {
        return test::raw_http(server.port(),
                              "GET /api/v1/mailbox HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                                  who.headers() + "\r\n");
    };
    Witness guesser = witness_for(server.port());
    for (int i = 0; i < 3; ++i)
        CHECK(test::status_of(get(guesser)) == 404);  // no such mailbox: each one a failure
    const auto throttled = get(guesser);
    CHECK(test::status_of(throttled) == 429);
    CHECK(error_code_of(throttled) == "mailbox_throttled");
    CHECK(throttled.find("Retry-After: ") != std::string::npos);
    // The budget is spent, yet the witness who has the right token reads and follows up.
    CHECK(test::status_of(get(w)) == 200);
    CHECK(test::status_of(test::raw_http(
              server.port(),
              post_envelope(server.port(), "/api/v1/mailbox/messages",
                            test::seal_bytes(to_responder, Bytes{2}), w.headers()))) == 201);
    CHECK(test::status_of(get(guesser)) == 429);
}

TEST_CASE("the responder API refuses unknown keys, bad signatures, stale times and replays alike",
          "[mailbox][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const auto responder = responder_identity(d);
    const auto port = server.responder_port();
    const auto list = [&](const crypto::SecretIdentity& who, const Signed& s) {
        return test::raw_http(port, signed_request(who, "GET", "/api/v1/responder/items", "", s));
    };
    const Signed first;
    const auto ok = list(responder, first);
    CHECK(test::status_of(ok) == 200);

    // The same request again, byte for byte: a replay.
    const auto replayed = list(responder, first);
    CHECK(test::status_of(replayed) == 401);
    CHECK(error_code_of(replayed) == "unauthorized");

    // A timestamp outside the window, either way.
    Signed stale;
    stale.timestamp -= 301;
    CHECK(test::status_of(list(responder, stale)) == 401);
    Signed future;
    future.timestamp += 301;
    CHECK(test::status_of(list(responder, future)) == 401);

    // A well-formed signature by a key the server does not know.
    const auto stranger = crypto::SecretIdentity::generate();
    const auto unknown = list(stranger, Signed{});
    CHECK(test::status_of(unknown) == 401);
    CHECK(body_of(unknown) == body_of(replayed));  // no hint of which check failed

    // The responder's key with a signature over something else: the body was changed in transit.
    std::string tampered =
        signed_request(responder, "POST", "/api/v1/responder/ack", "{\"refs\":[1]}");
    tampered.replace(tampered.size() - 3, 1, "2");
    CHECK(test::status_of(test::raw_http(port, tampered)) == 401);

    // No signature at all, and the responder API is not on the source listener.
    CHECK(test::status_of(test::raw_http(
              port,
              "GET /api/v1/responder/items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) ==
          401);
    CHECK(test::status_of(test::raw_http(
              server.port(), signed_request(responder, "GET", "/api/v1/responder/items", ""))) ==
          404);
    // Nor is the source API on the responder listener.
    CHECK(test::status_of(test::raw_http(
              port, "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 401);

    // Still serving.
    CHECK(test::status_of(list(responder, Signed{})) == 200);
}

TEST_CASE(
    "a receipt of version 1 still opens its mailbox, from the tool and from the form without "
    "JavaScript, and its follow-ups carry its own reply key",
    "[mailbox][server][receipt]") {
    Deployment d;
    ServerProcess server(d.data);
    const auto responder = responder_identity(d);
    const crypto::BoxPublicKey to_responder[] = {responder.public_identity.box};
    const std::string keys = body_of(test::raw_http(
        server.port(), "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    crypto::DeploymentSalt salt{};
    REQUIRE(crypto::from_hex(json::value_to<std::string>(json::parse(keys).at("salt")), salt));

    // A tip sent before receipts of version 2 opened its mailbox with version 1's keys.
    const crypto::SecretBuffer digits = crypto::generate_receipt();
    const auto old = crypto::derive_receipt_keys(digits.span(), salt, crypto::ReceiptKdf::v1);
    const auto now = crypto::derive_receipt_keys(digits.span(), salt, crypto::ReceiptKdf::v2);
    const crypto::MailboxId old_name = crypto::mailbox_id(old.reply.public_key);
    REQUIRE(test::status_of(test::raw_http(
                server.port(),
                post_envelope(
                    server.port(), "/api/v1/tips", test::seal_bytes(to_responder, Bytes{1}),
                    "Tipline-Mailbox: " + hex(old_name) + "\r\nTipline-Mailbox-Token-Hash: " +
                        hex(crypto::hash_mailbox_token(old.mailbox_token.span())) + "\r\n"))) ==
            201);

    // HEAD answers whether a name and token open a mailbox, and reads nothing.
    const auto head = [&](const crypto::ReceiptKeys& k) {
        return test::status_of(test::raw_http(
            server.port(),
            "HEAD /api/v1/mailbox HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            "Tipline-Mailbox: " +
                hex(crypto::mailbox_id(k.reply.public_key)) +
                "\r\nTipline-Mailbox-Token: " + hex(k.mailbox_token.span()) + "\r\n\r\n"));
    };
    CHECK(head(old) == 200);
    CHECK(head(now) == 404);

    // The tool finds the mailbox with version 1 after version 2 finds none, reads it, and sends a
    // follow-up that carries version 1's reply key, so that replies reach this mailbox.
    const crypto::SecretBuffer shown = crypto::format_receipt(digits.span());
    test::write_file(d.dir / "receipt.txt",
                     std::string(reinterpret_cast<const char*>(shown.data()), shown.size()) + "\n");
    test::write_file(d.dir / "answer.txt", std::string("still here\n"));
    const std::string submit = test::tool("client/tipline-submit");
    const auto checked = test::run_command(submit + " check --server " + server.url() +
                                           " --receipt-file " + test::q(d.dir / "receipt.txt"));
    INFO("check stderr: " << checked.err);
    CHECK(checked.exit_code == 0);
    CHECK(checked.out == "no replies yet\n");
    const auto answered = test::run_command(submit + " reply --server " + server.url() +
                                            " --receipt-file " + test::q(d.dir / "receipt.txt") +
                                            " --message-file " + test::q(d.dir / "answer.txt"));
    INFO("reply stderr: " << answered.err);
    CHECK(answered.exit_code == 0);

    // The form without JavaScript finds it too, and its follow-up form names the version.
    const auto page = test::raw_http(
        server.port(),
        test::fields_post(
            "/en/check",
            {{"receipt", std::string(reinterpret_cast<const char*>(shown.data()), shown.size())}}));
    REQUIRE(test::status_of(page) == 200);
    CHECK(body_of(page).find("name=\"receipt_version\" value=\"1\"") != std::string::npos);
    const auto posted = test::raw_http(
        server.port(),
        test::fields_post(
            "/en/follow-up",
            {{"receipt", std::string(reinterpret_cast<const char*>(shown.data()), shown.size())},
             {"receipt_version", "1"},
             {"message", "from the form"}}));
    CHECK(test::status_of(posted) == 200);

    // The responder gets both follow-ups, each answering version 1's reply key.
    const auto listed = test::raw_http(
        server.responder_port(), signed_request(responder, "GET", "/api/v1/responder/items", ""));
    std::string refs = "{\"refs\":[";
    std::size_t follow_ups = 0;
    for (const auto& item : items_of(listed)) {
        if (item.at("kind") != "follow_up") continue;
        CHECK(item.at("mailbox").as_string() == std::string_view(hex(old_name)));
        refs += (follow_ups++ ? "," : "") + std::to_string(item.at("ref").as_int64());
    }
    REQUIRE(follow_ups == 2);
    const auto bundle =
        test::raw_http(server.responder_port(),
                       signed_request(responder, "POST", "/api/v1/responder/bundle", refs + "]}"));
    REQUIRE(test::status_of(bundle) == 200);
    const std::string bytes = body_of(bundle);
    const crypto::BoxKeyPair* ids[] = {&responder.box};
    std::vector<crypto::OpenedMessage> opened;
    std::size_t unreadable = 0;
    REQUIRE_FALSE(crypto::open_bundle_messages(
        {reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()}, ids,
        crypto::TipKind::follow_up, opened, unreadable));
    REQUIRE(opened.size() == 2);
    for (const auto& m : opened) CHECK(m.header.reply_key == old.reply.public_key);
}
