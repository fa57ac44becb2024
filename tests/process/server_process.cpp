// Starting and stopping tiplined for tests; a plain POSIX socket client for hostile requests.
#include "server_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "support.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"

namespace tipline::test {
namespace fs = std::filesystem;
namespace {

std::string tool(const char* name) { return (tools_dir().parent_path() / name).string(); }

void set_config(const std::filesystem::path& file,
                const std::map<std::string, std::string>& values) {
    std::ifstream in(file);
    std::stringstream out;
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find(" = ");
        const auto it = eq == std::string::npos ? values.end() : values.find(line.substr(0, eq));
        out << (it == values.end() ? line : it->first + " = " + it->second) << "\n";
    }
    in.close();
    std::ofstream(file, std::ios::trunc) << out.str();
}

}  // namespace

Deployment::Deployment(const std::map<std::string, std::string>& config) {
    write_key_pair(key, pass, "integration test passphrase");
    const auto init = run_command("'" + tool("server/tiplined") + "' init '" + data.string() +
                                  "' --responder '" + pub.string() + "'");
    if (init.exit_code != 0) throw std::runtime_error("init failed: " + init.err);
    std::map<std::string, std::string> values{{"pow_bits", "8"}};
    for (const auto& [k, v] : config) values[k] = v;
    set_config(data / "tiplined.conf", values);
}

std::string sealed_envelope(const Deployment& d, const std::string& message) {
    const auto r =
        run_command(tool(std::string("client/tipline-submit")) + " seal --to " + q(d.pub), message);
    if (r.exit_code != 0) throw std::runtime_error("seal failed: " + r.err);
    return r.out;
}

fs::path export_all(const Deployment& d, const std::string& name) {
    const fs::path bundle = d.dir / (name + ".bundle");
    const auto exported = run_command(tool(std::string("server/tiplined")) + " export " +
                                      q(d.data) + " --out " + q(bundle));
    if (exported.exit_code != 0) throw std::runtime_error("export failed: " + exported.err);
    return bundle;
}

CommandResult open_with_key(const Deployment& d, const fs::path& input, const fs::path& out) {
    return run_command(tool(std::string("client/tipline-responder")) + " open " + q(input) +
                       " --key " + q(d.key) + " --passphrase-file " + q(d.pass) + " --out " +
                       q(out));
}

std::pair<std::set<std::string>, std::size_t> export_and_open(const Deployment& d,
                                                              const std::string& name) {
    const fs::path bundle = export_all(d, name), out = d.dir / (name + "-opened");
    std::vector<crypto::BundleEntry> entries;
    const Bytes bytes = read_file(bundle);
    crypto::MemorySource source(bytes);
    if (crypto::read_bundle_manifest(source, bytes.size(), entries))
        throw std::runtime_error("bad bundle");
    std::set<std::string> ids;
    for (const auto& e : entries) ids.insert(crypto::to_hex(e.id));
    const auto opened = open_with_key(d, bundle, out);
    if (opened.exit_code != 0) throw std::runtime_error("open failed: " + opened.err);
    std::size_t count = 0;
    if (fs::exists(out)) {
        for (const auto& e : fs::directory_iterator(out))
            count += fs::exists(e.path() / "message.txt") ? 1U : 0U;
    }
    return {ids, count};
}

std::string body_of(const std::string& raw) {
    const auto at = raw.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : raw.substr(at + 4);
}

std::string header_of(const std::string& raw, const std::string& name) {
    std::smatch m;
    return std::regex_search(raw, m,
                             std::regex("\r\n" + name + ": ([^\r]*)\r\n", std::regex::icase))
               ? m[1].str()
               : std::string();
}

std::string error_code_of(const std::string& raw) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(body_of(raw), ec);
    if (ec || !v.is_object()) return "";
    const auto* error = v.as_object().if_contains("error");
    const auto* code =
        error != nullptr && error->is_object() ? error->as_object().if_contains("code") : nullptr;
    return code != nullptr && code->is_string() ? std::string(code->as_string()) : std::string();
}

std::string tip_request(const std::string& envelope, const std::string& extra_headers) {
    return "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\nContent-Type: "
           "application/octet-stream\r\nContent-Length: " +
           std::to_string(envelope.size()) + "\r\n" + extra_headers + "Connection: close\r\n\r\n" +
           envelope;
}

std::optional<crypto::PowChallenge> fetch_challenge(unsigned short port) {
    const std::string raw =
        raw_http(port, "GET /api/v1/challenge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::smatch m;
    if (status_of(raw) != 200 ||
        !std::regex_search(raw, m, std::regex("\"challenge\":\"([0-9a-f]+)\""))) {
        return std::nullopt;  // no proof asked for, or a server that is down refuses the submission
                              // anyway
    }
    const auto challenge = crypto::parse_pow_challenge(m[1].str());
    if (!challenge) throw std::runtime_error("the server sent a malformed challenge");
    return challenge;
}

std::string proof_line(unsigned short port, unsigned extra_bits) {
    const auto challenge = fetch_challenge(port);
    if (!challenge) return "";
    return "Tipline-Proof: " +
           crypto::pow_proof_text(*challenge, *crypto::pow_solve(*challenge, 0, {}, extra_bits)) +
           "\r\n";
}

ServerProcess::ServerProcess(const std::filesystem::path& data_dir) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    const std::string binary = tool("server/tiplined");
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::close(out[0]);
        ::close(out[1]);
        ::execl(binary.c_str(), binary.c_str(), "serve", data_dir.c_str(), "--listen",
                "127.0.0.1:0", nullptr);
        ::_exit(127);
    }
    ::close(out[1]);
    auto read_line = [fd = out[0]] {
        std::string line;
        char c = 0;
        pollfd p{fd, POLLIN, 0};
        while (::poll(&p, 1, 10000) > 0 && ::read(fd, &c, 1) == 1 && c != '\n') line += c;
        return line;
    };
    const std::string line = read_line();
    const std::string responder_line = read_line();
    ::close(out[0]);
    std::smatch m, r;
    if (!std::regex_match(line, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)")) ||
        !std::regex_match(responder_line, r,
                          std::regex("responder listening on 127\\.0\\.0\\.1:([0-9]+)"))) {
        kill_hard();
        throw std::runtime_error("tiplined did not start: '" + line + "' '" + responder_line + "'");
    }
    port_ = static_cast<unsigned short>(std::stoi(m[1]));
    responder_port_ = static_cast<unsigned short>(std::stoi(r[1]));
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) stop();
}

int ServerProcess::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300; ++i) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill_hard();
    return -1;
}

void ServerProcess::kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

int connect_to(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

namespace {

// Whether the receive queue of the first socket in /proc/net/tcp that matches is empty; false when
// none matches. Lines: "sl local_address rem_address st tx_queue:rx_queue ...", addresses as
// HEXIP:HEXPORT, st as hex (0A: LISTEN). A listening socket's rx_queue is its accept queue.
bool receive_queue_empty(
    const std::function<bool(const std::string& local, const std::string& remote,
                             const std::string& state)>& matches) {
    std::ifstream table("/proc/net/tcp");
    std::string line;
    std::getline(table, line);
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local_address, remote_address, state, queues;
        fields >> slot >> local_address >> remote_address >> state >> queues;
        if (matches(local_address, remote_address, state))
            return queues.substr(queues.find(':') + 1) == "00000000";
    }
    return false;
}

std::string port_suffix(unsigned short port) {
    char end[16];
    std::snprintf(end, sizeof end, ":%04X", port);
    return end;
}

}  // namespace

bool server_has_read(unsigned short server_port, int fd) {
    sockaddr_in local{};
    socklen_t size = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) != 0) return false;
    const std::string server_end = port_suffix(server_port);
    const std::string client_end = port_suffix(ntohs(local.sin_port));
    return receive_queue_empty([&](const std::string& l, const std::string& r, const std::string&) {
        return l.ends_with(server_end) && r.ends_with(client_end);
    });
}

bool accept_queue_empty(unsigned short server_port) {
    const std::string server_end = port_suffix(server_port);
    return receive_queue_empty(
        [&](const std::string& l, const std::string&, const std::string& state) {
            return state == "0A" && l.ends_with(server_end);
        });
}

std::string raw_http(unsigned short port, const std::string& request,
                     std::chrono::milliseconds timeout) {
    const int fd = connect_to(port);
    if (fd < 0) return {};
    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        reply.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return reply;
}

int status_of(const std::string& raw) {
    std::smatch m;
    if (std::regex_search(raw, m, std::regex("^HTTP/1\\.[01] ([0-9]{3})"))) return std::stoi(m[1]);
    return 0;
}

long stored_tips(const std::filesystem::path& data_dir) {
    const auto stats = run_command(tool("server/tiplined") + " stats " + q(data_dir));
    const auto at = stats.out.find("tips: ");
    if (stats.exit_code != 0 || at == std::string::npos) return -1;
    return std::stol(stats.out.substr(at + 6));
}

// A browser's multipart/form-data POST of the submit form.
std::string form_post(const std::string& path, const std::string& message,
                      const std::string& language, const std::vector<FilePart>& files,
                      const std::string& token) {
    const std::string b = "----TiplineTestBoundary7MA4YWxkTrZu0gW";
    std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n" +
                       message + "\r\n";
    body += "--" + b + "\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\n" + language +
            "\r\n";
    if (!token.empty()) {
        body += "--" + b + "\r\nContent-Disposition: form-data; name=\"form_token\"\r\n\r\n" +
                token + "\r\n";
    }
    for (const FilePart& f : files) {
        body += "--" + b + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" +
                f.name + "\"\r\nContent-Type: " + f.type + "\r\n\r\n" + f.bytes + "\r\n";
    }
    body += "--" + b + "--\r\n";
    return "POST " + path +
           " HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=" + b +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
}

// A browser's multipart POST of single text fields, as the check and follow-up forms send them.
std::string fields_post(const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& fields) {
    const std::string b = "----TiplineTestBoundaryQx81";
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

}  // namespace tipline::test
