// Integration tests: the real tiplined over a real socket on 127.0.0.1, with the real tools around
// it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "server_process.hpp"
#include "support.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/keys.hpp"

using namespace tipline::test;
namespace fs = std::filesystem;
namespace crypto = tipline::crypto;

namespace {

// A whole POST /api/v1/tips, with a proof of work solved for the server on port.
std::string post(unsigned short port, const std::string& body,
                 const std::string& extra_headers = "") {
    return tip_request(body, proof_line(port) + extra_headers);
}

std::string tip_id(const std::string& reply) {
    std::smatch m;
    return std::regex_search(reply, m, std::regex("\\{\"id\":\"([0-9a-f]{32})\"\\}"))
               ? m[1].str()
               : std::string();
}

}  // namespace

TEST_CASE("keys endpoint lists the responders with strict headers and no Server header",
          "[server]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string reply = raw_http(
        server.port(), "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(status_of(reply) == 200);
    const Bytes pub = read_file(d.pub);
    CHECK(reply.find(std::string(pub.begin(), pub.end() - 1)) != std::string::npos);
    CHECK(reply.find("Cache-Control: no-store") != std::string::npos);
    CHECK(reply.find("Content-Security-Policy: default-src 'none'") != std::string::npos);
    CHECK(reply.find("\r\nServer:") == std::string::npos);
    CHECK(server.stop() == 0);
}

TEST_CASE("a tip sent with tipline-submit is exported and opens to the same message", "[server]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string marker = "unique-marker-7f3a9c 목격 증언";
    const auto sent = run_command(
        tool("client/tipline-submit") + " send --lang ko --server " + server.url(), marker);
    REQUIRE(sent.exit_code == 0);
    CHECK(std::regex_match(sent.out, std::regex("[0-9a-f]{32}\n")));

    // Invariant 1: no plaintext of a tip reaches disk on the server.
    CHECK_FALSE(folder_contains(d.data, "unique-marker-7f3a9c"));
    server.stop();
    CHECK_FALSE(folder_contains(d.data, "unique-marker-7f3a9c"));

    const auto [ids, opened] = export_and_open(d, "one");
    REQUIRE(ids.size() == 1);
    CHECK(*ids.begin() + "\n" == sent.out);
    CHECK(opened == 1);
    const fs::path folder = *fs::directory_iterator(d.dir / "one-opened");
    const Bytes msg = read_file(folder / "message.txt");
    CHECK(std::string(msg.begin(), msg.end()) == marker);
}

TEST_CASE("concurrent submissions are all stored and all decrypt", "[server]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string envelope = sealed_envelope(d, "concurrent");
    constexpr int threads = 8, per_thread = 25;
    std::mutex m;
    std::set<std::string> acked;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                const std::string id =
                    tip_id(raw_http(server.port(), post(server.port(), envelope)));
                std::lock_guard lock(m);
                if (!id.empty()) acked.insert(id);
            }
        });
    }
    for (auto& w : workers) w.join();
    CHECK(acked.size() == threads * per_thread);
    server.stop();
    const auto [ids, opened] = export_and_open(d, "many");
    CHECK(ids == acked);
    CHECK(opened == acked.size());
}

TEST_CASE("acknowledged tips survive kill -9 at any point and still decrypt", "[server][crash]") {
    Deployment d;
    const std::string envelope = sealed_envelope(d, "crash test");
    std::set<std::string> acked;
    for (int round = 0; round < 3; ++round) {
        ServerProcess server(d.data);
        std::atomic<bool> stop{false};
        std::mutex m;
        std::vector<std::thread> workers;
        for (int t = 0; t < 6; ++t) {
            workers.emplace_back([&] {
                while (!stop) {
                    const std::string id =
                        tip_id(raw_http(server.port(), post(server.port(), envelope),
                                        std::chrono::milliseconds(2000)));
                    std::lock_guard lock(m);
                    if (!id.empty()) acked.insert(id);
                }
            });
        }
        // A different kill point each round: after a different number of acknowledgements.
        const std::size_t target = acked.size() + 40 + static_cast<std::size_t>(round) * 37;
        for (int wait = 0; wait < 400; ++wait) {
            {
                std::lock_guard lock(m);
                if (acked.size() >= target) break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        server.kill_hard();
        stop = true;
        for (auto& w : workers) w.join();
    }
    REQUIRE(acked.size() >= 100);

    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((d.data / "tips.sqlite").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);

    const auto [ids, opened] = export_and_open(d, "after-crash");
    for (const std::string& id : acked) {
        INFO("acknowledged tip " << id);
        CHECK(ids.count(id) == 1);
    }
    CHECK(opened == ids.size());
}

TEST_CASE("hostile HTTP gets precise errors and the server keeps serving", "[server][hostile]") {
    Deployment d(
        {{"header_timeout_s", "1"}, {"inline_bytes", "65536"}, {"body_min_rate", "1000000"}});
    ServerProcess server(d.data);
    const unsigned short port = server.port();
    const std::string envelope = sealed_envelope(d, "hostile");

    CHECK(
        status_of(raw_http(
            port, "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n")) ==
        413);
    CHECK(status_of(raw_http(port, "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\n" + proof_line(port) +
                                       "Content-Length: 5\r\n"
                                       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")) == 400);
    CHECK(status_of(raw_http(port, "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\n" + proof_line(port) +
                                       "Content-Length: 5\r\n"
                                       "Content-Length: 5\r\n\r\nhello")) == 400);
    CHECK(status_of(raw_http(
              port, "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n")) ==
          501);
    CHECK(status_of(raw_http(port, "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nX-Flood: " +
                                       std::string(9000, 'a') + "\r\n\r\n")) == 431);
    CHECK(status_of(raw_http(port, "BREW /api/v1/keys HTTP/1.1\r\nHost: x\r\n\r\n")) == 501);
    CHECK(status_of(raw_http(port, "DELETE /api/v1/tips HTTP/1.1\r\nHost: x\r\n\r\n")) == 405);
    CHECK(status_of(raw_http(port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")) == 404);
    CHECK(status_of(raw_http(port, "GET http://evil/api/v1/keys HTTP/1.1\r\nHost: x\r\n\r\n")) ==
          400);
    CHECK(status_of(raw_http(port, "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\n\r\n")) == 411);
    CHECK(status_of(raw_http(port, "garbage\r\n\r\n")) == 400);

    // Slow headers and a slow body run into the read deadline.
    CHECK(status_of(raw_http(port, "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\n")) == 408);
    CHECK(status_of(raw_http(port,
                             "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\n" + proof_line(port) +
                                 "Content-Length: 60000\r\n\r\nabc",
                             std::chrono::milliseconds(10000))) == 408);

    const std::string truncated = envelope.substr(0, envelope.size() - 1);
    const std::string reply_truncated = raw_http(port, post(port, truncated));
    CHECK(status_of(reply_truncated) == 400);
    CHECK(reply_truncated.find("envelope_truncated") != std::string::npos);
    const std::string reply_garbage = raw_http(port, post(port, std::string(5000, 'x')));
    CHECK(status_of(reply_garbage) == 400);
    CHECK(reply_garbage.find("envelope_malformed") != std::string::npos);
    const std::string reply_trailing = raw_http(port, post(port, envelope + "x"));
    CHECK(reply_trailing.find("envelope_trailing_data") != std::string::npos);
    // No error page echoes the request.
    CHECK(raw_http(port, "GET /<script>echo HTTP/1.1\r\nHost: x\r\n\r\n").find("<script>") ==
          std::string::npos);

    CHECK(status_of(raw_http(
              port, "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 200);
    CHECK(!tip_id(raw_http(port, post(port, envelope))).empty());
}

TEST_CASE("over the storage quota new tips get 507 and stored ones stay", "[server]") {
    Deployment d(std::map<std::string, std::string>{{"quota_bytes", "10000"}});
    ServerProcess server(d.data);
    const std::string envelope = sealed_envelope(d, "quota");  // 4268 bytes
    const std::string first = tip_id(raw_http(server.port(), post(server.port(), envelope)));
    const std::string second = tip_id(raw_http(server.port(), post(server.port(), envelope)));
    const std::string third = raw_http(server.port(), post(server.port(), envelope));
    CHECK_FALSE(first.empty());
    CHECK_FALSE(second.empty());
    CHECK(status_of(third) == 507);
    CHECK(third.find("storage_full") != std::string::npos);
    server.stop();
    const auto [ids, opened] = export_and_open(d, "quota");
    CHECK(ids == std::set<std::string>{first, second});
    CHECK(opened == 2);
}

TEST_CASE("export refuses to replace a bundle and --delete-exported removes exactly what it wrote",
          "[server]") {
    Deployment d;
    {
        ServerProcess server(d.data);
        const std::string envelope = sealed_envelope(d, "export");
        raw_http(server.port(), post(server.port(), envelope));
        raw_http(server.port(), post(server.port(), envelope));
    }
    const std::string tiplined = tool("server/tiplined");
    auto first = run_command(tiplined + " export " + q(d.data) + " --out " + q(d.dir / "b") +
                             " --delete-exported");
    CHECK(first.exit_code == 0);
    CHECK(first.out.find("exported 2 items (2 tips and follow-ups, 0 replies)") !=
          std::string::npos);
    CHECK(first.out.find("deleted 2 exported tips and follow-ups from the server") !=
          std::string::npos);
    auto again = run_command(tiplined + " export " + q(d.data) + " --out " + q(d.dir / "b"));
    CHECK(again.exit_code == 2);
    CHECK(again.err.find("already exists") != std::string::npos);
    CHECK(stored_tips(d.data) == 0);
}

TEST_CASE("backup copies the database consistently while tips arrive, and the copy restores",
          "[server]") {
    Deployment d;
    const std::string tiplined = tool("server/tiplined");
    const fs::path copy = d.dir / "backup.sqlite";
    std::set<std::string> before;
    {
        ServerProcess server(d.data);
        const std::string envelope = sealed_envelope(d, "backup");
        for (int i = 0; i < 5; ++i)
            before.insert(tip_id(raw_http(server.port(), post(server.port(), envelope))));
        // Writers keep committing while the backup runs.
        std::atomic<bool> stop{false};
        std::thread writer([&] {
            while (!stop) raw_http(server.port(), post(server.port(), envelope));
        });
        const auto r = run_command(tiplined + " backup " + q(d.data) + " --out " + q(copy));
        stop = true;
        writer.join();
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("integrity_check ok") != std::string::npos);
        const auto again = run_command(tiplined + " backup " + q(d.data) + " --out " + q(copy));
        CHECK(again.exit_code == 2);
        CHECK(again.err.find("already exists") != std::string::npos);
    }
    CHECK((fs::status(copy).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    CHECK_FALSE(fs::exists(copy.string() + "-wal"));

    // Restoring is the config plus the copy in a new data directory.
    fs::rename(d.data, d.dir / "original");
    fs::create_directory(d.data);
    fs::copy_file(d.dir / "original" / "tiplined.conf", d.data / "tiplined.conf");
    fs::copy_file(copy, d.data / "tips.sqlite");
    const auto [ids, opened] = export_and_open(d, "restored");
    for (const std::string& id : before) CHECK(ids.count(id) == 1);
    CHECK(opened == ids.size());
    CHECK(ids.size() >= before.size());
}

TEST_CASE("tiplined refuses a non-loopback address unless told", "[server]") {
    Deployment d;
    auto r = run_command(tool("server/tiplined") + " serve " + q(d.data) + " --listen 0.0.0.0:0");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("not a loopback address") != std::string::npos);
}

TEST_CASE(
    "a tip too large for one request goes up as a resumable upload, with the proof of work its "
    "size asks for, and decrypts",
    "[server][upload]") {
    // 700,000 bytes past a base of 64 KiB: the client solves 4 bits more than the challenge.
    Deployment d({{"inline_bytes", "65536"},
                  {"upload_chunk_bytes", "65536"},
                  {"pow_size_base_bytes", "65536"}});
    ServerProcess server(d.data);
    const Bytes file = pattern_bytes(700000, 5);
    write_file(d.dir / "video.bin", file);
    const auto sent = run_command(tool("client/tipline-submit") + " send --server " + server.url() +
                                      " --file " + q(d.dir / "video.bin"),
                                  "large");
    REQUIRE(sent.exit_code == 0);
    server.stop();
    const auto [ids, opened] = export_and_open(d, "large");
    REQUIRE(ids.size() == 1);
    CHECK(*ids.begin() + "\n" == sent.out);
    const fs::path folder = *fs::directory_iterator(d.dir / "large-opened");
    CHECK(read_file(folder / "video.bin") == file);
}

TEST_CASE("a tip larger than the server stores is refused before it is sealed, and nothing is sent",
          "[server][upload]") {
    Deployment d({{"inline_bytes", "65536"}, {"envelope_bytes", "1048576"}});
    ServerProcess server(d.data);
    write_file(d.dir / "video.bin", pattern_bytes(2000000, 6));
    const auto sent = run_command(tool("client/tipline-submit") + " send --server " + server.url() +
                                      " --file " + q(d.dir / "video.bin"),
                                  "too large");
    CHECK(sent.exit_code == 2);
    CHECK(sent.err.find("too large for this tip line") != std::string::npos);
    CHECK(sent.err.find("the server stores at most 1.0 MB") != std::string::npos);
    CHECK(sent.out.empty());
    server.stop();
    const auto stats = run_command(tool("server/tiplined") + " stats " + q(d.data));
    CHECK(stats.out.find("tips: 0\n") != std::string::npos);
    CHECK(stats.out.find("unfinished uploads: 0\n") != std::string::npos);
}

TEST_CASE("a dropped chunk is not stored and the upload resumes from the durable offset",
          "[server][upload]") {
    Deployment d({{"header_timeout_s", "1"}, {"body_min_rate", "1000000"}});
    ServerProcess server(d.data);
    const unsigned short port = server.port();
    const std::string envelope = sealed_envelope(d, "resumed");
    const std::string created =
        raw_http(port, "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Length: " +
                           std::to_string(envelope.size()) + "\r\n" + proof_line(port) +
                           "Connection: close\r\n\r\n");
    REQUIRE(status_of(created) == 201);
    const std::string key = created.substr(created.find("\"upload\":\"") + 10, 32);
    const std::string path = "/api/v1/uploads/" + key;
    auto put = [&](std::size_t from, std::size_t to, std::size_t offset, std::size_t sent_bytes) {
        const std::string body = envelope.substr(from, to - from);
        return raw_http(port,
                        "PUT " + path +
                            " HTTP/1.1\r\nHost: x\r\nUpload-Offset: " + std::to_string(offset) +
                            "\r\nContent-Length: " + std::to_string(body.size()) +
                            "\r\nConnection: close\r\n\r\n" + body.substr(0, sent_bytes),
                        std::chrono::milliseconds(3000));
    };
    auto offset_now = [&] {
        const std::string s =
            raw_http(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        std::smatch m;
        return std::regex_search(s, m, std::regex("\"offset\":([0-9]+)")) ? std::stoul(m[1])
                                                                          : 999999UL;
    };
    put(0, 2000, 0, 1000);  // the connection gives out halfway through the chunk
    CHECK(offset_now() == 0);
    CHECK(status_of(put(0, 2000, 0, 2000)) == 200);
    CHECK(offset_now() == 2000);
    const std::string wrong = put(0, 2000, 0, 2000);
    CHECK(status_of(wrong) == 409);
    CHECK(wrong.find("\"offset\":2000") != std::string::npos);
    CHECK(status_of(put(2000, envelope.size(), 2000, envelope.size())) == 200);
    const std::string finished =
        raw_http(port, "POST " + path + "/finish HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(status_of(finished) == 201);
    server.stop();
    const auto [ids, opened] = export_and_open(d, "resumed");
    CHECK(ids.size() == 1);
    CHECK(opened == 1);
}

TEST_CASE("at the connection cap a newcomer is served and the longest-silent connection makes room",
          "[server][hostile]") {
    Deployment d(std::map<std::string, std::string>{{"max_connections", "4"}});
    ServerProcess server(d.data);
    const std::string keys = "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    std::vector<int> silent;
    for (int i = 0; i < 4; ++i) {
        silent.push_back(connect_to(server.port()));
        REQUIRE(silent.back() >= 0);
    }
    // Every silent connection is taken before the newcomers come.
    REQUIRE(eventually([&] { return accept_queue_empty(server.port()); }));
    // Each newcomer is answered; the server closed a silent one to make room, unanswered.
    for (int i = 0; i < 4; ++i) CHECK(status_of(raw_http(server.port(), keys)) == 200);
    const auto closed_by_server = [&] {
        int closed = 0;
        for (int fd : silent) {
            char byte;
            if (::recv(fd, &byte, 1, MSG_DONTWAIT) == 0) ++closed;
        }
        return closed;
    };
    CHECK(eventually([&] { return closed_by_server() >= 1; }));
    for (int fd : silent) ::close(fd);
    CHECK(status_of(raw_http(server.port(), keys)) == 200);
}

TEST_CASE("SIGTERM lets a request in flight finish before the server exits", "[server]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string envelope = sealed_envelope(d, "drain");
    const int fd = connect_to(server.port());
    REQUIRE(fd >= 0);
    const std::string head = "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                             std::to_string(envelope.size()) + "\r\n" + proof_line(server.port()) +
                             "\r\n";
    const std::string first = head + envelope.substr(0, 100);
    REQUIRE(::send(fd, first.data(), first.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(first.size()));
    // The server is reading the body when it is told to stop, and stops accepting before the rest.
    REQUIRE(eventually([&] { return server_has_read(server.port(), fd); }));
    ::kill(server.pid(), SIGTERM);
    REQUIRE(eventually([&] {
        const int probe = connect_to(server.port());
        if (probe >= 0) ::close(probe);
        return probe < 0;
    }));
    const std::string rest = envelope.substr(100);
    REQUIRE(::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(rest.size()));
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        reply.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    CHECK(status_of(reply) == 201);
    CHECK(reply.find("Connection: close") != std::string::npos);
    CHECK(server.stop() == 0);
    const auto [ids, opened] = export_and_open(d, "drain");
    CHECK(ids.size() == 1);
}

namespace {

// A connection that has had one keep-alive answer and now sits idle. Receives are bounded at 60 s,
// far beyond anything a test waits for, so a hang fails instead of blocking.
int idle_keep_alive_connection(unsigned short port) {
    const int fd = connect_to(port);
    REQUIRE(fd >= 0);
    const timeval bound{60, 0};
    REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound) == 0);
    const std::string keys = "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(::send(fd, keys.data(), keys.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(keys.size()));
    std::string reply;
    char buf[65536];
    while (reply.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        REQUIRE(n > 0);
        reply.append(buf, static_cast<std::size_t>(n));
    }
    CHECK(status_of(reply) == 200);
    CHECK(reply.find("Connection: close") == std::string::npos);  // kept alive
    return fd;
}

}  // namespace

TEST_CASE("SIGTERM closes idle keep-alive connections without waiting for the drain deadline",
          "[server]") {
    // Both timeouts far beyond the receive bound: only the drain itself can close the connection.
    Deployment d(std::map<std::string, std::string>{{"idle_timeout_s", "3600"},
                                                    {"drain_timeout_s", "3600"}});
    ServerProcess server(d.data);
    const int fd = idle_keep_alive_connection(server.port());
    ::kill(server.pid(), SIGTERM);
    char buf[4096];
    ssize_t n = 0;
    do {  // the rest of the keys body, then the end of the stream
        n = ::recv(fd, buf, sizeof buf, 0);
    } while (n > 0);
    const int recv_errno = errno;
    ::close(fd);
    CHECK(n == 0);  // closed by the server, not the 60 s receive bound (-1, EAGAIN)
    if (n < 0) INFO("recv: " << std::strerror(recv_errno));
    CHECK(server.stop() == 0);
}

TEST_CASE("SIGTERM answers 503 to a request that started arriving on an idle connection",
          "[server]") {
    Deployment d(std::map<std::string, std::string>{{"idle_timeout_s", "3600"},
                                                    {"drain_timeout_s", "3600"}});
    ServerProcess server(d.data);
    const int fd = idle_keep_alive_connection(server.port());
    // Half a request line: the session has data, so the drain answers instead of closing silently.
    const std::string partial = "GET /api/v1/ke";
    REQUIRE(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(partial.size()));
    REQUIRE(eventually([&] { return server_has_read(server.port(), fd); }));
    ::kill(server.pid(), SIGTERM);
    std::string rest;
    char buf[65536];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
        rest.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    const auto second = rest.find("HTTP/1.1 503");
    REQUIRE(second != std::string::npos);
    CHECK(rest.find("shutting_down", second) != std::string::npos);
    CHECK(server.stop() == 0);
}

TEST_CASE("on a full file system new tips get 507 and every stored tip stays", "[server][disk]") {
    Deployment d;
    const fs::path small = d.dir / "small";
    fs::create_directory(small);
    if (run_command("mount -t tmpfs -o size=2m tmpfs " + q(small)).exit_code != 0) {
        WARN("cannot mount a small tmpfs here (needs root); the quota test covers 507");
        return;
    }
    struct Unmount {
        fs::path p;
        ~Unmount() { run_command("umount '" + p.string() + "'"); }
    } unmount{small};
    fs::copy(d.data, small / "data", fs::copy_options::recursive);
    const Deployment& deployment = d;
    std::set<std::string> acked;
    int full = 0, other = 0;
    {
        ServerProcess server(small / "data");
        const std::string envelope = sealed_envelope(deployment, "disk");
        for (int i = 0; i < 2000 && full < 5; ++i) {
            const std::string reply = raw_http(server.port(), post(server.port(), envelope));
            const int status = status_of(reply);
            if (status == 201) {
                acked.insert(tip_id(reply));
            } else if (status == 507) {
                ++full;
            } else {
                ++other;
            }
        }
        CHECK(full == 5);
        CHECK(other == 0);
        CHECK(status_of(raw_http(
                  server.port(),
                  "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 200);
    }
    REQUIRE(acked.size() > 10);
    const fs::path bundle = d.dir / "disk.bundle";
    const auto exported = run_command(tool("server/tiplined") + " export " + q(small / "data") +
                                      " --out " + q(bundle));
    REQUIRE(exported.exit_code == 0);
    const auto opened =
        run_command(tool("client/tipline-responder") + " open " + q(bundle) + " --key " + q(d.key) +
                    " --passphrase-file " + q(d.pass) + " --out " + q(d.dir / "disk-opened"));
    CHECK(opened.exit_code == 0);
    CHECK(opened.out.find(std::to_string(acked.size()) + " opened, 0 for other keys, 0 damaged") !=
          std::string::npos);
}
