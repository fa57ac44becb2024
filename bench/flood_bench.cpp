// Flood benchmark (bench/README.md): what a proof of work costs a client here, against raw BLAKE2b,
// and how long the real tiplined takes to accept a solved tip with and without a flood of
// unsolved, garbage and stalled submissions, in one run on 127.0.0.1.
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_process.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/proof_of_work.hpp"

namespace {

using namespace tipline::bench;
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace crypto = tipline::crypto;
using tcp = asio::ip::tcp;

constexpr unsigned normal_bits = 18;  // tiplined's default pow_bits
constexpr unsigned flood_threads = 4;
constexpr unsigned stalled_connections = 200;  // under the default max_connections of 512
constexpr auto hash_window = std::chrono::milliseconds(1000);
constexpr std::uint64_t max_flood_requests = 50'000'000;

using Options = ServerBenchOptions;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

// Calls of f a second over about hash_window.
template <typename F>
double calls_per_second(F&& f) {
    std::uint64_t calls = 0;
    const auto start = Clock::now();
    while (Clock::now() - start < hash_window) {
        for (int i = 0; i < 4096; ++i) f(calls++);
    }
    return static_cast<double>(calls) / std::chrono::duration<double>(Clock::now() - start).count();
}

crypto::PowChallenge random_challenge(unsigned bits) {
    crypto::PowChallenge c{};
    randombytes_buf(c.data(), c.size());
    c[0] = crypto::pow_version;
    c[1] = static_cast<unsigned char>(bits);
    return c;
}

void client_cost(bool quick) {
    const auto c = random_challenge(normal_bits);
    std::array<unsigned char, 56> input{};
    randombytes_buf(input.data(), input.size());
    std::array<unsigned char, 32> hash{};
    const double raw = calls_per_second([&](std::uint64_t n) {
        input[55] = static_cast<unsigned char>(n);
        crypto_generichash(hash.data(), hash.size(), input.data(), input.size(), nullptr, 0);
    });
    volatile unsigned sink = 0;
    const double tries =
        calls_per_second([&](std::uint64_t n) { sink = sink + crypto::pow_zero_bits(c, n); });
    const int solves = quick ? 8 : 40;
    std::vector<double> times;
    for (int i = 0; i < solves; ++i) {
        const auto challenge = random_challenge(normal_bits);
        const auto start = Clock::now();
        if (!crypto::pow_solve(challenge)) throw Failure("the solver gave up");
        times.push_back(ms(Clock::now() - start));
    }
    double mean = 0;
    for (double t : times) mean += t / static_cast<double>(times.size());
    std::printf("client cost, one core of this machine:\n");
    std::printf("  raw BLAKE2b-256 of 56 bytes (baseline)   %10.0f calls/s\n", raw);
    std::printf("  proof-of-work tries                      %10.0f tries/s   %.2fx the baseline\n",
                tries, tries / raw);
    std::printf(
        "  solving %u bits, %d challenges          mean %.0f ms, median %.0f ms, p95 %.0f ms\n",
        normal_bits, solves, mean, percentile(times, 0.5), percentile(times, 0.95));
}

// One HTTP/1.1 exchange on a fresh connection, parsed by Beast.
http::response<http::string_body> exchange(unsigned short port,
                                           http::request<http::string_body> req) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    req.set(http::field::host, "127.0.0.1");
    req.prepare_payload();
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res;
}

struct Acceptance {
    double total_ms;  // challenge, solve and POST
    double post_ms;   // the POST alone: the server's share
};

Acceptance accept_one(unsigned short port, const std::string& envelope) {
    const auto start = Clock::now();
    const auto answer = exchange(port, {http::verb::get, "/api/v1/challenge", 11});
    const auto json = boost::json::parse(answer.body()).as_object();
    const auto challenge =
        crypto::parse_pow_challenge(std::string(json.at("challenge").as_string()));
    if (!challenge) throw Failure("tiplined sent no challenge: " + answer.body());
    const std::string proof = crypto::pow_proof_text(*challenge, *crypto::pow_solve(*challenge));
    http::request<http::string_body> post{http::verb::post, "/api/v1/tips", 11};
    post.set(http::field::content_type, "application/octet-stream");
    post.set("Tipline-Proof", proof);
    post.body() = envelope;
    const auto sent = Clock::now();
    const auto res = exchange(port, std::move(post));
    const auto done = Clock::now();
    if (res.result() != http::status::created) {
        throw Failure("a solved tip got " + std::to_string(res.result_int()) + ": " + res.body());
    }
    return {ms(done - start), ms(done - sent)};
}

std::vector<Acceptance> accept_many(unsigned short port, const std::string& envelope, int n) {
    std::vector<Acceptance> out;
    for (int i = 0; i < n; ++i) out.push_back(accept_one(port, envelope));
    return out;
}

// Garbage a flooder sends without solving anything: each on a fresh connection, read to the end.
std::string flood_request(std::uint64_t i, const std::string& envelope,
                          const crypto::PowChallenge& c) {
    const std::string head = "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\nContent-Length: ";
    switch (i % 4) {
        case 0:
            return head + std::to_string(envelope.size()) + "\r\n\r\n" + envelope;
        case 1:
            return head + std::to_string(envelope.size()) +
                   "\r\nTipline-Proof: " + crypto::pow_proof_text(c, i) + "\r\n\r\n" + envelope;
        case 2:
            return head + "4000\r\nTipline-Proof: nonsense\r\n\r\n" + std::string(4000, 'x');
        default:
            return std::string(300, '\x01') + "\r\n\r\n";
    }
}

struct FloodResult {
    std::vector<Acceptance> accepted;
    std::uint64_t requests = 0;
    double seconds = 0;
};

FloodResult under_flood(unsigned short port, const std::string& envelope, int n) {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> requests{0};
    // A challenge from another server: refused as stale, after its hash is checked.
    const auto foreign = random_challenge(normal_bits);
    asio::io_context io;
    std::vector<std::unique_ptr<tcp::socket>> stalled;
    for (unsigned i = 0; i < stalled_connections; ++i) {
        auto s = std::make_unique<tcp::socket>(io);
        s->connect({asio::ip::make_address("127.0.0.1"), port});
        const std::string partial = "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\n";
        asio::write(*s, asio::buffer(partial));
        stalled.push_back(std::move(s));
    }
    std::vector<std::thread> flood;
    for (unsigned t = 0; t < flood_threads; ++t) {
        flood.emplace_back([&, t] {
            asio::io_context own;
            for (std::uint64_t i = t; !stop && i < max_flood_requests; i += flood_threads) {
                boost::system::error_code ec;
                tcp::socket s(own);
                s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
                if (ec) continue;
                asio::write(s, asio::buffer(flood_request(i, envelope, foreign)), ec);
                std::array<char, 4096> sink{};
                while (!ec) s.read_some(asio::buffer(sink), ec);
                ++requests;
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the flood build up
    const std::uint64_t before = requests;
    const auto start = Clock::now();
    FloodResult r;
    r.accepted = accept_many(port, envelope, n);
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.requests = requests - before;
    stop = true;
    for (auto& t : flood) t.join();
    return r;
}

void print_acceptances(const char* name, const std::vector<Acceptance>& a) {
    std::vector<double> total, post;
    for (const auto& x : a) total.push_back(x.total_ms), post.push_back(x.post_ms);
    std::printf(
        "  %-26s median %6.0f ms, p95 %6.0f ms   POST alone: median %6.1f ms, p95 %6.1f ms\n", name,
        percentile(total, 0.5), percentile(total, 0.95), percentile(post, 0.5),
        percentile(post, 0.95));
}

void acceptance_during_flood(const Options& o) {
    TempDir tmp(o.tmp, false);
    const fs::path& dir = tmp.path();
    const std::string envelope = prepare_deployment(o.tiplined, o.tools, dir, "a real tip\n");
    // The benchmark's own tips must not raise the difficulty between the two phases.
    set_config_value(dir / "data" / "tiplined.conf", "pow_target_per_minute", "100000");
    Tiplined server(o.tiplined, dir / "data", dir / "tiplined.log");

    const int n = o.quick ? 5 : 20;
    accept_one(server.port(), envelope);  // warm up
    const auto quiet = accept_many(server.port(), envelope, n);
    const FloodResult flood = under_flood(server.port(), envelope, n);
    std::printf(
        "\na solved tip (%u bits) against the real tiplined, %d tips each, one at a time:\n",
        normal_bits, n);
    print_acceptances("no flood (baseline)", quiet);
    print_acceptances("during the flood", flood.accepted);
    std::vector<double> quiet_post, flood_post, quiet_total, flood_total;
    for (const auto& x : quiet) quiet_post.push_back(x.post_ms), quiet_total.push_back(x.total_ms);
    for (const auto& x : flood.accepted)
        flood_post.push_back(x.post_ms), flood_total.push_back(x.total_ms);
    std::printf(
        "  the flood: %u threads of unsolved, forged and garbage submissions, each on a new "
        "connection,\n"
        "  %.0f refused a second, and %u stalled connections held open\n",
        flood_threads, static_cast<double>(flood.requests) / flood.seconds, stalled_connections);
    std::printf("  ratio during/baseline: whole acceptance %.2fx, POST alone %.2fx (medians)\n",
                percentile(flood_total, 0.5) / percentile(quiet_total, 0.5),
                percentile(flood_post, 0.5) / percentile(quiet_post, 0.5));
    server.stop();
}

}  // namespace

int main(int argc, char** argv) {
    if (sodium_init() < 0) return 1;
    Options o;
    if (const auto stop = parse_server_bench_options(argc, argv, "tipline-bench-flood", o))
        return *stop;
    try {
        std::printf("tipline flood benchmark (%s mode)\n", o.quick ? "quick" : "full");
        client_cost(o.quick);
        acceptance_during_flood(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tipline-bench-flood: %s\n", e.what());
        return 1;
    }
    return 0;
}
