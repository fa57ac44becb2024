// Attack benchmark (bench/README.md): the witness's operations against the real tiplined, with
// circuit IDs on as deployed, first with no attack (the baseline) and then during each attack an
// attacker with one Tor client could make, in one run on 127.0.0.1. For each: latency of GET
// /api/v1/keys, of a solved tip, of reading the mailbox and of a submission and a check without
// JavaScript (p50 and p99, as ratios to the baseline), and what the attack cost the attacker per
// minute. Also the memory each held connection costs tiplined.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "bench_process.hpp"
#include "tipline/crypto/proof_of_work.hpp"
#include "tipline/crypto/receipt.hpp"

namespace {

using namespace tipline::bench;
namespace crypto = tipline::crypto;

constexpr std::uint32_t witness_circuit = 0xbeef0001;
constexpr unsigned circuit_connections = 16;
constexpr std::uint32_t attacker_uploads_circuit =
    0x500000;  // tiplined's default, and the torrc's MaxStreams

using Options = ServerBenchOptions;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

std::string proxy_line(std::uint32_t circuit) {
    char line[96];
    std::snprintf(line, sizeof line, "PROXY TCP6 fc00:dead:beef:4dad::%x:%x ::1 65535 80\r\n",
                  circuit >> 16, circuit & 0xffff);
    return line;
}

int connect_to(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// One request on a fresh connection of a circuit, read until the server closes it.
std::string exchange(unsigned short port, std::uint32_t circuit, const std::string& request,
                     std::uint64_t* bytes_sent = nullptr) {
    const int fd = connect_to(port);
    if (fd < 0) return {};
    const std::string all = proxy_line(circuit) + request;
    std::string answer;
    if (send_all(fd, all)) {
        timeval patience{120, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
        char buf[16384];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
            answer.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (bytes_sent) *bytes_sent += all.size();
    return answer;
}

int status_of(const std::string& raw) {
    return raw.size() > 12 && raw.starts_with("HTTP/1.1 ") ? std::stoi(raw.substr(9, 3)) : 0;
}

std::string body_of(const std::string& raw) {
    const auto at = raw.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : raw.substr(at + 4);
}

std::string get(const std::string& path) {
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
}

std::string multipart(const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& fields) {
    const std::string b = "BenchBoundary91";
    std::string body;
    for (const auto& [name, value] : fields) {
        body += "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
                value + "\r\n";
    }
    body += "--" + b + "--\r\n";
    return "POST " + path +
           " HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=" + b +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
}

std::string hex(std::span<const unsigned char> bytes) {
    std::string out(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
    out.pop_back();
    return out;
}

// The witness: a mailbox of its own, opened by its first tip, and a receipt from the form.
struct Witness {
    unsigned short port = 0;
    std::string envelope;
    std::string large;  // an envelope past inline_bytes, sent as a resumable upload
    mutable std::uint32_t uploads = 0;
    std::array<unsigned char, 32> mailbox{};
    std::array<unsigned char, 32> token{};
    std::string receipt;  // typed into the check form

    std::string proof(unsigned extra_bits = 0) const {
        const std::string raw = exchange(port, witness_circuit, get("/api/v1/challenge"));
        const std::regex field("\"challenge\":\"([^\"]+)\"");
        std::smatch m;
        const std::string body = body_of(raw);
        if (!std::regex_search(body, m, field)) throw Failure("no challenge: " + raw);
        const auto challenge = crypto::parse_pow_challenge(m[1].str());
        if (!challenge) throw Failure("a malformed challenge: " + m[1].str());
        return "Tipline-Proof: " +
               crypto::pow_proof_text(*challenge,
                                      *crypto::pow_solve(*challenge, 0, {}, extra_bits)) +
               "\r\n";
    }
    // The large envelope as an upload: start (with the proof its size asks), chunks of 1 MiB,
    // finish; the answer to the finish, or the first answer that went wrong.
    std::string upload() const {
        // Each on a circuit of its own, as a witness sends one large tip at a time: the circuit's
        // upload budget stays the default for the witness and the attacker alike.
        const std::uint32_t circuit = witness_circuit + ++uploads;
        const std::string started =
            exchange(port, circuit,
                     "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Length: " +
                         std::to_string(large.size()) + "\r\n" +
                         proof(crypto::pow_size_extra_bits(large.size(), size_base_bytes)) +
                         "Connection: close\r\n\r\n");
        std::smatch m;
        if (status_of(started) != 201 ||
            !std::regex_search(started, m, std::regex("\"upload\":\"([0-9a-f]{32})\"")))
            return started;
        const std::string path = "/api/v1/uploads/" + m[1].str();
        for (std::size_t at = 0; at < large.size(); at += chunk_bytes) {
            const std::string chunk = large.substr(at, chunk_bytes);
            const std::string put = exchange(
                port, circuit,
                "PUT " + path + " HTTP/1.1\r\nHost: x\r\nUpload-Offset: " + std::to_string(at) +
                    "\r\nContent-Length: " + std::to_string(chunk.size()) +
                    "\r\nConnection: close\r\n\r\n" + chunk);
            if (status_of(put) != 200) return put;
        }
        return exchange(
            port, circuit,
            "POST " + path + "/finish HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }
    static constexpr std::size_t chunk_bytes = 1 << 20;        // tiplined's default
    static constexpr std::uint64_t size_base_bytes = 1 << 20;  // tiplined's default
    std::string tip(const std::string& extra) const {
        return "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               std::to_string(envelope.size()) + "\r\n" + proof() + extra +
               "Connection: close\r\n\r\n" + envelope;
    }
    void open_mailbox() {
        randombytes_buf(mailbox.data(), mailbox.size());
        randombytes_buf(token.data(), token.size());
        const auto hash = crypto::hash_mailbox_token(token);
        const std::string opened =
            exchange(port, witness_circuit,
                     tip("Tipline-Mailbox: " + hex(mailbox) +
                         "\r\nTipline-Mailbox-Token-Hash: " + hex(hash) + "\r\n"));
        if (status_of(opened) != 201) throw Failure("the witness's first tip: " + opened);
        const std::string page =
            exchange(port, witness_circuit,
                     multipart("/en/submit", {{"message", "a form tip"}, {"language", "en"}}));
        std::smatch m;
        if (!std::regex_search(page, m, std::regex("<strong data-receipt>([0-9 ]{24})</strong>")))
            throw Failure("no receipt on the form's page: " + page.substr(0, 300));
        receipt = m[1].str();
    }
};

// Latencies of one witness operation, in ms.
struct Series {
    Series(const char* n, int status, std::function<std::string()> f)
        : name(n), expected(status), run(std::move(f)) {}
    const char* name;
    int expected;  // HTTP status
    std::function<std::string()> run;
    std::vector<double> ms;
    int failures = 0;
};

std::vector<Series> witness_operations(const Witness& w) {
    const std::string mailbox_get =
        "GET /api/v1/mailbox HTTP/1.1\r\nHost: x\r\nTipline-Mailbox: " + hex(w.mailbox) +
        "\r\nTipline-Mailbox-Token: " + hex(w.token) + "\r\nConnection: close\r\n\r\n";
    return {
        {"GET /api/v1/keys", 200,
         [&w] { return exchange(w.port, witness_circuit, get("/api/v1/keys")); }},
        {"send a tip (challenge, solve, POST)", 201,
         [&w] { return exchange(w.port, witness_circuit, w.tip("")); }},
        {"check the mailbox (API)", 200,
         [&w, mailbox_get] { return exchange(w.port, witness_circuit, mailbox_get); }},
        {"submit without JavaScript", 200,
         [&w] {
             return exchange(w.port, witness_circuit,
                             multipart("/en/submit", {{"message", "x"}, {"language", "en"}}));
         }},
        {"check without JavaScript", 200,
         [&w] {
             return exchange(w.port, witness_circuit,
                             multipart("/en/check", {{"receipt", w.receipt}}));
         }},
        {"send a 6 MiB tip (upload)", 201, [&w] { return w.upload(); }},
    };
}

// Runs each operation n times (keys 10n), interleaved.
std::vector<Series> measure(const Witness& w, int n) {
    auto series = witness_operations(w);
    for (int round = 0; round < n; ++round) {
        for (auto& s : series) {
            const int times = std::string_view(s.name) == "GET /api/v1/keys" ? 10 : 1;
            for (int i = 0; i < times; ++i) {
                const auto start = Clock::now();
                const std::string answer = s.run();
                s.ms.push_back(ms(Clock::now() - start));
                if (status_of(answer) != s.expected) ++s.failures;
            }
        }
    }
    return series;
}

// What an attack costs its maker while it runs.
struct Cost {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> accepted{0};  // what the server took, where that is the yield
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> connections{0};  // held at once
    std::uint64_t circuits = 0;
};

// An attack runs from start() until stop() while the witness's operations are measured.
struct Attack {
    const char* name;
    std::function<void(unsigned short port, Cost&, std::atomic<bool>& stop)> run;
};

// Threads that repeat one request on a fresh connection of their circuit.
void repeat(unsigned short port, Cost& cost, std::atomic<bool>& stop, unsigned threads,
            std::uint32_t first_circuit, std::uint32_t circuits,
            std::function<std::string(std::uint64_t)> request) {
    cost.circuits = circuits;
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (std::uint64_t i = t; !stop; i += threads) {
                std::uint64_t sent = 0;
                exchange(port, first_circuit + static_cast<std::uint32_t>(i % circuits), request(i),
                         &sent);
                ++cost.requests;
                cost.bytes += sent;
            }
        });
    }
    for (auto& t : pool) t.join();
}

// Threads that solve challenges and start uploads declaring the largest envelope, each with the
// proof its size asks for, and then send nothing: what starts the circuit's budget lets through is
// the attack's yield (cost.accepted).
void upload_starts(unsigned short port, Cost& cost, std::atomic<bool>& stop, unsigned threads,
                   std::uint32_t circuit) {
    cost.circuits = 1;
    const std::uint64_t length = 512ull << 20;
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            // The solving would run on the attacker's own machines; here it takes only the CPU
            // the server and the witness leave (Linux: the nice value is per thread).
            ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
            while (!stop) {
                std::uint64_t sent = 0;
                const std::string raw = exchange(port, circuit, get("/api/v1/challenge"), &sent);
                std::smatch m;
                const std::string body = body_of(raw);
                if (!std::regex_search(body, m, std::regex("\"challenge\":\"([0-9a-f]+)\"")))
                    continue;
                const auto challenge = crypto::parse_pow_challenge(m[1].str());
                if (!challenge) continue;
                const auto nonce = crypto::pow_solve(
                    *challenge, 0, [&](std::uint64_t) { return !stop.load(); },
                    crypto::pow_size_extra_bits(length, Witness::size_base_bytes));
                if (!nonce) break;
                const std::string started = exchange(
                    port, circuit,
                    "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Length: " +
                        std::to_string(length) +
                        "\r\nTipline-Proof: " + crypto::pow_proof_text(*challenge, *nonce) +
                        "\r\nConnection: close\r\n\r\n",
                    &sent);
                ++cost.requests;
                cost.bytes += sent;
                if (status_of(started) == 201) ++cost.accepted;
            }
        });
    }
    for (auto& t : pool) t.join();
}

// Connections that send a PROXY line (and optionally a request's start) and then nothing, spread
// over as many circuits as the per-circuit cap asks for, held until stop.
void hold(unsigned short port, Cost& cost, std::atomic<bool>& stop, unsigned n,
          const std::string& start) {
    cost.circuits = (n + circuit_connections - 1) / circuit_connections;
    std::vector<int> fds;
    for (unsigned i = 0; i < n && !stop; ++i) {
        const int fd = connect_to(port);
        if (fd < 0) continue;
        const std::string first = proxy_line(0x100000 + i / circuit_connections) + start;
        send_all(fd, first);
        cost.bytes += first.size();
        fds.push_back(fd);
        ++cost.connections;
    }
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (int fd : fds) ::close(fd);
}

void print_row(const Series& s, const Series* base) {
    const double p50 = percentile(s.ms, 0.5), p99 = percentile(s.ms, 0.99);
    std::printf("    %-36s n=%-4zu p50 %8.1f ms  p99 %8.1f ms", s.name, s.ms.size(), p50, p99);
    if (base && percentile(base->ms, 0.5) > 0)
        std::printf("   (%.2fx, %.2fx the baseline)", p50 / percentile(base->ms, 0.5),
                    p99 / percentile(base->ms, 0.99));
    if (s.failures) std::printf("   %d FAILED", s.failures);
    std::printf("\n");
}

rlim_t raise_open_files() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

int run(const Options& o) {
    const rlim_t files = raise_open_files();
    const unsigned held =
        o.quick ? 1000 : static_cast<unsigned>(std::min<rlim_t>(10000, files - 500));
    TempDir tmp(o.tmp, false);
    const fs::path& dir = tmp.path();
    Witness w;
    w.envelope = prepare_deployment(o.tiplined, o.tools, dir, "a real tip\n");
    {
        std::string photo(6 << 20, '\0');
        randombytes_buf(photo.data(), photo.size());
        write_file(dir / "photo.bin", photo);
        run_tool({(o.tools / "tipline-submit").string(), "seal", "--to", (dir / "K.pub").string(),
                  "--file", (dir / "photo.bin").string()},
                 dir / "tip.txt", dir / "L", dir / "seal-large.err");
        w.large = read_file(dir / "L", 64 << 20);
    }
    const fs::path conf = dir / "data" / "tiplined.conf";
    set_config_value(conf, "circuit_ids", "true");
    set_config_value(conf, "pow_bits",
                     "12");  // the witness solves quickly; the same in every phase
    set_config_value(conf, "pow_target_per_minute", "100000");
    set_config_value(conf, "header_timeout_s", "300");  // held connections stay for the run
    // The witness submits far more forms here than anyone would; its latency is measured, not
    // its circuit's budget.
    set_config_value(conf, "web_form_burst", "100000");
    // The default, set here so that the witness's proofs and the server's agree: the witness's
    // 6 MiB tip asks 3 bits more than a small one.
    set_config_value(conf, "pow_size_base_bytes", std::to_string(Witness::size_base_bytes));
    // Each round stores one of the witness's large tips: more than init's quota may allow on a
    // small disk.
    set_config_value(conf, "quota_bytes", "0");
    Tiplined server(o.tiplined, dir / "data", dir / "tiplined.log");
    w.port = server.port();
    w.open_mailbox();

    const int n = o.quick ? 3 : 20;
    const unsigned flooders = 8;
    const std::string wrong_mailbox =
        "GET /api/v1/mailbox HTTP/1.1\r\nHost: x\r\nTipline-Mailbox: " + std::string(64, 'a') +
        "\r\nTipline-Mailbox-Token: " + std::string(64, 'b') + "\r\nConnection: close\r\n\r\n";
    const std::vector<Attack> attacks{
        {"held connections: silent, after the PROXY line",
         [&](unsigned short port, Cost& c, std::atomic<bool>& stop) {
             hold(port, c, stop, held, "");
         }},
        {"held connections: web-form posts declaring 16 MiB, then silent",
         [&](unsigned short port, Cost& c, std::atomic<bool>& stop) {
             hold(port, c, stop, o.quick ? 200 : 1000,
                  "POST /en/submit HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                  "boundary=x\r\nContent-Length: 16777216\r\n\r\n");
         }},
        {"checks without JavaScript, wrong receipts, 8 threads on one circuit",
         [&](unsigned short port, Cost& c, std::atomic<bool>& stop) {
             repeat(port, c, stop, flooders, 0x200000, 1, [](std::uint64_t) {
                 return multipart("/en/check", {{"receipt", "1111 2222 3333 4444 5555"}});
             });
         }},
        {"checks without JavaScript, wrong receipts, 8 threads on 8 circuits",
         [&](unsigned short port, Cost& c, std::atomic<bool>& stop) {
             repeat(port, c, stop, flooders, 0x300000, 8, [](std::uint64_t) {
                 return multipart("/en/check", {{"receipt", "1111 2222 3333 4444 5555"}});
             });
         }},
        {"upload starts declaring 512 MiB, solved, 8 threads on one circuit",
         [&](unsigned short port, Cost& c, std::atomic<bool>& stop) {
             upload_starts(port, c, stop, flooders, attacker_uploads_circuit);
         }},
        {"wrong mailbox tokens, 8 threads on one circuit",
         [&](unsigned short port, Cost& c, std::atomic<bool>& stop) {
             repeat(port, c, stop, flooders, 0x400000, 1,
                    [&](std::uint64_t) { return wrong_mailbox; });
         }},
    };

    std::printf("tipline attack benchmark (%s mode): tiplined with circuit_ids, pow_bits 12\n",
                o.quick ? "quick" : "full");
    const std::uint64_t rss_before = server.rss_kib();
    std::vector<Series> baseline = measure(w, n);
    std::printf("\n  no attack (the baseline):\n");
    for (const auto& s : baseline) print_row(s, nullptr);
    int failed = 0;
    for (const auto& s : baseline) failed += s.failures;

    for (const Attack& attack : attacks) {
        Cost cost;
        std::atomic<bool> stop{false};
        std::thread attacker([&] { attack.run(w.port, cost, stop); });
        // Held connections are all open before the witness begins; floods run a moment first.
        const auto settle = Clock::now() + std::chrono::seconds(120);
        if (attack.name[0] == 'h') {
            while (cost.connections.load() < 100 && Clock::now() < settle)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        const std::uint64_t requests_before = cost.requests, bytes_before = cost.bytes,
                            accepted_before = cost.accepted;
        const std::uint64_t rss_under = server.rss_kib();
        const auto start = Clock::now();
        const std::vector<Series> during = measure(w, n);
        const double minutes = std::chrono::duration<double>(Clock::now() - start).count() / 60;
        const std::uint64_t requests = cost.requests - requests_before;
        const std::uint64_t bytes = cost.bytes - bytes_before;
        const std::uint64_t accepted = cost.accepted - accepted_before;
        stop = true;
        attacker.join();
        std::printf("\n  during: %s\n", attack.name);
        for (std::size_t i = 0; i < during.size(); ++i) print_row(during[i], &baseline[i]);
        if (cost.connections) {
            const double per = static_cast<double>(rss_under - rss_before) /
                               static_cast<double>(cost.connections.load());
            std::printf(
                "    attacker: %llu connections held on %llu circuits, %.1f KiB sent in all; "
                "tiplined's resident memory grew %.1f MiB: %.1f KiB a connection, %.0f "
                "connections a MiB\n",
                static_cast<unsigned long long>(cost.connections.load()),
                static_cast<unsigned long long>(cost.circuits),
                static_cast<double>(cost.bytes.load()) / 1024,
                static_cast<double>(rss_under - rss_before) / 1024, per, per > 0 ? 1024 / per : 0);
        } else {
            std::printf(
                "    attacker: %.0f requests a minute, %.1f MiB sent a minute, on %llu "
                "circuit(s)",
                static_cast<double>(requests) / minutes,
                static_cast<double>(bytes) / minutes / 1048576,
                static_cast<unsigned long long>(cost.circuits));
            if (accepted)
                std::printf("; %.1f taken a minute", static_cast<double>(accepted) / minutes);
            std::printf("\n");
        }
        for (const auto& s : during) failed += s.failures;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));  // closed connections go
    }
    server.stop();
    if (failed) {
        std::printf("\n%d witness operations FAILED\n", failed);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (sodium_init() < 0) return 1;
    Options o;
    if (const auto stop = parse_server_bench_options(argc, argv, "tipline-bench-attacks", o))
        return *stop;
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tipline-bench-attacks: %s\n", e.what());
        return 1;
    }
}
