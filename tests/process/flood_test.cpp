// Flood resistance against the real tiplined: proof of work on submissions, the global limits on
// uploads, and a solved tip getting through a flood of unsolved and garbage requests.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <regex>
#include <thread>
#include <vector>

#include "server_process.hpp"
#include "support.hpp"
#include "tipline/crypto/proof_of_work.hpp"

using namespace tipline::test;
namespace crypto = tipline::crypto;

namespace {

std::string proof_header(const crypto::PowChallenge& c, std::uint64_t nonce) {
    return "Tipline-Proof: " + crypto::pow_proof_text(c, nonce) + "\r\n";
}

std::string start_upload(unsigned short port, std::uint64_t length) {
    return raw_http(port, "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Length: " +
                              std::to_string(length) + "\r\n" + proof_line(port) +
                              "Connection: close\r\n\r\n");
}

std::string upload_key_of(const std::string& started) {
    const auto at = started.find("\"upload\":\"");
    return at == std::string::npos ? std::string() : started.substr(at + 10, 32);
}

// PUT of bytes at offset into the upload; the whole answer.
std::string put_chunk(unsigned short port, const std::string& key, std::size_t offset,
                      const std::string& bytes) {
    return raw_http(port, "PUT /api/v1/uploads/" + key +
                              " HTTP/1.1\r\nHost: x\r\nUpload-Offset: " + std::to_string(offset) +
                              "\r\nContent-Length: " + std::to_string(bytes.size()) +
                              "\r\nConnection: close\r\n\r\n" + bytes);
}

int upload_status(unsigned short port, const std::string& key) {
    return status_of(raw_http(
        port, "GET /api/v1/uploads/" + key + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
}

}  // namespace

TEST_CASE("every submission through the API must carry a solved challenge, each accepted once",
          "[flood][pow]") {
    Deployment d(std::map<std::string, std::string>{{"pow_bits", "12"}});
    ServerProcess server(d.data);
    const unsigned short port = server.port();
    const std::string envelope = sealed_envelope(d, "proof of work");

    const std::string keys =
        raw_http(port, "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(keys.find("\"proof_of_work\":{\"required\":true,\"challenge\":\"") != std::string::npos);
    const std::string fresh =
        raw_http(port, "GET /api/v1/challenge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(fresh.find("\"bits\":12") != std::string::npos);
    CHECK(fresh.find("\"valid_for_s\":300") != std::string::npos);

    const std::string none = raw_http(port, tip_request(envelope, ""));
    CHECK(status_of(none) == 403);
    CHECK(error_code_of(none) == "proof_required");
    for (const std::string path : {"/api/v1/uploads", "/api/v1/mailbox/messages"}) {
        const std::string refused =
            raw_http(port, "POST " + path +
                               " HTTP/1.1\r\nHost: x\r\nUpload-Length: 5000\r\n"
                               "Content-Length: 0\r\nConnection: close\r\n\r\n");
        CHECK(error_code_of(refused) == "proof_required");
    }
    CHECK(error_code_of(raw_http(port, tip_request(envelope, "Tipline-Proof: 12.34\r\n"))) ==
          "bad_proof");

    const auto challenge = fetch_challenge(port);
    REQUIRE(challenge);
    CHECK(crypto::pow_bits(*challenge) == 12);
    CHECK(error_code_of(raw_http(
              port, tip_request(envelope, proof_header(*challenge, unsolved_nonce(*challenge))))) ==
          "proof_unsolved");
    crypto::PowChallenge forged = *challenge;
    forged[1] = 1;  // an easier challenge than the one issued: its authentication no longer holds
    CHECK(error_code_of(raw_http(
              port, tip_request(envelope, proof_header(forged, *crypto::pow_solve(forged))))) ==
          "proof_stale");
    CHECK(stored_tips(d.data) == 0);

    const std::string solved = proof_header(*challenge, *crypto::pow_solve(*challenge));
    CHECK(status_of(raw_http(port, tip_request(envelope, solved))) == 201);
    const std::string replayed = raw_http(port, tip_request(envelope, solved));
    CHECK(status_of(replayed) == 403);
    CHECK(error_code_of(replayed) == "proof_spent");
    CHECK(stored_tips(d.data) == 1);

    // tipline-submit solves the challenge the keys answer carried, with no extra round trip.
    const auto sent = run_command(tool("client/tipline-submit") + " send --server " + server.url() +
                                      " --receipt-out " + q(d.dir / "receipt"),
                                  "sent with a proof of work");
    CHECK(sent.exit_code == 0);
    CHECK(stored_tips(d.data) == 2);
}

TEST_CASE("with proof_of_work off the server asks for none", "[flood][pow]") {
    Deployment d(std::map<std::string, std::string>{{"proof_of_work", "false"}});
    ServerProcess server(d.data);
    const std::string keys = raw_http(
        server.port(), "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(keys.find("\"proof_of_work\":{\"required\":false}") != std::string::npos);
    CHECK(status_of(raw_http(server.port(), tip_request(sealed_envelope(d, "no work"), ""))) ==
          201);
    CHECK(run_command(tool("client/tipline-submit") + " send --server " + server.url(),
                      "no work either")
              .exit_code == 0);
    CHECK(stored_tips(d.data) == 2);
}

TEST_CASE("the difficulty rises with a flood of solved submissions", "[flood][pow]") {
    Deployment d({{"pow_bits", "4"}, {"pow_max_bits", "12"}, {"pow_target_per_minute", "2"}});
    ServerProcess server(d.data);
    const std::string envelope = sealed_envelope(d, "flood");
    const auto before = fetch_challenge(server.port());
    REQUIRE(before);
    CHECK(crypto::pow_bits(*before) == 4);
    for (int i = 0; i < 24; ++i)
        REQUIRE(status_of(raw_http(server.port(),
                                   tip_request(envelope, proof_line(server.port())))) == 201);
    // 24 solved a minute against a target of 2: at least 3 more bits (the load decays a little
    // meanwhile).
    const auto during = fetch_challenge(server.port());
    REQUIRE(during);
    CHECK(crypto::pow_bits(*during) >= 7);
    // A challenge from before the flood is now too weak, and tipline-submit simply solves a new
    // one.
    const std::string weak = raw_http(
        server.port(), tip_request(envelope, proof_header(*before, *crypto::pow_solve(*before))));
    CHECK(error_code_of(weak) == "proof_too_weak");
    CHECK(run_command(tool("client/tipline-submit") + " send --server " + server.url(),
                      "still gets through")
              .exit_code == 0);
    CHECK(stored_tips(d.data) == 25);
}

TEST_CASE("a solved tip is acknowledged during a flood of unsolved and garbage submissions",
          "[flood]") {
    Deployment d({{"pow_bits", "14"}, {"header_timeout_s", "2"}});
    ServerProcess server(d.data);
    const unsigned short port = server.port();
    const std::string envelope = sealed_envelope(d, "garbage");
    const auto stale = fetch_challenge(port);
    REQUIRE(stale);

    std::atomic<bool> stop{false};
    std::atomic<long> refused{0}, flood_requests{0};
    std::vector<std::thread> flood;
    for (int t = 0; t < 6; ++t) {
        flood.emplace_back([&, t] {
            for (long i = 0; !stop; ++i) {
                std::string request;
                switch ((t + i) % 6) {
                    case 0:
                        request = tip_request(envelope, "");
                        break;
                    case 1:
                        request =
                            tip_request(std::string(4000, 'x'), "Tipline-Proof: nonsense\r\n");
                        break;
                    case 2:
                        request =
                            tip_request(envelope, proof_header(*stale, unsolved_nonce(*stale)));
                        break;
                    case 3:
                        request =
                            "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Length: "
                            "99999\r\n\r\n";
                        break;
                    case 4:
                        request =
                            "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n";
                        break;  // stalls
                    default:
                        request = std::string(300, '\x01') + "\r\n\r\n";
                        break;
                }
                const std::string reply = raw_http(port, request, std::chrono::milliseconds(200));
                ++flood_requests;
                const int status = status_of(reply);
                if (status == 400 || status == 403) ++refused;
            }
        });
    }
    while (flood_requests < 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto sent = run_command(tool("client/tipline-submit") + " send --server " + server.url(),
                                  "a real tip, sent during the flood");
    stop = true;
    for (auto& t : flood) t.join();
    INFO(sent.err);
    CHECK(sent.exit_code == 0);
    CHECK(std::regex_match(sent.out, std::regex("[0-9a-f]{32}\n")));
    CHECK(refused > 100);
    CHECK(stored_tips(d.data) == 1);  // only the solved tip
    const auto [ids, opened] = export_and_open(d, "after-flood");
    CHECK(ids == std::set<std::string>{sent.out.substr(0, 32)});
    CHECK(opened == 1);
}

TEST_CASE("unfinished uploads are capped in number, in declared bytes and in starts per hour",
          "[flood][upload]") {
    SECTION("number") {
        Deployment d(std::map<std::string, std::string>{{"max_pending_uploads", "2"}});
        ServerProcess server(d.data);
        const std::string envelope = sealed_envelope(d, "finished to free a place");
        const std::string first = start_upload(server.port(), envelope.size());
        REQUIRE(status_of(first) == 201);
        CHECK(status_of(start_upload(server.port(), 5000)) == 201);
        const std::string third = start_upload(server.port(), 5000);
        CHECK(status_of(third) == 503);
        CHECK(error_code_of(third) == "uploads_busy");
        CHECK(std::stoi(header_of(third, "Retry-After")) > 0);
        // Finishing one frees its place.
        const std::string key = first.substr(first.find("\"upload\":\"") + 10, 32);
        const std::string path = "/api/v1/uploads/" + key;
        REQUIRE(status_of(raw_http(server.port(), "PUT " + path +
                                                      " HTTP/1.1\r\nHost: x\r\nUpload-Offset: 0\r\n"
                                                      "Content-Length: " +
                                                      std::to_string(envelope.size()) +
                                                      "\r\nConnection: close\r\n\r\n" +
                                                      envelope)) == 200);
        REQUIRE(status_of(raw_http(server.port(), "POST " + path +
                                                      "/finish HTTP/1.1\r\nHost: x\r\n"
                                                      "Connection: close\r\n\r\n")) == 201);
        CHECK(status_of(start_upload(server.port(), 5000)) == 201);
        CHECK(stored_tips(d.data) == 1);
    }
    SECTION("received bytes, not declared ones") {
        Deployment d(std::map<std::string, std::string>{{"pending_upload_bytes", "1048576"}});
        ServerProcess server(d.data);
        // Declaring costs nothing: two uploads declaring 800,000 bytes each both start.
        const std::string a = start_upload(server.port(), 800000);
        const std::string b = start_upload(server.port(), 800000);
        REQUIRE(status_of(a) == 201);
        REQUIRE(status_of(b) == 201);
        const auto put = [&](const std::string& started, std::size_t n) {
            const std::string key = started.substr(started.find("\"upload\":\"") + 10, 32);
            return raw_http(server.port(), "PUT /api/v1/uploads/" + key +
                                               " HTTP/1.1\r\nHost: x\r\nUpload-Offset: 0\r\n"
                                               "Content-Length: " +
                                               std::to_string(n) + "\r\nConnection: close\r\n\r\n" +
                                               std::string(n, 'u'));
        };
        CHECK(status_of(put(a, 600000)) == 200);
        // What they hold together is what counts.
        const std::string over = put(b, 600000);
        CHECK(status_of(over) == 503);
        CHECK(error_code_of(over) == "uploads_busy");
        CHECK(std::stoi(header_of(over, "Retry-After")) > 0);
        CHECK(status_of(put(b, 400000)) == 200);
        server.stop();
        const auto stats = run_command(tool("server/tiplined") + " stats " + q(d.data));
        CHECK(stats.out.find("unfinished upload bytes: 1000000\n") != std::string::npos);
        CHECK(stats.out.find("unfinished upload bytes declared: 1600000\n") != std::string::npos);
    }
    SECTION("starts per hour") {
        Deployment d({{"upload_burst", "2"}, {"uploads_per_hour", "1"}});
        ServerProcess server(d.data);
        CHECK(status_of(start_upload(server.port(), 5000)) == 201);
        CHECK(status_of(start_upload(server.port(), 5000)) == 201);
        const std::string third = start_upload(server.port(), 5000);
        CHECK(status_of(third) == 503);
        CHECK(error_code_of(third) == "uploads_busy");
        CHECK(std::stoi(header_of(third, "Retry-After")) >
              1000);  // one start an hour refills slowly
    }
}

TEST_CASE("an upload left idle is deleted with what it received, while a witness's upload goes on",
          "[flood][upload]") {
    Deployment d({{"upload_idle_s", "5"}, {"upload_chunk_bytes", "4096"}});
    ServerProcess server(d.data);
    const unsigned short port = server.port();
    // The attacker starts an upload, sends one chunk and stops.
    const std::string left = upload_key_of(start_upload(port, 50000));
    REQUIRE(left.size() == 32);
    REQUIRE(status_of(put_chunk(port, left, 0, std::string(4096, 'a'))) == 200);
    // The witness's upload sends a chunk a second, as a slow circuit would.
    const std::string envelope = sealed_envelope(d, std::string(120000, 'w'));
    const std::string mine = upload_key_of(start_upload(port, envelope.size()));
    REQUIRE(mine.size() == 32);
    std::size_t offset = 0;
    const auto send_next = [&] {
        const std::string chunk = envelope.substr(offset, 4096);
        REQUIRE(status_of(put_chunk(port, mine, offset, chunk)) == 200);
        offset += chunk.size();
    };
    bool gone = false;
    while (!gone && offset < envelope.size()) {
        send_next();
        std::this_thread::sleep_for(std::chrono::seconds(1));
        gone = upload_status(port, left) == 404;
    }
    CHECK(gone);  // the idle upload went while the witness's was still arriving
    CHECK(upload_status(port, mine) == 200);
    while (offset < envelope.size()) send_next();
    const std::string finished = raw_http(port, "POST /api/v1/uploads/" + mine +
                                                    "/finish HTTP/1.1\r\nHost: x\r\n"
                                                    "Connection: close\r\n\r\n");
    CHECK(status_of(finished) == 201);
    server.stop();
    const auto stats = run_command(tool("server/tiplined") + " stats " + q(d.data));
    CHECK(stats.out.find("tips: 1\n") != std::string::npos);
    CHECK(stats.out.find("unfinished uploads: 0\n") != std::string::npos);
    CHECK(stats.out.find("unfinished upload bytes: 0\n") != std::string::npos);
    const auto [ids, opened] = export_and_open(d, "after-idle");
    CHECK(ids.size() == 1);
    CHECK(opened == 1);
}

TEST_CASE("an upload's proof of work grows with the size it declares", "[flood][upload][pow]") {
    Deployment d(std::map<std::string, std::string>{{"pow_size_base_bytes", "65536"}});
    ServerProcess server(d.data);
    const unsigned short port = server.port();
    const auto start = [&](std::uint64_t length, const std::string& proof) {
        return raw_http(port, "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Length: " +
                                  std::to_string(length) + "\r\n" + proof +
                                  "Connection: close\r\n\r\n");
    };
    // Up to the base, the challenge's own bits do.
    CHECK(status_of(start(65536, proof_line(port))) == 201);
    // Four times the base and one byte: three bits more. A nonce that meets only the challenge's
    // bits is refused, says what it lacks, and stores nothing.
    const std::uint64_t length = 4 * 65536 + 1;
    const auto challenge = fetch_challenge(port);
    REQUIRE(challenge);
    const unsigned bits = crypto::pow_bits(*challenge);
    std::uint64_t nonce = 0;
    while (crypto::pow_zero_bits(*challenge, nonce) < bits ||
           crypto::pow_zero_bits(*challenge, nonce) >= bits + 3)
        ++nonce;
    const std::string weak = start(length, proof_header(*challenge, nonce));
    CHECK(status_of(weak) == 403);
    CHECK(error_code_of(weak) == "proof_too_weak_for_size");
    CHECK(weak.find("\"extra_bits\":3") != std::string::npos);
    // The same challenge solved for three bits more starts it.
    const std::string strong =
        start(length, proof_header(*challenge, *crypto::pow_solve(*challenge, 0, {}, 3)));
    CHECK(status_of(strong) == 201);
    // The keys and the challenge publish the rule.
    const std::string keys =
        raw_http(port, "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(keys.find("\"size_base_bytes\":65536") != std::string::npos);
    server.stop();
    const auto stats = run_command(tool("server/tiplined") + " stats " + q(d.data));
    CHECK(stats.out.find("unfinished uploads: 2\n") != std::string::npos);
}
