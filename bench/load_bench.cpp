// Load benchmark (bench/README.md): the real tiplined under closed-loop keep-alive POSTs of a
// sealed envelope, against an HTTP ceiling (a minimal Beast server that stores nothing) and a
// storage ceiling (raw SQLite group commit, WAL, synchronous=FULL), all in one run on 127.0.0.1.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/version.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_process.hpp"

namespace {

using namespace tipline::bench;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Every loop is bounded by a deadline and by one of these counts.
constexpr std::uint64_t max_requests_per_run = 20'000'000;
constexpr unsigned max_opens_per_connection = 1000;
constexpr std::uint64_t max_rows_per_run = 50'000'000;
constexpr std::uint64_t max_accepts = 1'000'000;
constexpr std::size_t response_buffer_bytes = 64 * 1024;
constexpr std::size_t max_body_bytes = 4 * 1024 * 1024;
constexpr auto drain_limit =
    std::chrono::seconds(10);  // for requests still in flight when the window closes
constexpr std::size_t read_reserve = 64 * 1024;   // as tiplined's sessions
constexpr unsigned checkpoint_interval_ms = 250;  // as tiplined's IngestLimits
constexpr std::size_t envelope_size = 4268;       // the smallest padded envelope
constexpr double p99_target_ms = 10.0;
constexpr double storage_ratio_target = 0.6;
constexpr double noise_warning_cores = 0.2;  // "other" CPU above this in any row: warn

[[gnu::format(printf, 1, 2)]] std::string format(const char* f, ...) {
    std::array<char, 1024> buf{};
    va_list ap;
    va_start(ap, f);
    const int n = std::vsnprintf(buf.data(), buf.size(), f, ap);
    va_end(ap);
    if (n < 0) return {};
    return std::string(buf.data(), std::min(static_cast<std::size_t>(n), buf.size() - 1));
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string thread_stat(pid_t tid) { return "/proc/self/task/" + std::to_string(tid) + "/stat"; }

double thread_cpu_now() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Busy CPU seconds of the whole machine (all CPUs, every process), from the first line of
// /proc/stat.
double machine_busy_seconds() {
    std::istringstream in(read_file("/proc/stat", 4096));
    std::string cpu;
    in >> cpu;
    double busy = 0;
    unsigned long long v = 0;
    for (int i = 0; i < 8 && (in >> v); ++i) {  // user nice system idle iowait irq softirq steal
        if (i != 3 && i != 4) busy += static_cast<double>(v);
    }
    return busy / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// ---------------------------------------------------------------------------------------------------------------
// Baseline A: a minimal Beast server that reads each request and answers 204, storing nothing.

class HttpCeiling {
  public:
    explicit HttpCeiling(unsigned threads) : io_(static_cast<int>(threads)), acceptor_(io_) {
        const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(asio::socket_base::max_listen_connections);
        port_ = acceptor_.local_endpoint().port();
        asio::co_spawn(io_, accept_loop(), asio::detached);
        tids_ = std::vector<std::atomic<pid_t>>(threads);
        for (unsigned i = 0; i < threads; ++i) {
            threads_.emplace_back([this, i] {
                tids_[i] = ::gettid();
                io_.run();
            });
        }
    }
    ~HttpCeiling() {
        io_.stop();
        for (auto& t : threads_) t.join();
    }
    HttpCeiling(const HttpCeiling&) = delete;
    HttpCeiling& operator=(const HttpCeiling&) = delete;

    unsigned short port() const { return port_; }
    double cpu_seconds() const {
        double total = 0;
        for (const auto& tid : tids_) {
            const pid_t t = tid.load();
            if (t != 0) total += ::cpu_seconds(thread_stat(t));
        }
        return total;
    }

  private:
    asio::awaitable<void> accept_loop() {
        for (std::uint64_t i = 0; i < max_accepts; ++i) {
            auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
            if (ec) continue;
            asio::co_spawn(asio::make_strand(io_), session(std::move(socket)), asio::detached);
        }
    }

    static asio::awaitable<void> session(tcp::socket socket) {
        beast::flat_buffer buffer;
        buffer.reserve(read_reserve);
        for (std::uint64_t served = 0; served < max_requests_per_run; ++served) {
            http::request_parser<http::vector_body<unsigned char>> parser;
            parser.body_limit(max_body_bytes);
            auto [ec, n] = co_await http::async_read(socket, buffer, parser, use_tuple);
            if (ec) break;
            http::response<http::empty_body> res{http::status::no_content, parser.get().version()};
            res.keep_alive(parser.get().keep_alive());
            auto [write_ec, written] = co_await http::async_write(socket, res, use_tuple);
            if (write_ec || !res.keep_alive()) break;
        }
        error_code ignored;
        socket.shutdown(tcp::socket::shutdown_send, ignored);
    }

    asio::io_context io_;
    tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::vector<std::atomic<pid_t>> tids_;
    std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------------------------------------------------------
// Load generator: closed loop, keep-alive HTTP/1.1. Each connection sends the next POST when the
// previous response is complete. Connections are shared out over a few client threads, each with
// its own io_context.

struct Window {
    Clock::time_point start;  // end of warm-up
    Clock::time_point end;    // no new requests after this
    Clock::time_point hard;   // requests still in flight are abandoned
};

struct LoadResult {
    unsigned connections = 0;
    double window_s = 0;
    std::uint64_t in_window = 0;  // expected answers completed inside the window
    std::uint64_t answered = 0;   // expected answers at any time, warm-up and drain included
    std::uint64_t sent = 0;
    std::uint64_t abandoned = 0;
    std::uint64_t errors = 0;
    std::map<std::string, std::uint64_t> error_kinds;
    std::vector<std::int64_t> latency_ns;  // sorted
    double server_cores = 0;
    double client_cores = 0;
    double other_cores = 0;  // everything else on the machine: noise

    double rate() const { return window_s > 0 ? static_cast<double>(in_window) / window_s : 0; }
    double percentile_ms(double p) const {
        if (latency_ns.empty()) return 0;
        const auto rank =
            static_cast<std::size_t>(std::ceil(p * static_cast<double>(latency_ns.size())));
        return static_cast<double>(
                   latency_ns[std::clamp<std::size_t>(rank, 1, latency_ns.size()) - 1]) /
               1e6;
    }
};

struct ParsedResponse {
    int status = 0;
    std::size_t content_length = 0;
    bool close = false;
};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
        if (std::tolower(x) != std::tolower(y)) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The status line and header fields, up to and including the CRLF of the last field.
bool parse_head(std::string_view head, ParsedResponse& r) {
    if (head.size() < 14 || head.substr(0, 5) != "HTTP/" || head[8] != ' ') return false;
    r.status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (head[i] < '0' || head[i] > '9') return false;
        r.status = r.status * 10 + (head[i] - '0');
    }
    r.close = head.substr(5, 3) == "1.0";
    bool has_length = false;
    std::size_t at = head.find("\r\n");
    if (at == std::string_view::npos) return false;
    at += 2;
    while (at < head.size()) {  // bounded: at advances every time
        const auto eol = head.find("\r\n", at);
        if (eol == std::string_view::npos) return false;
        const std::string_view line = head.substr(at, eol - at);
        at = eol + 2;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return false;
        const std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
        if (iequals(name, "content-length")) {
            if (value.empty() || value.size() > 9) return false;
            std::size_t n = 0;
            for (char c : value) {
                if (c < '0' || c > '9') return false;
                n = n * 10 + static_cast<std::size_t>(c - '0');
            }
            r.content_length = n;
            has_length = true;
        } else if (iequals(name, "connection")) {
            if (iequals(value, "close")) r.close = true;
            if (iequals(value, "keep-alive")) r.close = false;
        } else if (iequals(name, "transfer-encoding")) {
            return false;  // neither server under test sends chunked responses
        }
    }
    return has_length || r.status == 204 || r.status == 304 || r.status < 200;
}

class Worker;

class Connection {
  public:
    explicit Connection(Worker& w);
    void start();
    bool busy() const { return busy_; }
    void close() {
        error_code ignored;
        socket_.close(ignored);
    }

  private:
    bool open();
    void next();
    void read();
    void parse();
    void failed(const std::string& what, const error_code& ec);
    void protocol_error(const std::string& what);
    void finish();

    Worker& w_;
    tcp::socket socket_;
    std::vector<char> buf_ = std::vector<char>(response_buffer_bytes);
    std::size_t filled_ = 0;
    Clock::time_point sent_at_{};
    bool busy_ = false;
    bool finished_ = false;
    unsigned opens_ = 0;
};

class Worker {
  public:
    Worker(tcp::endpoint endpoint, std::span<const asio::const_buffer, 2> request, int expected,
           Window window, unsigned connections)
        : endpoint_(endpoint), expected_(expected), window_(window), connections_(connections) {
        std::copy(request.begin(), request.end(), request_.begin());
    }

    void run() {
        latency_ns_.reserve(1 << 20);
        for (unsigned i = 0; i < connections_; ++i)
            conns_.push_back(std::make_unique<Connection>(*this));
        window_start_.expires_at(window_.start);
        window_start_.async_wait([this](const error_code& ec) {
            if (!ec) cpu_start_ = thread_cpu_now();
        });
        window_end_.expires_at(window_.end);
        window_end_.async_wait([this](const error_code& ec) {
            if (!ec) cpu_end_ = thread_cpu_now();
        });
        deadline_.expires_at(window_.hard);
        deadline_.async_wait([this](const error_code& ec) {
            if (ec) return;
            stopping_ = true;
            for (auto& c : conns_) {
                if (c->busy()) ++abandoned_;
                c->close();
            }
        });
        active_ = connections_;
        for (auto& c : conns_) c->start();
        io_.run();
        if (cpu_start_ < 0) cpu_start_ = thread_cpu_now();
        if (cpu_end_ < 0) cpu_end_ = thread_cpu_now();
        conns_.clear();
    }

    // CPU seconds of this client thread inside the window.
    double window_cpu() const { return cpu_end_ - cpu_start_; }

    void merge_into(LoadResult& r) const {
        r.in_window += in_window_;
        r.answered += answered_;
        r.sent += sent_;
        r.abandoned += abandoned_;
        r.errors += errors_;
        for (const auto& [k, v] : error_kinds_) r.error_kinds[k] += v;
        r.latency_ns.insert(r.latency_ns.end(), latency_ns_.begin(), latency_ns_.end());
    }

  private:
    friend class Connection;

    void error(const std::string& kind) {
        ++errors_;
        ++error_kinds_[kind];
    }
    void connection_done() {
        if (--active_ != 0) return;
        deadline_.cancel();
        window_start_.cancel();
        window_end_.cancel();
    }

    asio::io_context io_{1};
    asio::steady_timer deadline_{io_};
    asio::steady_timer window_start_{io_};
    asio::steady_timer window_end_{io_};
    double cpu_start_ = -1, cpu_end_ = -1;
    tcp::endpoint endpoint_;
    std::array<asio::const_buffer, 2> request_{};
    int expected_;
    Window window_;
    unsigned connections_;
    std::vector<std::unique_ptr<Connection>> conns_;
    unsigned active_ = 0;
    bool stopping_ = false;
    std::uint64_t in_window_ = 0, answered_ = 0, sent_ = 0, abandoned_ = 0, errors_ = 0;
    std::map<std::string, std::uint64_t> error_kinds_;
    std::vector<std::int64_t> latency_ns_;
};

Connection::Connection(Worker& w) : w_(w), socket_(w.io_) {}

void Connection::start() {
    if (open()) {
        next();
    } else {
        finish();
    }
}

bool Connection::open() {
    error_code ec;
    socket_.close(ec);
    if (++opens_ > max_opens_per_connection) {
        w_.error("too many reconnects");
        return false;
    }
    socket_.connect(w_.endpoint_, ec);
    if (ec) {
        w_.error("connect: " + ec.message());
        return false;
    }
    socket_.set_option(tcp::no_delay(true), ec);
    return true;
}

void Connection::next() {
    if (w_.stopping_ || Clock::now() >= w_.window_.end || w_.sent_ >= max_requests_per_run) {
        finish();
        return;
    }
    ++w_.sent_;
    busy_ = true;
    filled_ = 0;
    sent_at_ = Clock::now();
    asio::async_write(socket_, w_.request_, [this](const error_code& ec, std::size_t) {
        if (ec) {
            failed("write", ec);
        } else {
            read();
        }
    });
}

void Connection::read() {
    if (filled_ == buf_.size()) {
        protocol_error("response larger than 64 KiB");
        return;
    }
    socket_.async_read_some(asio::buffer(buf_.data() + filled_, buf_.size() - filled_),
                            [this](const error_code& ec, std::size_t n) {
                                if (ec) {
                                    failed("read", ec);
                                    return;
                                }
                                filled_ += n;
                                parse();
                            });
}

void Connection::parse() {
    const std::string_view data(buf_.data(), filled_);
    const auto head_end = data.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
        read();
        return;
    }
    ParsedResponse r;
    if (!parse_head(data.substr(0, head_end + 2), r)) {
        protocol_error("malformed response header");
        return;
    }
    const std::size_t total = head_end + 4 + r.content_length;
    if (total > buf_.size()) {
        protocol_error("response larger than 64 KiB");
        return;
    }
    if (filled_ < total) {
        read();
        return;
    }
    const auto now = Clock::now();
    busy_ = false;
    if (r.status == w_.expected_) {
        ++w_.answered_;
        if (now >= w_.window_.start && now <= w_.window_.end) {
            ++w_.in_window_;
            if (w_.latency_ns_.size() < max_requests_per_run)
                w_.latency_ns_.push_back((now - sent_at_).count());
        }
    } else {
        std::string body(data.substr(head_end + 4, std::min<std::size_t>(r.content_length, 200)));
        std::replace(body.begin(), body.end(), '\n', ' ');
        w_.error("HTTP " + std::to_string(r.status) + " " + body);
    }
    if (filled_ != total) {
        protocol_error("bytes after the response");
        return;
    }
    filled_ = 0;
    if (r.close) {
        if (r.status == w_.expected_) w_.error("server closed the connection after a success");
        if (!open()) {
            finish();
            return;
        }
    }
    next();
}

void Connection::failed(const std::string& what, const error_code& ec) {
    busy_ = false;
    if (w_.stopping_) {
        finish();
        return;
    }
    w_.error(what + ": " + ec.message());
    if (open()) {
        next();
    } else {
        finish();
    }
}

void Connection::protocol_error(const std::string& what) {
    busy_ = false;
    w_.error(what);
    if (open()) {
        next();
    } else {
        finish();
    }
}

void Connection::finish() {
    if (finished_) return;
    finished_ = true;
    busy_ = false;
    close();
    w_.connection_done();
}

struct LoadPlan {
    Clock::duration warmup;
    Clock::duration duration;
    unsigned client_threads;
};

// One closed-loop run against a server on 127.0.0.1:port. server_cpu returns the server's CPU
// seconds so far.
LoadResult run_load(unsigned short port, int expected, std::span<const unsigned char> body,
                    unsigned connections, const LoadPlan& plan,
                    const std::function<double()>& server_cpu) {
    const std::string head =
        "POST /api/v1/tips HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
        "\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n";
    const std::array<asio::const_buffer, 2> request{asio::buffer(head),
                                                    asio::buffer(body.data(), body.size())};
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    const auto start = Clock::now() + plan.warmup;
    const Window window{start, start + plan.duration, start + plan.duration + drain_limit};

    const unsigned nthreads = std::max(1u, std::min(plan.client_threads, connections));
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned t = 0; t < nthreads; ++t) {
        const unsigned share = connections / nthreads + (t < connections % nthreads ? 1 : 0);
        workers.push_back(std::make_unique<Worker>(endpoint, request, expected, window, share));
    }
    std::vector<std::thread> threads;
    for (auto& w : workers) threads.emplace_back([&w] { w->run(); });

    std::this_thread::sleep_until(window.start);
    const double server0 = server_cpu(), machine0 = machine_busy_seconds();
    const auto t0 = Clock::now();
    std::this_thread::sleep_until(window.end);
    const double server1 = server_cpu(), machine1 = machine_busy_seconds();
    const double sampled = seconds(Clock::now() - t0);
    for (auto& t : threads) t.join();

    LoadResult r;
    r.connections = connections;
    r.window_s = seconds(window.end - window.start);
    double client = 0;
    for (const auto& w : workers) {
        w->merge_into(r);
        client += w->window_cpu();
    }
    std::sort(r.latency_ns.begin(), r.latency_ns.end());
    r.server_cores = sampled > 0 ? (server1 - server0) / sampled : 0;
    r.client_cores = client / r.window_s;
    r.other_cores =
        sampled > 0
            ? std::max(0.0, (machine1 - machine0) / sampled - r.server_cores - r.client_cores)
            : 0;
    return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Baseline B: raw SQLite inserts of the envelope, WAL, synchronous=FULL, one writer committing
// groups of rows.

class Db {
  public:
    explicit Db(const fs::path& file) {
        const int rc = sqlite3_open_v2(
            file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
            nullptr);
        if (rc != SQLITE_OK) {
            sqlite3_close(db_);
            throw Failure("cannot open " + file.string() + ": " + sqlite3_errstr(rc));
        }
        sqlite3_busy_timeout(db_, 5000);
    }
    ~Db() { sqlite3_close_v2(db_); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    sqlite3* get() const { return db_; }
    void exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            const std::string message = err ? err : "unknown error";
            sqlite3_free(err);
            throw Failure(std::string("sqlite: ") + message + " in: " + sql);
        }
    }
    [[noreturn]] void fail(const char* what) {
        throw Failure(std::string("sqlite ") + what + ": " + sqlite3_errmsg(db_));
    }

  private:
    sqlite3* db_ = nullptr;
};

class Stmt {
  public:
    Stmt(Db& db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db.get(), sql, -1, &stmt_, nullptr) != SQLITE_OK)
            db_.fail("prepare");
    }
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    void blob(int i, std::span<const unsigned char> b) {
        if (sqlite3_bind_blob64(stmt_, i, b.data(), b.size(), SQLITE_STATIC) != SQLITE_OK)
            db_.fail("bind");
    }
    void int64(int i, std::int64_t v) {
        if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) db_.fail("bind");
    }
    void run() {
        if (sqlite3_step(stmt_) != SQLITE_DONE) db_.fail("step");
        sqlite3_reset(stmt_);
    }
    std::int64_t scalar() {
        if (sqlite3_step(stmt_) != SQLITE_ROW) db_.fail("step");
        const std::int64_t v = sqlite3_column_int64(stmt_, 0);
        sqlite3_reset(stmt_);
        return v;
    }

  private:
    Db& db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// Copied from server/src/store.cpp at e5bda45 (schema version 1), for the diagnostic rows. Every
// tip adds an entry at a random place in three B-trees: tips (keyed by the random id), tips_by_day
// (day, id) and tip_rows' primary key (tip, seq).
constexpr const char* tiplined_schema = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE tips (
  id BLOB PRIMARY KEY CHECK (length(id) = 16),
  day INTEGER NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0)
) STRICT, WITHOUT ROWID;
CREATE INDEX tips_by_day ON tips (day);
CREATE TABLE tip_rows (
  tip BLOB NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (tip, seq)
) STRICT;
)sql";
constexpr const char* tiplined_insert_tip = "INSERT INTO tips (id, day, size) VALUES (?1, ?2, ?3)";
constexpr const char* tiplined_insert_row =
    "INSERT INTO tip_rows (tip, seq, data) VALUES (?1, ?2, ?3)";

// A variant that keeps the random id and every constraint but keys rows by an increasing integer,
// so only the UNIQUE index on id takes random inserts; tips_by_day (day, rowid) and tip_rows (tip,
// seq) are appended to.
constexpr const char* rowid_schema = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE tips (
  n INTEGER PRIMARY KEY,
  id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
  day INTEGER NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0)
) STRICT;
CREATE INDEX tips_by_day ON tips (day);
CREATE TABLE tip_rows (
  tip INTEGER NOT NULL REFERENCES tips (n) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (tip, seq)
) STRICT;
)sql";
constexpr const char* rowid_insert_tip = "INSERT INTO tips (id, day, size) VALUES (?1, ?2, ?3)";
constexpr const char* rowid_insert_row =
    "INSERT INTO tip_rows (tip, seq, data) VALUES (?1, ?2, ?3)";

enum class Schema {
    raw,       // one table, INTEGER PRIMARY KEY and the blob: the storage ceiling
    tiplined,  // tiplined's schema, random 16-byte ids, foreign_keys and secure_delete on
    tiplined_no_day_index,  // the same without tips_by_day: two random B-trees per tip instead of
                            // three
    rowid,                  // rowid_schema above, with the same PRAGMAs
};

struct StorageVariant {
    std::string name;
    unsigned rows_per_commit;
    Schema schema;
    bool reprepare;  // prepare both INSERTs for every tip, as Store::insert_tip does
};

struct StorageResult {
    StorageVariant variant;
    double window_s = 0;
    std::uint64_t rows = 0;
    std::uint64_t commits = 0;
    std::vector<std::int64_t> commit_ns;  // sorted
    double cores = 0;
    double other_cores = 0;    // everything else on the machine: noise
    double pages_per_row = 0;  // pages written to the WAL per row, warm-up included

    double rate() const { return window_s > 0 ? static_cast<double>(rows) / window_s : 0; }
    double commit_ms(double p) const {
        if (commit_ns.empty()) return 0;
        const auto rank =
            static_cast<std::size_t>(std::ceil(p * static_cast<double>(commit_ns.size())));
        return static_cast<double>(
                   commit_ns[std::clamp<std::size_t>(rank, 1, commit_ns.size()) - 1]) /
               1e6;
    }
};

// Passive checkpoints every 250 ms on their own connection, as IngestQueue's checkpointer does.
class Checkpointer {
  public:
    explicit Checkpointer(const fs::path& file, Clock::time_point deadline)
        : thread_([this, file, deadline] {
              Db db(file);
              std::unique_lock lock(mutex_);
              while (!stop_ && Clock::now() < deadline) {
                  wake_.wait_for(lock, std::chrono::milliseconds(checkpoint_interval_ms),
                                 [&] { return stop_; });
                  if (stop_) break;
                  lock.unlock();
                  int log = 0, done = 0;
                  sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log,
                                            &done);
                  lock.lock();
              }
          }) {}
    ~Checkpointer() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

  private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

void remove_database(const fs::path& file) {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix, ignored);
}

StorageResult run_storage(const fs::path& file, std::span<const unsigned char> blob,
                          const StorageVariant& v, Clock::duration warmup,
                          Clock::duration duration) {
    remove_database(file);
    StorageResult r;
    r.variant = v;
    Db db(file);
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    db.exec("PRAGMA wal_autocheckpoint=0");  // checkpoints run on another thread, as in tiplined
    if (v.schema == Schema::raw) {
        db.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT");
    } else {
        db.exec("PRAGMA secure_delete=ON");
        db.exec("PRAGMA foreign_keys=ON");
        db.exec(v.schema == Schema::rowid ? rowid_schema : tiplined_schema);
        if (v.schema == Schema::tiplined_no_day_index) db.exec("DROP INDEX tips_by_day");
    }
    const char* insert_tip = v.schema == Schema::rowid ? rowid_insert_tip : tiplined_insert_tip;
    const char* insert_row = v.schema == Schema::rowid ? rowid_insert_row : tiplined_insert_row;
    std::mt19937_64 random(std::random_device{}());
    std::array<unsigned char, 16> id{};
    const std::int64_t day = 20'000;
    std::optional<Stmt> raw, tip, row;
    if (v.schema == Schema::raw) {
        raw.emplace(db, "INSERT INTO blobs (data) VALUES (?1)");
    } else if (!v.reprepare) {
        tip.emplace(db, insert_tip);
        row.emplace(db, insert_row);
    }
    auto insert = [&] {
        if (raw) {
            raw->blob(1, blob);
            raw->run();
            return;
        }
        for (std::size_t i = 0; i < id.size(); i += 8) {
            const std::uint64_t x = random();
            std::memcpy(id.data() + i, &x, 8);
        }
        if (v.reprepare) {
            tip.emplace(db, insert_tip);
            row.emplace(db, insert_row);
        }
        tip->blob(1, id);
        tip->int64(2, day);
        tip->int64(3, static_cast<std::int64_t>(blob.size()));
        tip->run();
        if (v.schema == Schema::rowid) {
            row->int64(1, sqlite3_last_insert_rowid(db.get()));
        } else {
            row->blob(1, id);
        }
        row->int64(2, 0);
        row->blob(3, blob);
        row->run();
    };

    Stmt page_count(
        db, "PRAGMA main.page_count");  // reads the schema, so the first commit is not special
    page_count.scalar();
    auto pages_written = [&] {
        int current = 0, highest = 0;
        sqlite3_db_status(db.get(), SQLITE_DBSTATUS_CACHE_WRITE, &current, &highest, 0);
        return current;
    };
    const int pages0 = pages_written();
    const auto start = Clock::now() + warmup;
    const auto end = start + duration;
    Checkpointer checkpointer(file, end + std::chrono::seconds(1));
    const double cpu0 = thread_cpu_now(), machine0 = machine_busy_seconds();
    const auto t_begin = Clock::now();
    std::uint64_t total = 0;
    r.commit_ns.reserve(1 << 16);
    while (Clock::now() < end && total < max_rows_per_run) {
        const auto t0 = Clock::now();
        db.exec("BEGIN IMMEDIATE");
        for (unsigned k = 0; k < v.rows_per_commit; ++k) insert();
        db.exec("COMMIT");
        const auto t1 = Clock::now();
        total += v.rows_per_commit;
        if (t1 >= start && t1 <= end) {
            r.rows += v.rows_per_commit;
            ++r.commits;
            r.commit_ns.push_back((t1 - t0).count());
        }
    }
    const double elapsed = seconds(Clock::now() - t_begin);
    r.cores = (thread_cpu_now() - cpu0) / elapsed;
    r.other_cores = std::max(0.0, (machine_busy_seconds() - machine0) / elapsed - r.cores);
    r.pages_per_row =
        total > 0 ? static_cast<double>(pages_written() - pages0) / static_cast<double>(total) : 0;
    r.window_s = seconds(duration);
    std::sort(r.commit_ns.begin(), r.commit_ns.end());
    return r;
}

// ---------------------------------------------------------------------------------------------------------------

struct Options {
    bool quick = false;
    bool keep = false;
    fs::path tiplined;
    fs::path tools;  // tipline-responder and tipline-submit
    fs::path tmp;
    unsigned client_threads = 1;
    unsigned http_threads = 1;
    unsigned server_threads = 0;  // 0: tiplined's default
};

[[noreturn]] void usage(const std::string& problem, int status = 2) {
    (status == 0 ? std::cout : std::cerr)
        << "tipline-bench-load: " << problem << "\n"
        << "usage: tipline-bench-load [--quick] [--tiplined PATH] [--tools DIR] [--tmp DIR] "
           "[--keep]\n"
        << "                          [--client-threads N] [--http-threads N]\n"
        << "                          [--server-threads N]\n";
    std::exit(status);
}

Options parse_options(int argc, char** argv) {
    Options o;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    const fs::path build =
        ec ? fs::path(argv[0]).parent_path() / ".." : self.parent_path().parent_path();
    o.tiplined = build / "server" / "tiplined";
    o.tools = build / "client";
    const char* tmpdir = std::getenv("TMPDIR");
    o.tmp = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(std::string(a) + " needs a value");
            return argv[++i];
        };
        auto count = [&](unsigned max) {
            const std::string v = value();
            if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos)
                usage(v + " is not a count");
            const auto n = static_cast<unsigned>(std::stoul(v));
            if (n < 1 || n > max) usage(std::string(a) + " must be 1 to " + std::to_string(max));
            return n;
        };
        if (a == "--quick") {
            o.quick = true;
        } else if (a == "--keep") {
            o.keep = true;
        } else if (a == "--tiplined") {
            o.tiplined = value();
        } else if (a == "--tools") {
            o.tools = value();
        } else if (a == "--tmp") {
            o.tmp = value();
        } else if (a == "--client-threads") {
            o.client_threads = count(16);
        } else if (a == "--http-threads") {
            o.http_threads = count(16);
        } else if (a == "--server-threads") {
            o.server_threads = count(16);
        } else if (a == "--help" || a == "-h") {
            usage(
                "runs tiplined, an HTTP ceiling and a storage ceiling under load "
                "(bench/README.md)",
                0);
        } else {
            usage("unknown option " + std::string(a));
        }
    }
    return o;
}

std::string fs_type(const fs::path& p) {
    struct statfs s {};
    if (::statfs(p.c_str(), &s) != 0) return "unknown";
    switch (static_cast<unsigned long>(s.f_type)) {
        case 0xEF53:
            return "ext4";
        case 0x01021994:
            return "tmpfs";
        case 0x58465342:
            return "xfs";
        case 0x9123683E:
            return "btrfs";
        case 0x794C7630:
            return "overlayfs";
        default:
            return format("0x%lx", static_cast<unsigned long>(s.f_type));
    }
}

double load_average() {
    std::istringstream in(read_file("/proc/loadavg", 256));
    double one = 0;
    in >> one;
    return one;
}

void progress(const std::string& line) { std::cerr << line << std::endl; }

std::string load_row(const std::string& name, const LoadResult& r) {
    return format("%-28s %5u %10.1f %8.2f %8.2f %8.2f %6.2f %6.2f %6.2f %7llu", name.c_str(),
                  r.connections, r.rate(), r.percentile_ms(0.50), r.percentile_ms(0.99),
                  r.percentile_ms(1.0), r.server_cores, r.client_cores, r.other_cores,
                  static_cast<unsigned long long>(r.errors));
}

std::string storage_row(const StorageResult& r) {
    const double commits_per_s = r.window_s > 0 ? static_cast<double>(r.commits) / r.window_s : 0;
    return format("%-44s %5u %10.1f %9.1f %8.2f %8.2f %6.2f %6.2f %6.2f", r.variant.name.c_str(),
                  r.variant.rows_per_commit, r.rate(), commits_per_s, r.commit_ms(0.50),
                  r.commit_ms(0.99), r.cores, r.other_cores, r.pages_per_row);
}

// Per tiplined thread in each window: CPU, and context switches per second and per stored tip.
void print_threads(const std::vector<LoadResult>& results,
                   const std::vector<std::vector<ThreadSample>>& samples) {
    std::cout << "\n"
              << format("%-34s %5s %9s %10s %10s %9s\n", "tiplined threads (creation order)",
                        "conns", "CPU cores", "vol cs/s", "invol cs/s", "vol cs/tip");
    for (std::size_t level = 0; level < results.size() && 2 * level + 1 < samples.size(); ++level) {
        const auto& before = samples[2 * level];
        const auto& after = samples[2 * level + 1];
        const double window = results[level].window_s;
        const double tips = static_cast<double>(results[level].in_window);
        for (std::size_t i = 0; i < after.size(); ++i) {
            const auto it = std::find_if(before.begin(), before.end(),
                                         [&](const auto& t) { return t.tid == after[i].tid; });
            if (it == before.end()) continue;
            const char* role = i == 0   ? "1 main (I/O)"
                               : i == 1 ? "2 IngestQueue writer"
                               : i == 2 ? "3 IngestQueue checkpointer"
                                        : "4+ I/O";
            const auto vol = static_cast<double>(after[i].voluntary - it->voluntary);
            const auto invol = static_cast<double>(after[i].involuntary - it->involuntary);
            std::cout << format("%-34s %5u %9.2f %10.0f %10.0f %9.2f\n", role,
                                results[level].connections, (after[i].cpu - it->cpu) / window,
                                vol / window, invol / window, tips > 0 ? vol / tips : 0);
        }
    }
    std::cout << "\n";
}

void print_errors(const std::string& name, const LoadResult& r) {
    for (const auto& [kind, n] : r.error_kinds) {
        std::cout << "  error: " << name << " at " << r.connections << " connections: " << n
                  << " x " << kind << "\n";
    }
}

int run(const Options& o) {
    const auto warmup = o.quick ? std::chrono::milliseconds(500) : std::chrono::milliseconds(1000);
    const auto duration =
        o.quick ? std::chrono::milliseconds(2000) : std::chrono::milliseconds(5000);
    const LoadPlan plan{warmup, duration, o.client_threads};
    const std::array<unsigned, 2> levels{16, 128};
    const double load_before = load_average();
    const auto run_started = Clock::now();

    for (const auto& tool :
         {o.tiplined, o.tools / "tipline-responder", o.tools / "tipline-submit"}) {
        if (::access(tool.c_str(), X_OK) != 0)
            throw Failure(tool.string() + " is not an executable (see --tiplined, --tools)");
    }
    TempDir tmp(o.tmp, o.keep);
    const fs::path& dir = tmp.path();
    progress("work directory: " + dir.string() + (o.keep ? " (kept)" : ""));

    // A responder key, a real envelope, and a data directory whose config keeps connections open.
    const std::string envelope_text = prepare_deployment(o.tiplined, o.tools, dir, "hi\n");
    const std::vector<unsigned char> envelope(envelope_text.begin(), envelope_text.end());
    if (envelope.size() != envelope_size) {
        throw Failure("the sealed envelope is " + std::to_string(envelope.size()) + " bytes, not " +
                      std::to_string(envelope_size));
    }
    const fs::path conf = dir / "data" / "tiplined.conf";
    set_config_value(conf, "requests_per_connection", "100000");
    // This benchmark measures storage, not the witnesses' proof of work (bench/README.md).
    set_config_value(conf, "proof_of_work", "false");
    if (o.server_threads != 0) set_config_value(conf, "threads", std::to_string(o.server_threads));
    const std::string config = read_file(conf);
    std::string server_threads = "?";
    if (const auto t = config.find("\nthreads = "); t != std::string::npos) {
        server_threads = config.substr(t + 11, config.find('\n', t + 1) - t - 11);
    }

    // 1. tiplined.
    std::vector<LoadResult> tiplined_results;
    std::uint64_t peak_rss_kib = 0, answered = 0, abandoned = 0;
    std::vector<std::vector<ThreadSample>> thread_samples;  // at the start and end of each window
    {
        Tiplined server(o.tiplined, dir / "data", dir / "tiplined.log");
        progress(format("tiplined listening on 127.0.0.1:%u", server.port()));
        for (unsigned c : levels) {
            progress(format("tiplined: %u connections", c));
            tiplined_results.push_back(run_load(server.port(), 201, envelope, c, plan, [&] {
                thread_samples.push_back(server.threads());
                return server.cpu_seconds();
            }));
            answered += tiplined_results.back().answered;
            abandoned += tiplined_results.back().abandoned;
        }
        peak_rss_kib = server.peak_rss_kib();
        server.stop();
    }
    std::uint64_t stored = 0;
    {
        Db db(dir / "data" / "tips.sqlite");
        Stmt count(db, "SELECT count(*) FROM tips");
        stored = static_cast<std::uint64_t>(count.scalar());
    }
    std::error_code ignored;
    if (!o.keep) fs::remove_all(dir / "data", ignored);  // about 0.5 GB after a full run
    ::sync();

    // 2. HTTP ceiling.
    std::vector<LoadResult> http_results;
    {
        HttpCeiling ceiling(o.http_threads);
        for (unsigned c : levels) {
            progress(format("HTTP ceiling: %u connections", c));
            http_results.push_back(run_load(ceiling.port(), 204, envelope, c, plan,
                                            [&] { return ceiling.cpu_seconds(); }));
        }
    }

    // 3. Storage ceiling, and the diagnostic rows with tiplined's schema.
    const std::vector<StorageVariant> variants{
        {"raw table, statement reused", 64, Schema::raw, false},
        {"raw table, statement reused", 1, Schema::raw, false},
        {"diag: tiplined schema, re-prepared per tip", 64, Schema::tiplined, true},
        {"diag: tiplined schema, statements reused", 64, Schema::tiplined, false},
        {"diag: same, without tips_by_day, reused", 64, Schema::tiplined_no_day_index, false},
        {"diag: integer-keyed schema, reused", 64, Schema::rowid, false},
    };
    std::vector<StorageResult> storage_results;
    for (const auto& v : variants) {
        progress(format("storage: %s, %u rows per commit", v.name.c_str(), v.rows_per_commit));
        storage_results.push_back(
            run_storage(dir / "storage.sqlite", envelope, v, warmup, duration));
        if (!o.keep) remove_database(dir / "storage.sqlite");  // up to 1.5 GB each
        ::sync();
    }

    // Report.
    utsname uts{};
    ::uname(&uts);
    std::cout << "tipline load benchmark: POST /api/v1/tips with a " << envelope.size()
              << "-byte envelope, closed loop, keep-alive HTTP/1.1 on 127.0.0.1\n"
              << (o.quick ? "quick" : "full") << " mode: "
              << format("%.1f s warm-up, then %.1f s measured per row", seconds(warmup),
                        seconds(duration))
              << "; " << std::thread::hardware_concurrency()
              << " CPUs; 1-minute load average before the run " << format("%.2f", load_before)
              << "\n"
              << "Linux " << uts.release << "; SQLite " << sqlite3_libversion() << "; Boost "
              << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000 << "; data in "
              << o.tmp.string() << " (" << fs_type(dir) << ")\n"
              << "tiplined: threads = " << server_threads
              << ", requests_per_connection = 100000; HTTP ceiling: " << o.http_threads
              << " thread(s); load generator: " << o.client_threads << " thread(s)\n\n";

    std::cout << format("%-28s %5s %10s %8s %8s %8s %6s %6s %6s %7s\n", "HTTP load", "conns",
                        "req/s", "p50 ms", "p99 ms", "max ms", "server", "client", "other",
                        "errors")
              << format("%-28s %5s %10s %8s %8s %8s %6s %6s %6s %7s\n", "", "", "", "", "", "",
                        "CPU", "CPU", "CPU", "");
    for (const auto& r : tiplined_results)
        std::cout << load_row("tiplined (201, durable)", r) << "\n";
    for (const auto& r : http_results)
        std::cout << load_row("HTTP ceiling (Beast, 204)", r) << "\n";
    std::cout << "\n"
              << format("%-44s %5s %10s %9s %8s %8s %6s %6s %6s\n",
                        "storage: SQLite WAL, synchronous=FULL", "rows/", "rows/s", "commits/s",
                        "p50 ms", "p99 ms", "CPU", "other", "pages/")
              << format("%-44s %5s %10s %9s %8s %8s %6s %6s %6s\n", "", "commit", "", "", "commit",
                        "commit", "", "CPU", "row");
    for (const auto& r : storage_results) std::cout << storage_row(r) << "\n";

    const LoadResult& t16 = tiplined_results[0];
    const LoadResult& t128 = tiplined_results[1];
    const double storage64 = storage_results[0].rate();
    const double storage_ratio = storage64 > 0 ? t128.rate() / storage64 : 0;
    const double p99 = t16.percentile_ms(0.99);
    std::cout << "\n"
              << format(
                     "tiplined / HTTP ceiling: %.3f at 16 connections, %.3f at 128 connections\n",
                     http_results[0].rate() > 0 ? t16.rate() / http_results[0].rate() : 0,
                     http_results[1].rate() > 0 ? t128.rate() / http_results[1].rate() : 0)
              << format(
                     "tiplined / storage ceiling (64 rows per commit) at 128 connections: %.3f\n",
                     storage_ratio)
              << format("tiplined p99 latency at 16 connections: %.2f ms\n", p99)
              << format("tiplined peak RSS (VmHWM at the end): %llu KiB\n",
                        static_cast<unsigned long long>(peak_rss_kib));
    print_threads(tiplined_results, thread_samples);
    std::cout << format(
        "tips in the database after SIGTERM: %llu; 201 answers: %llu; abandoned requests: %llu\n",
        static_cast<unsigned long long>(stored), static_cast<unsigned long long>(answered),
        static_cast<unsigned long long>(abandoned));

    bool broken = false;
    for (const auto& r : tiplined_results) {
        print_errors("tiplined", r);
        if (r.errors > 0 || r.in_window == 0) broken = true;
    }
    for (const auto& r : http_results) {
        print_errors("HTTP ceiling", r);
        if (r.errors > 0 || r.in_window == 0) broken = true;
    }
    if (stored < answered || stored > answered + abandoned) {
        std::cout << "  error: the database holds " << stored << " tips, but tiplined answered 201 "
                  << answered << " times\n";
        broken = true;
    }
    std::cout << format("target: tiplined >= %.1fx storage ceiling at 128 connections: %s (%.3f)\n",
                        storage_ratio_target,
                        storage_ratio >= storage_ratio_target ? "PASS" : "FAIL", storage_ratio)
              << format("target: tiplined p99 <= %.0f ms at 16 connections: %s (%.2f ms)\n",
                        p99_target_ms,
                        !t16.latency_ns.empty() && p99 <= p99_target_ms ? "PASS" : "FAIL", p99)
              << format("run time: %.0f s\n", seconds(Clock::now() - run_started));
    double noise = 0;
    for (const auto* rows : {&tiplined_results, &http_results}) {
        for (const auto& r : *rows) noise = std::max(noise, r.other_cores);
    }
    for (const auto& r : storage_results) noise = std::max(noise, r.other_cores);
    if (noise > noise_warning_cores) {
        std::cout << format(
            "warning: other work used up to %.2f cores during a measurement; the figures "
            "are not trustworthy, run again on an idle machine\n",
            noise);
    }
    if (broken) std::cout << "errors: something broke (see above); exit status 1\n";
    return broken ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    const Options options = parse_options(argc, argv);
    try {
        return run(options);
    } catch (const std::exception& e) {
        std::cout << std::flush;
        std::cerr << "tipline-bench-load: " << e.what() << std::endl;
        return 1;
    }
}
