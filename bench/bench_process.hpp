// What the benchmarks share: running tiplined and the tools as child processes, temporary folders,
// and reading a process's CPU time and memory from /proc.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tipline::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline constexpr auto start_limit =
    std::chrono::seconds(30);  // tiplined must print its port within this
inline constexpr auto stop_limit = std::chrono::seconds(30);  // and exit within this after SIGTERM
inline constexpr auto tool_limit = std::chrono::seconds(60);

// Something broke (as opposed to a target being missed): reported, and the exit status is 1.
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string read_file(const fs::path& p, std::size_t limit = 1 << 20);

void write_file(const fs::path& p, std::string_view text);

// utime + stime of a /proc/.../stat file, in seconds; 0 if it cannot be read.
double cpu_seconds(const std::string& stat_path);

// Counters of one thread of another process, from /proc/PID/task/TID/{stat,status}.
struct ThreadSample {
    pid_t tid = 0;
    double cpu = 0;
    std::uint64_t voluntary = 0;    // context switches: blocked (waits, fsync, futex)
    std::uint64_t involuntary = 0;  // context switches: preempted
};

std::uint64_t status_field(const std::string& status, std::string_view name);

struct Args {
    std::vector<std::string> strings;
    std::vector<char*> pointers;
    explicit Args(std::vector<std::string> s) : strings(std::move(s)) {
        for (auto& a : strings) pointers.push_back(a.data());
        pointers.push_back(nullptr);
    }
};

int open_or_fail(const fs::path& p, int flags);

// Waits for pid until the deadline; the raw wait status, or nothing if it is still running.
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline);

std::string describe_status(int status);

// Runs a tool with stdin, stdout and stderr on files; throws unless it exits 0.
void run_tool(const std::vector<std::string>& argv, const fs::path& in, const fs::path& out,
              const fs::path& err);

// In dir: a responder key pair made with tipline-responder (Argon2id at interactive cost) as K and
// K.pub, message sealed to it with tipline-submit as E, and a data directory initialised for it by
// tiplined as data/. Returns the envelope's bytes.
std::string prepare_deployment(const fs::path& tiplined, const fs::path& tools, const fs::path& dir,
                               std::string_view message);

// What the flood and attack benchmarks take: --quick, and where tiplined, the tools and scratch
// folders are (by default next to the benchmark's own binary in the build tree, and /tmp).
struct ServerBenchOptions {
    bool quick = false;
    fs::path tiplined;
    fs::path tools;
    fs::path tmp = "/tmp";
};
// Parses argv into o; returns an exit status when the program must stop (--help: 0, a usage
// error: 2), printing the usage line of program.
std::optional<int> parse_server_bench_options(int argc, char** argv, std::string_view program,
                                              ServerBenchOptions& o);

// Sets "key = value" in a tiplined.conf, replacing the line the file has for key; throws if none.
void set_config_value(const fs::path& conf, std::string_view key, std::string_view value);

class TempDir {
  public:
    TempDir(const fs::path& parent, bool keep) : keep_(keep) {
        std::string name = (parent / "tipline-bench-load.XXXXXX").string();
        if (::mkdtemp(name.data()) == nullptr)
            throw Failure("mkdtemp in " + parent.string() + ": " + std::strerror(errno));
        path_ = name;
    }
    ~TempDir() {
        std::error_code ignored;
        if (!keep_) fs::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
    bool keep_;
};

// The real server: `tiplined serve DATA --listen 127.0.0.1:0`, stdout on a pipe (for the port),
// stderr to a log.
class Tiplined {
  public:
    Tiplined(const fs::path& binary, const fs::path& data, const fs::path& log) : log_(log) {
        Args args({binary.string(), "serve", data.string(), "--listen", "127.0.0.1:0"});
        std::array<int, 2> pipe_fds{};
        if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0)
            throw Failure(std::string("pipe: ") + std::strerror(errno));
        const int err_fd = open_or_fail(log, O_WRONLY | O_CREAT | O_TRUNC);
        const int null_fd = open_or_fail("/dev/null", O_RDONLY);
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the benchmark
            if (::getppid() != parent) ::_exit(126);
            ::dup2(null_fd, 0);
            ::dup2(pipe_fds[1], 1);
            ::dup2(err_fd, 2);
            ::execv(args.pointers[0], args.pointers.data());
            ::_exit(127);
        }
        ::close(pipe_fds[1]);
        ::close(err_fd);
        ::close(null_fd);
        out_fd_ = pipe_fds[0];
        if (pid_ < 0) throw Failure(std::string("fork: ") + std::strerror(errno));
        read_port();
    }
    ~Tiplined() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (out_fd_ >= 0) ::close(out_fd_);
    }
    Tiplined(const Tiplined&) = delete;
    Tiplined& operator=(const Tiplined&) = delete;

    unsigned short port() const { return port_; }
    double cpu_seconds() const {
        return tipline::bench::cpu_seconds("/proc/" + std::to_string(pid_) + "/stat");
    }
    // Per thread, in thread-id order: the main thread (also an I/O thread), then IngestQueue's
    // writer and checkpointer, then the other I/O threads.
    std::vector<ThreadSample> threads() const {
        std::vector<ThreadSample> out;
        const fs::path tasks = "/proc/" + std::to_string(pid_) + "/task";
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(tasks, ec)) {
            ThreadSample t;
            t.tid = static_cast<pid_t>(std::stol(entry.path().filename().string()));
            t.cpu = tipline::bench::cpu_seconds((entry.path() / "stat").string());
            const std::string status = read_file(entry.path() / "status", 1 << 16);
            t.voluntary = status_field(status, "\nvoluntary_ctxt_switches:");
            t.involuntary = status_field(status, "\nnonvoluntary_ctxt_switches:");
            out.push_back(t);
        }
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.tid < b.tid; });
        return out;
    }
    // VmHWM from /proc/PID/status, in KiB.
    std::uint64_t peak_rss_kib() const {
        const std::string s = read_file("/proc/" + std::to_string(pid_) + "/status", 1 << 16);
        const auto at = s.find("VmHWM:");
        if (at == std::string::npos)
            throw Failure("no VmHWM in /proc/" + std::to_string(pid_) + "/status");
        return std::stoull(s.substr(at + 6));
    }
    // VmRSS from /proc/PID/status, in KiB: resident now.
    std::uint64_t rss_kib() const {
        const std::string s = read_file("/proc/" + std::to_string(pid_) + "/status", 1 << 16);
        const auto at = s.find("VmRSS:");
        if (at == std::string::npos)
            throw Failure("no VmRSS in /proc/" + std::to_string(pid_) + "/status");
        return std::stoull(s.substr(at + 6));
    }
    // SIGTERM and wait; the exit status text.
    std::string stop() {
        ::kill(pid_, SIGTERM);
        const auto status = wait_until(pid_, Clock::now() + stop_limit);
        if (!status) throw Failure("tiplined did not stop within 30 s of SIGTERM");
        pid_ = -1;
        if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
            throw Failure("tiplined stopped with " + describe_status(*status) + ": " +
                          read_file(log_, 4096));
        }
        return describe_status(*status);
    }

  private:
    void read_port() {
        const auto deadline = Clock::now() + start_limit;
        std::string out;
        for (;;) {  // bounded by the deadline and by the output size
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())
                    .count();
            if (left <= 0 || out.size() > 4096) break;
            pollfd p{out_fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
            std::array<char, 512> buf{};
            const ssize_t n = ::read(out_fd_, buf.data(), buf.size());
            if (n <= 0) break;
            out.append(buf.data(), static_cast<std::size_t>(n));
            const std::string_view prefix = "listening on 127.0.0.1:";
            const auto at = out.find(prefix);
            const auto eol = at == std::string::npos ? std::string::npos : out.find('\n', at);
            if (eol != std::string::npos) {
                port_ = static_cast<unsigned short>(
                    std::stoul(out.substr(at + prefix.size(), eol - at - prefix.size())));
                return;
            }
        }
        throw Failure("tiplined did not report its port; stdout: '" + out +
                      "'; log: " + read_file(log_, 4096));
    }

    fs::path log_;
    pid_t pid_ = -1;
    int out_fd_ = -1;
    unsigned short port_ = 0;
};

}  // namespace tipline::bench
