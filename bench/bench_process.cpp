// Child processes and /proc readings for the benchmarks.
#include "bench_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace tipline::bench {

std::string read_file(const fs::path& p, std::size_t limit) {
    std::ifstream in(p, std::ios::binary);
    std::string s(limit, '\0');
    in.read(s.data(), static_cast<std::streamsize>(limit));
    s.resize(static_cast<std::size_t>(in.gcount()));
    return s;
}

void write_file(const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out.flush()) throw Failure("cannot write " + p.string());
}

double cpu_seconds(const std::string& stat_path) {
    const std::string s = read_file(stat_path, 4096);
    const auto close = s.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream in(s.substr(close + 1));
    std::string field;
    unsigned long long user = 0, system = 0;
    for (int i = 0; i < 13 && (in >> field); ++i) {  // fields 3 (state) to 15 (stime)
        if (i == 11) user = std::stoull(field);
        if (i == 12) system = std::stoull(field);
    }
    return static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::uint64_t status_field(const std::string& status, std::string_view name) {
    const auto at = status.find(name);
    return at == std::string::npos ? 0 : std::stoull(status.substr(at + name.size()));
}

int open_or_fail(const fs::path& p, int flags) {
    const int fd = ::open(p.c_str(), flags | O_CLOEXEC, 0600);
    if (fd < 0) throw Failure("cannot open " + p.string() + ": " + std::strerror(errno));
    return fd;
}

std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
    for (;;) {  // bounded by the deadline
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) return -1;
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

void run_tool(const std::vector<std::string>& argv, const fs::path& in, const fs::path& out,
              const fs::path& err) {
    Args args(argv);
    const int in_fd = open_or_fail(in, O_RDONLY);
    const int out_fd = open_or_fail(out, O_WRONLY | O_CREAT | O_TRUNC);
    const int err_fd = open_or_fail(err, O_WRONLY | O_CREAT | O_TRUNC);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(in_fd, 0);
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        ::execv(args.pointers[0], args.pointers.data());
        ::_exit(127);
    }
    ::close(in_fd);
    ::close(out_fd);
    ::close(err_fd);
    if (pid < 0) throw Failure(std::string("fork: ") + std::strerror(errno));
    const auto status = wait_until(pid, Clock::now() + tool_limit);
    if (!status) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw Failure(argv[0] + " did not finish in time");
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
        throw Failure(argv[0] + " " + argv[1] + " failed (" + describe_status(*status) +
                      "): " + read_file(err, 4096));
    }
}

std::string prepare_deployment(const fs::path& tiplined, const fs::path& tools, const fs::path& dir,
                               std::string_view message) {
    write_file(dir / "passphrase", "tipline benchmark passphrase, not for real use\n");
    write_file(dir / "tip.txt", message);
    run_tool({(tools / "tipline-responder").string(), "keygen", "--kdf", "interactive", "--out",
              (dir / "K").string(), "--passphrase-file", (dir / "passphrase").string()},
             "/dev/null", dir / "keygen.out", dir / "keygen.err");
    run_tool({(tools / "tipline-submit").string(), "seal", "--to", (dir / "K.pub").string()},
             dir / "tip.txt", dir / "E", dir / "seal.err");
    run_tool({tiplined.string(), "init", (dir / "data").string(), "--responder",
              (dir / "K.pub").string()},
             "/dev/null", dir / "init.out", dir / "init.err");
    return read_file(dir / "E");
}

std::optional<int> parse_server_bench_options(int argc, char** argv, std::string_view program,
                                              ServerBenchOptions& o) {
    std::error_code ec;
    const fs::path build = fs::read_symlink("/proc/self/exe", ec).parent_path().parent_path();
    o.tiplined = build / "server" / "tiplined";
    o.tools = build / "client";
    const auto usage = [&](int status) {
        (status == 0 ? std::cout : std::cerr)
            << "usage: " << program << " [--quick] [--tiplined PATH] [--tools DIR] [--tmp DIR]\n";
        return status;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--quick")
            o.quick = true;
        else if (a == "--tiplined" && has_value)
            o.tiplined = argv[++i];
        else if (a == "--tools" && has_value)
            o.tools = argv[++i];
        else if (a == "--tmp" && has_value)
            o.tmp = argv[++i];
        else if (a == "--help" || a == "-h")
            return usage(0);
        else
            return usage(2);
    }
    return std::nullopt;
}

void set_config_value(const fs::path& conf, std::string_view key, std::string_view value) {
    std::string text = read_file(conf);
    const std::string prefix = std::string(key) + " = ";
    std::size_t at = text.starts_with(prefix) ? 0 : text.find("\n" + prefix);
    if (at == std::string::npos) throw Failure("no " + std::string(key) + " in " + conf.string());
    if (at != 0) ++at;
    text.replace(at, text.find('\n', at) - at, prefix + std::string(value));
    write_file(conf, text);
}

}  // namespace tipline::bench
