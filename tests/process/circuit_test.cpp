// Budgets per Tor circuit against the real tiplined: each attack is made from one circuit while the
// witness's real tools run on another, through a stand-in for the onion service's tor
// (circuit_proxy.hpp). And the attacks that need no circuits: a flood of silent connections, and a
// body that stops part way.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <thread>
#include <vector>

#include "circuit_proxy.hpp"
#include "server_process.hpp"
#include "support.hpp"

using namespace tipline::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t attacker_circuit = 0x1234;
constexpr std::uint32_t witness_circuit = 0xbeef0001;

const std::string keys_request =
    "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

// The witness's real send through server's port (a circuit proxy's, or tiplined's); returns the
// tip id, or "" with the tool's error shown.
std::string witness_sends(const Deployment& d, const std::string& url, const std::string& text,
                          const std::string& extra = "") {
    write_file(d.dir / "witness.txt", text);
    const auto sent = run_command(submit() + " send --server " + url + " --message-file " +
                                  q(d.dir / "witness.txt") + extra);
    INFO("tipline-submit send: " << sent.err);
    CHECK(sent.exit_code == 0);
    return sent.exit_code == 0 ? sent.out.substr(0, 32) : "";
}

// Connections on a circuit that send nothing after the PROXY line.
std::vector<int> silent_connections(unsigned short port, std::uint32_t circuit, int n) {
    std::vector<int> fds;
    for (int i = 0; i < n; ++i) {
        const int fd = circuit ? connect_on_circuit(port, circuit) : connect_to(port);
        REQUIRE(fd >= 0);
        fds.push_back(fd);
    }
    return fds;
}

// Whether the server has closed this connection: it reads end of stream, or was reset (closed
// with unread bytes).
bool closed_by_server(int fd) {
    char byte;
    const ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

}  // namespace

TEST_CASE("with circuit_ids every connection must begin with Tor's PROXY line",
          "[circuits][server]") {
    Deployment d(std::map<std::string, std::string>{{"circuit_ids", "true"}});
    ServerProcess server(d.data);
    // Without the line, or with one tor never sends, the connection is closed unanswered: it did
    // not come through the tor this server is set up behind.
    CHECK(raw_http(server.port(), keys_request).empty());
    CHECK(raw_http(server.port(), "PROXY UNKNOWN\r\n" + keys_request).empty());
    CHECK(raw_http(server.port(), "PROXY TCP6 fc00::1 ::1 1\r\n" + keys_request).empty());
    CHECK(status_of(raw_http_on(server.port(), attacker_circuit, keys_request)) == 200);
    // The witness's real tool, through the stand-in for tor, sends and the tip is stored.
    CircuitProxy witness(server.port(), witness_circuit);
    CHECK(witness_sends(d, witness.url(), "through a circuit").size() == 32);
    CHECK(stored_tips(d.data) == 1);
    // The responder listener takes no PROXY line: responders come through their own onion.
    CHECK(status_of(raw_http(server.responder_port(),
                             "GET /api/v1/responder/items HTTP/1.1\r\nHost: x\r\n"
                             "Connection: close\r\n\r\n")) == 401);
}

TEST_CASE("one circuit holds at most circuit_connections, and another circuit is still served",
          "[circuits][server][hostile]") {
    Deployment d({{"circuit_ids", "true"}, {"circuit_connections", "8"}});
    ServerProcess server(d.data);
    auto held = silent_connections(server.port(), attacker_circuit, 8);
    REQUIRE(eventually([&] { return accept_queue_empty(server.port()); }));
    // The ninth on the same circuit is closed unanswered; the circuit's eight stay open.
    CHECK(raw_http_on(server.port(), attacker_circuit, keys_request).empty());
    CHECK(std::none_of(held.begin(), held.end(), closed_by_server));
    // A witness on another circuit sends a tip meanwhile.
    CircuitProxy witness(server.port(), witness_circuit);
    CHECK(witness_sends(d, witness.url(), "while a circuit is full").size() == 32);
    for (int fd : held) ::close(fd);
    // Once the circuit's connections end, it may open new ones.
    CHECK(eventually([&] {
        return status_of(raw_http_on(server.port(), attacker_circuit, keys_request)) == 200;
    }));
}

TEST_CASE("a circuit's wrong mailbox tries spend its own budget only",
          "[circuits][mailbox][hostile]") {
    Deployment d({{"circuit_ids", "true"},
                  {"mailbox_failure_burst", "3"},
                  {"mailbox_failures_per_minute", "1"}});
    ServerProcess server(d.data);
    CircuitProxy witness(server.port(), witness_circuit);
    REQUIRE(witness_sends(d, witness.url(), "a tip with a receipt",
                          " --receipt-out " + q(d.dir / "receipt.txt"))
                .size() == 32);
    const std::string wrong =
        "GET /api/v1/mailbox HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Tipline-Mailbox: " +
        std::string(64, 'a') + "\r\nTipline-Mailbox-Token: " + std::string(64, 'b') + "\r\n\r\n";
    for (int i = 0; i < 3; ++i)
        CHECK(status_of(raw_http_on(server.port(), attacker_circuit, wrong)) == 404);
    CHECK(error_code_of(raw_http_on(server.port(), attacker_circuit, wrong)) ==
          "mailbox_throttled");
    // Another circuit's wrong try is its own first: answered, not throttled.
    CHECK(status_of(raw_http_on(server.port(), attacker_circuit + 1, wrong)) == 404);
    // The witness checks for replies with the real tool while the attacker's circuit is throttled.
    const auto checked = run_command(submit() + " check --server " + witness.url() +
                                     " --receipt-file " + q(d.dir / "receipt.txt"));
    INFO(checked.err);
    CHECK(checked.exit_code == 0);
}

TEST_CASE("the web form's budget is a circuit's own, and only what is stored spends it",
          "[circuits][web][hostile]") {
    Deployment d({{"circuit_ids", "true"}, {"web_form_burst", "2"}, {"web_forms_per_hour", "1"}});
    ServerProcess server(d.data);
    CircuitProxy attacker(server.port(), attacker_circuit);
    CircuitProxy witness(server.port(), witness_circuit);
    // Follow-ups to receipts that do not exist store nothing and spend nothing.
    for (int i = 0; i < 4; ++i) {
        const auto follow = raw_http(
            witness.port(), fields_post("/en/follow-up", {{"receipt", "1234-5678-9012-3456-7890"},
                                                          {"message", "more"}}));
        CHECK(status_of(follow) == 404);
    }
    // The attacker spends its circuit's budget on well-formed forms.
    CHECK(status_of(raw_http(attacker.port(), form_post("/en/submit", "junk 1", "en", {}))) == 200);
    CHECK(status_of(raw_http(attacker.port(), form_post("/en/submit", "junk 2", "en", {}))) == 200);
    CHECK(status_of(raw_http(attacker.port(), form_post("/en/submit", "junk 3", "en", {}))) == 503);
    // The witness's forms are sealed on the witness's circuit.
    CHECK(status_of(raw_http(witness.port(), form_post("/en/submit", "a real tip", "en", {}))) ==
          200);
    CHECK(stored_tips(d.data) == 3);
}

TEST_CASE("a circuit's upload starts do not use up another's", "[circuits][upload][hostile]") {
    Deployment d({{"circuit_ids", "true"},
                  {"upload_burst", "2"},
                  {"uploads_per_hour", "1"},
                  {"inline_bytes", "65536"}});
    ServerProcess server(d.data);
    CircuitProxy attacker(server.port(), attacker_circuit);
    const auto start = [&] {
        return raw_http(attacker.port(),
                        "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Length: 5000\r\n" +
                            proof_line(attacker.port()) + "Connection: close\r\n\r\n");
    };
    CHECK(status_of(start()) == 201);
    CHECK(status_of(start()) == 201);
    CHECK(error_code_of(start()) == "uploads_busy");
    // The witness's large file goes up as a resumable upload on the witness's own circuit.
    CircuitProxy witness(server.port(), witness_circuit);
    write_file(d.dir / "evidence.bin", std::string(200000, 'e'));
    CHECK(
        witness_sends(d, witness.url(), "with a large file", " --file " + q(d.dir / "evidence.bin"))
            .size() == 32);
}

TEST_CASE(
    "a flood of silent connections past max_connections does not shut out a witness or a "
    "responder",
    "[server][hostile]") {
    Deployment d({{"max_connections", "40"}, {"responder_max_connections", "4"}});
    ServerProcess server(d.data);
    // Silent connections, and web-form posts that declare 16 MiB and send nothing, as many as the
    // listener holds and more.
    auto silent = silent_connections(server.port(), 0, 30);
    std::vector<int> stalled;
    for (int i = 0; i < 30; ++i) {
        const int fd = connect_to(server.port());
        REQUIRE(fd >= 0);
        const std::string head =
            "POST /en/submit HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
            "boundary=x\r\nContent-Length: 16777216\r\n\r\n";
        REQUIRE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(head.size()));
        stalled.push_back(fd);
    }
    REQUIRE(eventually([&] { return accept_queue_empty(server.port()); }));
    // The witness's real send and a no-JavaScript submission are served at once.
    CHECK(witness_sends(d, server.url(), "during a connection flood").size() == 32);
    CHECK(status_of(raw_http(server.port(), form_post("/en/submit", "no script", "en", {}))) ==
          200);
    // The responder listener has its own room.
    CHECK(status_of(raw_http(server.responder_port(),
                             "GET /api/v1/responder/items HTTP/1.1\r\nHost: x\r\n"
                             "Connection: close\r\n\r\n")) == 401);
    int closed = 0;
    for (int fd : silent) closed += closed_by_server(fd) ? 1 : 0;
    for (int fd : stalled) closed += closed_by_server(fd) ? 1 : 0;
    CHECK(closed >= 20);  // 60 held past a cap of 40: the server closed the attacker's to make room
    for (int fd : silent) ::close(fd);
    for (int fd : stalled) ::close(fd);
    CHECK(stored_tips(d.data) == 2);
}

TEST_CASE("a body that stops part way is closed after its grace, whatever length it declared",
          "[server][hostile]") {
    Deployment d({{"header_timeout_s", "2"}, {"body_min_rate", "4096"}});
    ServerProcess server(d.data);
    const int fd = connect_to(server.port());
    REQUIRE(fd >= 0);
    // 16 MiB declared would have bought over an hour at 4096 bytes a second; 8 KiB sent buys 4 s.
    const std::string head =
        "POST /en/submit HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
        "boundary=x\r\nContent-Length: 16777216\r\n\r\n--x\r\nContent-Disposition: form-data; "
        "name=\"message\"\r\n\r\n" +
        std::string(8192, 'm');
    REQUIRE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(head.size()));
    std::string answer;
    char buf[4096];
    timeval patience{60, 0};  // far beyond the 4 s the server allows; a hang fails the test
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        answer.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    CHECK(status_of(answer) == 408);
    CHECK(stored_tips(d.data) == 0);
}

TEST_CASE(
    "a flood of checks without JavaScript from one circuit waits its turn, and a witness's "
    "check is answered",
    "[circuits][web][hostile]") {
    // Long enough that no check of the flood runs out of time waiting for its circuit's share.
    Deployment d(
        std::map<std::string, std::string>{{"circuit_ids", "true"}, {"header_timeout_s", "600"}});
    ServerProcess server(d.data);
    CircuitProxy witness(server.port(), witness_circuit);
    REQUIRE(witness_sends(d, witness.url(), "a tip to check on",
                          " --receipt-out " + q(d.dir / "receipt.txt"))
                .size() == 32);
    const Bytes file = read_file(d.dir / "receipt.txt");
    const std::string receipt(file.begin(), file.end());
    REQUIRE(receipt.size() >= 24);
    // The attacker types wrong receipts on one circuit, eight at a time, each costing the server
    // an Argon2id of 64 MiB; its circuit's share of the worker pool is two, so six of its checks
    // wait, unread, for their turn.
    CircuitProxy attacker(server.port(), attacker_circuit);
    std::atomic<bool> attacking{true};
    std::atomic<int> attacker_ok{0}, attacker_busy{0}, attacker_answered{0};
    std::vector<std::thread> flood;
    for (int i = 0; i < 8; ++i) {
        flood.emplace_back([&] {
            while (attacking) {
                const int status = status_of(
                    raw_http(attacker.port(),
                             fields_post("/en/check", {{"receipt", "1111 2222 3333 4444 5555"}}),
                             std::chrono::milliseconds(600000)));
                if (status == 200) ++attacker_ok;
                if (status == 503) ++attacker_busy;
                if (status != 0) ++attacker_answered;
            }
        });
    }
    REQUIRE(eventually([&] { return attacker_answered >= 4; }, std::chrono::seconds(120)));
    // The witness's check on its own circuit is answered with its page, every time.
    for (int i = 0; i < 3; ++i) {
        const std::string page =
            raw_http(witness.port(), fields_post("/en/check", {{"receipt", receipt.substr(0, 24)}}),
                     std::chrono::milliseconds(60000));
        CHECK(status_of(page) == 200);
    }
    attacking = false;
    for (auto& t : flood) t.join();
    CHECK(attacker_ok == 0);
    // Waiting replaced refusing: none of the flood's checks was turned away for want of room.
    CHECK(attacker_busy == 0);
}
