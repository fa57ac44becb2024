// What tipline-submit and tipline-responder do as a careful user expects, on the real binaries:
// '-' for standard input and output, devices and pipes as outputs, --proxy HOST:PORT through a
// SOCKS5 proxy that resolves the name, a key file of the wrong kind named before any passphrase,
// and Ctrl-C in the middle of a bundle saying exactly what stays on disk.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "responder_keys.hpp"
#include "server_process.hpp"
#include "support.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/tooling/key_io.hpp"

using namespace tipline;
using namespace tipline::test;
namespace fs = std::filesystem;

namespace {

// One envelope with an attachment of this size, sealed to the key, in memory.
Bytes seal_with_attachment(const Keys& k, std::size_t size) {
    crypto::TipHeader header;
    header.language = "en";
    header.message = "a tip with a file";
    const Bytes file = pattern_bytes(size, 7);
    header.attachments.push_back({"evidence.bin", "application/octet-stream", file.size()});
    crypto::MemorySource source(file);
    crypto::ByteSource* sources[] = {&source};
    const crypto::BoxPublicKey to[] = {tooling::load_public_key(k.pub.string()).box};
    crypto::VectorSink sink;
    if (crypto::seal_tip(to, header, sources, sink)) throw std::runtime_error("seal failed");
    return std::move(sink.bytes());
}

// A bundle of count entries, each the same envelope under an id of its own (first, first + 1, ...).
Bytes bundle_of(const Bytes& envelope, std::size_t count, std::size_t first = 0) {
    std::vector<crypto::BundleEntry> entries(count);
    for (std::size_t i = 0; i < count; ++i) {
        entries[i].id[0] = static_cast<unsigned char>((first + i) >> 8);
        entries[i].id[1] = static_cast<unsigned char>(first + i);
        entries[i].day = 20500;
        entries[i].size = envelope.size();
    }
    crypto::VectorSink sink;
    crypto::write_bundle_manifest(sink, entries);
    Bytes out = std::move(sink.bytes());
    for (std::size_t i = 0; i < count; ++i) out.insert(out.end(), envelope.begin(), envelope.end());
    return out;
}

// The tip folders open wrote completely: each holds its message.
std::size_t complete_tip_folders(const fs::path& out) {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(out, ec))
        n += e.is_directory() && fs::exists(e.path() / "message.txt") ? 1U : 0U;
    return n;
}

// A SOCKS5 proxy on 127.0.0.1 that, as Tor does, takes only names to resolve itself (address type
// 3), connects the ones it knows to their ports on 127.0.0.1 and refuses every other request.
class NameResolvingSocks {
  public:
    explicit NameResolvingSocks(std::map<std::string, unsigned short> names)
        : names_(std::move(names)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(listener_, 16) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            throw std::runtime_error("cannot listen");
        }
        port_ = ntohs(a.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~NameResolvingSocks() {
        stopping_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        acceptor_.join();
        for (std::thread& t : sessions_) t.join();
    }
    NameResolvingSocks(const NameResolvingSocks&) = delete;
    NameResolvingSocks& operator=(const NameResolvingSocks&) = delete;

    unsigned short port() const noexcept { return port_; }
    // Each request as "name:port" for a name, "address type N" otherwise.
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

  private:
    static bool read_exact(int fd, unsigned char* to, std::size_t n) {
        while (n > 0) {
            const ssize_t got = ::recv(fd, to, n, 0);
            if (got <= 0) return false;
            to += got;
            n -= static_cast<std::size_t>(got);
        }
        return true;
    }
    static bool write_all(int fd, const unsigned char* from, std::size_t n) {
        while (n > 0) {
            const ssize_t sent = ::send(fd, from, n, MSG_NOSIGNAL);
            if (sent <= 0) return false;
            from += sent;
            n -= static_cast<std::size_t>(sent);
        }
        return true;
    }

    void accept_loop() {
        for (;;) {
            const int client = ::accept(listener_, nullptr, nullptr);
            if (client < 0) return;
            std::lock_guard lock(mutex_);
            sessions_.emplace_back([this, client] { serve(client); });
        }
    }

    void serve(int client) {
        unsigned char head[2];
        unsigned char methods[255];
        const unsigned char no_auth[2] = {5, 0};
        unsigned char request[4];
        if (!read_exact(client, head, 2) || head[0] != 5 || !read_exact(client, methods, head[1]) ||
            !write_all(client, no_auth, 2) || !read_exact(client, request, 4)) {
            ::close(client);
            return;
        }
        std::string name;
        if (request[3] == 3) {
            unsigned char length = 0;
            if (!read_exact(client, &length, 1)) return (void)::close(client);
            name.resize(length);
            if (!read_exact(client, reinterpret_cast<unsigned char*>(name.data()), length))
                return (void)::close(client);
        } else {
            std::lock_guard lock(mutex_);
            requests_.push_back("address type " + std::to_string(request[3]));
        }
        unsigned char port_bytes[2];
        const bool named = request[3] == 3 && read_exact(client, port_bytes, 2);
        if (named) {
            std::lock_guard lock(mutex_);
            requests_.push_back(name + ":" + std::to_string(port_bytes[0] << 8 | port_bytes[1]));
        }
        const auto target = names_.find(name);
        const int server = named && target != names_.end() ? connect_to(target->second) : -1;
        unsigned char answer[10] = {5, static_cast<unsigned char>(server < 0 ? 4 : 0), 0, 1};
        if (!write_all(client, answer, sizeof answer) || server < 0) {
            ::close(client);
            if (server >= 0) ::close(server);
            return;
        }
        relay(client, server);
    }

    void relay(int client, int server) {
        pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
        unsigned char buffer[65536];
        while (!stopping_) {
            if (::poll(fds, 2, 200) < 0) break;
            bool closed = false;
            for (int i = 0; i < 2 && !closed; ++i) {
                if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
                const ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
                closed = n <= 0 || !write_all(fds[1 - i].fd, buffer, static_cast<std::size_t>(n));
            }
            if (closed) break;
        }
        ::close(client);
        ::close(server);
    }

    std::map<std::string, unsigned short> names_;
    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::vector<std::string> requests_;
    std::vector<std::thread> sessions_;
    std::thread acceptor_;
};

// A shell command started in the background, its outputs in files; its pid is the program's own
// (exec), so that a signal reaches it and not a shell.
class Background {
  public:
    Background(const std::string& command, const fs::path& out, const fs::path& err) {
        pid_ = ::fork();
        if (pid_ == 0) {
            const std::string line = "exec " + command + " >" + q(out) + " 2>" + q(err);
            ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~Background() {
        if (!waited_) {
            ::kill(pid_, SIGKILL);
            wait();
        }
    }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    void signal(int sig) { ::kill(pid_, sig); }
    pid_t pid() const noexcept { return pid_; }
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        waited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

  private:
    pid_t pid_ = -1;
    bool waited_ = false;
};

}  // namespace

TEST_CASE("seal --out - writes the envelope to standard output, and no file named '-'",
          "[conventions_client]") {
    Keys k;
    const auto r = run_command("cd " + q(k.dir.path()) + " && " + submit() + " seal --to " +
                                   q(k.pub) + " --out - > tip.env",
                               "to standard output");
    REQUIRE(r.exit_code == 0);
    CHECK_FALSE(fs::exists(k.dir / "-"));
    const auto opened = run_command(responder_tool() + " open " + q(k.dir / "tip.env") +
                                    k.unlock() + " --out " + q(k.dir / "opened"));
    REQUIRE(opened.exit_code == 0);
    CHECK(text_of(k.dir / "opened" / "message.txt") == "to standard output");
}

TEST_CASE("seal and reply write to a device or a pipe, and an existing file only with --force",
          "[conventions_client]") {
    Keys k;
    const std::string seal = submit() + " seal --to " + q(k.pub);
    const auto to_null = run_command(seal + " --out /dev/null", "gone");
    CHECK(to_null.exit_code == 0);
    CHECK_FALSE(contains(to_null.err, "already exists"));
    // /dev/stdout is the descriptor the shell opened: a pipe here.
    const auto piped = run_command(seal + " --out /dev/stdout | wc -c", "counted");
    CHECK(piped.exit_code == 0);
    CHECK(std::stoul(piped.out) > 1000);

    REQUIRE(::mkfifo((k.dir / "fifo").c_str(), 0600) == 0);
    const auto through_fifo =
        run_command("cat " + q(k.dir / "fifo") + " > " + q(k.dir / "from-fifo.env") + " & " + seal +
                        " --out " + q(k.dir / "fifo") + "; wait",
                    "through a named pipe");
    CHECK(through_fifo.exit_code == 0);
    CHECK(fs::is_fifo(k.dir / "fifo"));  // written through, not replaced
    const auto opened = run_command(responder_tool() + " open " + q(k.dir / "from-fifo.env") +
                                    k.unlock() + " --out " + q(k.dir / "opened"));
    CHECK(opened.exit_code == 0);

    write_file(k.dir / "taken.env", std::string("keep me"));
    const auto refused = run_command(seal + " --out " + q(k.dir / "taken.env"), "x");
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.err, "already exists"));
    CHECK(text_of(k.dir / "taken.env") == "keep me");
    CHECK(run_command(seal + " --force --out " + q(k.dir / "taken.env"), "x").exit_code == 0);
    CHECK(text_of(k.dir / "taken.env") != "keep me");

    const auto folder = run_command(seal + " --out " + q(k.dir.path()), "x");
    CHECK(folder.exit_code == 2);
    CHECK(contains(folder.err, "is a folder"));
}

TEST_CASE("open - reads standard input, redirected or piped, and never a file named '-'",
          "[conventions_client]") {
    Keys k;
    write_file(k.dir / "tip.env", seal_with_attachment(k, 100000));
    write_file(k.dir / "bundle", bundle_of(read_file(k.dir / "tip.env"), 3));
    // A file called '-' in the working folder, which must not be what is read.
    write_file(k.dir / "-", std::string("not an envelope"));
    const std::string in_dir = "cd " + q(k.dir.path()) + " && ";

    const auto redirected = run_command(in_dir + responder_tool() + " open -" + k.unlock() +
                                        " --out redirected < tip.env");
    INFO(redirected.err);
    CHECK(redirected.exit_code == 0);
    const bool whole = read_file(k.dir / "redirected" / "evidence.bin") == pattern_bytes(100000, 7);
    CHECK(whole);

    const auto piped = run_command(in_dir + "cat bundle | " + responder_tool() + " open -" +
                                   k.unlock() + " --out piped");
    INFO(piped.err);
    CHECK(piped.exit_code == 0);
    CHECK(contains(piped.out, "3 opened, 0 for other keys, 0 damaged"));
    CHECK(complete_tip_folders(k.dir / "piped") == 3);

    // The same input twice, and a terminal, are refused before anything is read.
    const auto twice =
        run_command(in_dir + responder_tool() + " open - --key - --passphrase-file " + q(k.pass) +
                    " --out twice < tip.env");
    CHECK(twice.exit_code == 2);
    CHECK(contains(twice.err, "standard input can be read only once"));
    CHECK_FALSE(fs::exists(k.dir / "twice"));

    // The key from standard input, the passphrase from a file.
    const auto key_piped =
        run_command(in_dir + "cat " + q(k.key) + " | " + responder_tool() +
                    " open tip.env --key - --passphrase-file " + q(k.pass) + " --out key-piped");
    CHECK(key_piped.exit_code == 0);

    // The message of tipline-submit and of a reply from standard input by '-'.
    const auto message = run_command(
        submit() + " seal --to " + q(k.pub) + " --message-file - --out " + q(k.dir / "m.env"),
        "by dash");
    REQUIRE(message.exit_code == 0);
    CHECK(run_command(responder_tool() + " open " + q(k.dir / "m.env") + k.unlock() + " --out " +
                      q(k.dir / "m"))
              .exit_code == 0);
    CHECK(text_of(k.dir / "m" / "message.txt") == "by dash");
    // A public key by '-'.
    const auto fingerprint = run_command(responder_tool() + " fingerprint - < " + q(k.pub));
    CHECK(fingerprint.exit_code == 0);
    CHECK(fingerprint.out == run_command(responder_tool() + " fingerprint " + q(k.pub)).out);
}

TEST_CASE("'-' where a file or a folder is needed is a usage error that says why",
          "[conventions_client]") {
    Keys k;
    const auto keygen =
        run_command("cd " + q(k.dir.path()) + " && " + responder_tool() +
                    " keygen --kdf interactive --out - --passphrase-file " + q(k.pass));
    CHECK(keygen.exit_code == 2);
    CHECK(contains(keygen.err, "--out takes a file, not '-'"));
    CHECK(contains(keygen.err, "mode 0600"));
    CHECK_FALSE(fs::exists(k.dir / "-"));
    CHECK_FALSE(fs::exists(k.dir / "-.pub"));

    const auto signing = run_command(responder_tool() + " signing-key" + k.unlock() +
                                     " --new-passphrase-file " + q(k.pass) + " --out -");
    CHECK(signing.exit_code == 2);
    CHECK(contains(signing.err, "--out takes a file, not '-'"));

    write_file(k.dir / "tip.env", seal_with_attachment(k, 10));
    const auto folder =
        run_command(responder_tool() + " open " + q(k.dir / "tip.env") + k.unlock() + " --out -");
    CHECK(folder.exit_code == 2);
    CHECK(contains(folder.err, "--out takes a folder, not '-'"));

    const auto attachment = run_command(submit() + " seal --to " + q(k.pub) + " --file -", "x");
    CHECK(attachment.exit_code == 2);
    CHECK(contains(attachment.err, "--file takes a file, not '-'"));

    const auto receipt = run_command(
        submit() + " send --server http://127.0.0.1:9 --to " + q(k.pub) + " --receipt-out -", "x");
    CHECK(receipt.exit_code == 2);
    CHECK(contains(receipt.err, "--receipt-out takes a file, not '-'"));

    const auto both = run_command(submit() + " reply --server http://127.0.0.1:9 --receipt-file -",
                                  "1234 5678 9012 3456 7890\nmessage");
    CHECK(both.exit_code == 2);
    CHECK(contains(both.err, "cannot both come from standard input"));
}

TEST_CASE("a --proxy of HOST:PORT goes through SOCKS5 with the name resolved by the proxy",
          "[conventions_client]") {
    Deployment d;
    ServerProcess server(d.data);
    NameResolvingSocks socks(
        {{"tipline-test.onion", server.port()}, {"responder-test.onion", server.responder_port()}});
    const std::string proxy = "127.0.0.1:" + std::to_string(socks.port());

    // The name cannot be resolved on this machine: only a proxy that resolves it reaches the
    // server.
    const auto sent = run_command(submit() + " send --server http://tipline-test.onion --proxy " +
                                      proxy + " --to " + q(d.pub),
                                  "through the proxy");
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
    CHECK(stored_tips(d.data) == 1);
    const auto requests = socks.requests();
    REQUIRE_FALSE(requests.empty());
    for (const std::string& r : requests) CHECK(r == "tipline-test.onion:80");

    const auto fetched =
        run_command(responder_tool() + " fetch --server http://responder-test.onion --proxy " +
                    proxy + " --key " + q(d.key) + " --passphrase-file " + q(d.pass) + " --out " +
                    q(d.dir / "one.bundle"));
    INFO(fetched.err);
    CHECK(fetched.exit_code == 0);
    CHECK(contains(fetched.out, "fetched 1 items"));

    // socks5h:// as it is; socks5:// would resolve the name here, and is refused.
    const auto explicit_h =
        run_command(submit() + " check --server http://tipline-test.onion --proxy socks5h://" +
                        proxy + " --receipt-file -",
                    "1234 5678 9012 3456 7890\n");
    CHECK_FALSE(contains(explicit_h.err, "--proxy"));
    CHECK_FALSE(contains(explicit_h.err, "cannot reach"));
    const std::size_t before = socks.requests().size();
    const auto leaky = run_command(submit() +
                                       " send --server http://tipline-test.onion --proxy "
                                       "socks5://" +
                                       proxy + " --to " + q(d.pub),
                                   "x");
    CHECK(leaky.exit_code == 2);
    CHECK(contains(leaky.err, "would have this machine look up the server's name"));
    CHECK(contains(leaky.err, "socks5h://HOST:PORT"));
    for (const char* garbage :
         {"127.0.0.1", "http://127.0.0.1:9050", "127.0.0.1:99999", "socks5h://", ":9050"}) {
        const auto refused =
            run_command(responder_tool() + " push --server http://x.onion --proxy '" +
                        std::string(garbage) + "' --key " + q(d.key) + " nothing.reply");
        INFO(garbage);
        CHECK(refused.exit_code == 2);
        CHECK(contains(refused.err, "is not the address of a SOCKS proxy"));
        CHECK(contains(refused.err, "HOST:PORT or socks5h://HOST:PORT"));
    }
    CHECK(socks.requests().size() == before);  // none of them reached the proxy
}

TEST_CASE("a key file of the wrong kind is named, exit 2, before any passphrase is asked for",
          "[conventions_client]") {
    Keys k;
    TempDir d;
    write_file(d / "tip.env", seal_with_attachment(k, 10));
    write_file(d / "receipt.txt", std::string("1234 5678 9012 3456 7890\n"));
    write_file(d / "notes.txt", std::string("shopping list\n"));
    REQUIRE(run_command(responder_tool() + " signing-key" + k.unlock() + " --new-passphrase-file " +
                        q(k.pass) + " --out " + q(d / "online.key"))
                .exit_code == 0);
    REQUIRE(run_command(responder_tool() + " org keygen --kdf interactive --out " +
                        q(d / "org.key") + " --passphrase-file " + q(k.pass))
                .exit_code == 0);
    // No terminal and no passphrase option: a tool that asked would say there is no terminal.
    const auto without_passphrase = [&](const std::string& args) {
        return run_command("setsid -w " + responder_tool() + " " + args + " </dev/null");
    };
    const std::string open = "open " + q(d / "tip.env") + " --out " + q(d / "o") + " --key ";
    struct Case {
        std::string args;
        std::string error;
        std::string hint;
    };
    const std::vector<Case> cases = {
        {open + q(k.pub), "is a public key file, not a secret key file", "not PATH.pub"},
        {open + q(d / "org.key.pub"), "is the organisation's public key, not a secret key file",
         "not PATH.pub"},
        {open + q(d / "tip.env"), "is not a secret key file", "it is a sealed tip"},
        {open + q(d / "receipt.txt"), "is not a secret key file", "it holds a receipt"},
        {open + q(d / "notes.txt"), "is not a secret key file", "'tipline-responder keygen' wrote"},
        {open + q(d / "online.key"), "is a signing-only key, for the online machine",
         "use the full key file"},
        {open + q(d / "org.key"), "is the organisation's key, not a responder's", "org sign"},
        {"conversations --key " + q(d / "online.key"), "is a signing-only key", "full key file"},
        {"org sign --key " + q(k.key) + " --responder " + q(k.pub) + " --serial 1 --out " +
             q(d / "x.list"),
         "is a responder's key, not the organisation's", "org keygen"},
        {"fingerprint " + q(k.key), "is a secret key file, not a public key", "PATH.pub"},
        {"fingerprint " + q(d / "org.key.pub"),
         "is the organisation's public key, not a "
         "responder's",
         "org fingerprint"},
        {"org fingerprint " + q(k.pub), "is a responder's public key, not the organisation's",
         "'tipline-responder fingerprint'"},
    };
    for (const Case& c : cases) {
        const auto r = without_passphrase(c.args);
        INFO(c.args << "\n" << r.err);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "tipline-responder: error: '"));
        CHECK(contains(r.err, c.error));
        CHECK(contains(r.err, "hint: "));
        CHECK(contains(r.err, c.hint));
        CHECK_FALSE(contains(r.err, "passphrase"));
    }
    CHECK_FALSE(fs::exists(d / "o"));
    const auto to_envelope =
        run_command(submit() + " seal --to " + q(d / "tip.env") + " --out " + q(d / "x"), "x");
    CHECK(to_envelope.exit_code == 2);
    CHECK(contains(to_envelope.err, "is not a public key"));
    CHECK(contains(to_envelope.err, "it is a sealed tip"));
    // A damaged key file is still a failed decryption (exit 1), as the README's table says.
    Bytes cut = read_file(k.key);
    cut.resize(100);
    write_file(d / "cut.key", cut);
    const auto damaged = without_passphrase(open + q(d / "cut.key"));
    CHECK(damaged.exit_code == 1);
    CHECK(contains(damaged.err, "input is truncated"));
}

TEST_CASE("Ctrl-C in the middle of a bundle says how many tips stay, and they are on disk",
          "[conventions_client]") {
    Keys k;
    constexpr std::size_t tips = 60;
    write_file(k.dir / "many.bundle", bundle_of(seal_with_attachment(k, 2 * 1024 * 1024), tips));
    const fs::path out = k.dir / "opened";
    Background opening("env XDG_DATA_HOME=" + q(k.dir.path()) + " " + responder_tool() + " open " +
                           q(k.dir / "many.bundle") + k.unlock() + " --out " + q(out),
                       k.dir / "out.txt", k.dir / "err.txt");
    REQUIRE(eventually([&] { return complete_tip_folders(out) >= 3; }));
    opening.signal(SIGINT);
    const int rc = opening.wait();
    const std::string err = text_of(k.dir / "err.txt");
    const std::string printed = text_of(k.dir / "out.txt");
    INFO(err);
    CHECK(rc == 2);
    std::smatch m;
    REQUIRE(std::regex_search(err, m,
                              std::regex("tipline-responder: error: interrupted: ([0-9]+) of "
                                         "([0-9]+) tips were opened into '(.*)' and stay there(; "
                                         "the tip being opened was removed)?\n")));
    const std::size_t said = std::stoul(m[1].str());
    CHECK(std::stoul(m[2].str()) == tips);
    CHECK(m[3].str() == out.string());
    CHECK(said >= 3);
    CHECK(said < tips);
    // What is on disk is exactly what it said: that many whole tips, and nothing else.
    std::size_t folders = 0;
    for (const auto& e : fs::directory_iterator(out)) {
        INFO(e.path());
        CHECK_FALSE(e.path().filename().string().starts_with("."));
        REQUIRE(e.is_directory());
        ++folders;
        const bool whole =
            read_file(e.path() / "evidence.bin") == pattern_bytes(2 * 1024 * 1024, 7);
        CHECK(whole);
        CHECK(fs::exists(e.path() / "info.txt"));
    }
    CHECK(folders == said);
    std::size_t lines = 0;
    for (std::size_t at = printed.find("opened "); at != std::string::npos;
         at = printed.find("opened ", at + 1))
        ++lines;
    CHECK(lines == said);
    CHECK(contains(err, "hint: to open the rest, open the bundle again into a new folder"));
}

TEST_CASE("Ctrl-C while sealing into a file leaves nothing behind", "[conventions_client]") {
    Keys k;
    // A sparse file: large to seal, small on disk.
    const fs::path big = k.dir / "big.bin";
    { std::ofstream(big) << ""; }
    fs::resize_file(big, std::uintmax_t{256} << 20);
    write_file(k.dir / "message.txt", std::string("message"));
    Background sealing(submit() + " seal --keep-metadata --to " + q(k.pub) + " --file " + q(big) +
                           " --message-file " + q(k.dir / "message.txt") + " --out " +
                           q(k.dir / "tip.env"),
                       k.dir / "out.txt", k.dir / "err.txt");
    const auto partial = [&] {
        for (const auto& e : fs::directory_iterator(k.dir.path()))
            if (e.path().filename().string().starts_with("tip.env")) return true;
        return false;
    };
    REQUIRE(eventually(partial));
    sealing.signal(SIGINT);
    CHECK(sealing.wait() == 2);
    const std::string err = text_of(k.dir / "err.txt");
    INFO(err);
    CHECK(contains(err, "tipline-submit: error: interrupted; nothing was kept"));
    CHECK_FALSE(partial());
}

// Whether any file under dir holds these bytes: plaintext left behind.
bool any_file_holds(const fs::path& dir, const Bytes& needle) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        const Bytes b = read_file(e.path());
        if (std::search(b.begin(), b.end(), needle.begin(), needle.end()) != b.end()) return true;
    }
    return false;
}

std::size_t entries_in(const fs::path& dir) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
        ++n;
    return n;
}

TEST_CASE("Ctrl-C during export leaves no decrypted file and no folder behind",
          "[conventions_client]") {
    Keys k;
    constexpr std::size_t size = 192u << 20;
    write_file(k.dir / "big.bundle", bundle_of(seal_with_attachment(k, size), 1));
    const std::string store = " --store " + q(k.dir / "store");
    const auto imported =
        run_command(responder_tool() + " import " + q(k.dir / "big.bundle") + k.unlock() + store);
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    const auto listed = run_command(responder_tool() + " conversations" + k.unlock() + store);
    REQUIRE(listed.exit_code == 0);
    const std::string conversation = listed.out.substr(0, listed.out.find('\t'));
    REQUIRE(conversation.size() >= 8);

    const fs::path out = k.dir / "export";
    Background exporting(
        responder_tool() + " export " + conversation + k.unlock() + store + " --out " + q(out),
        k.dir / "out.txt", k.dir / "err.txt");
    // The attachment's decrypted bytes have begun to reach the folder.
    REQUIRE(eventually([&] { return entries_in(out) > 0; }));
    exporting.signal(SIGINT);
    CHECK(exporting.wait() == 2);
    const std::string err = text_of(k.dir / "err.txt");
    INFO(err);
    CHECK(contains(err,
                   "tipline-responder: error: interrupted: nothing was exported, and no "
                   "decrypted file stays in '" +
                       out.string() + "'"));
    CHECK_FALSE(fs::exists(fs::symlink_status(out)));
    const Bytes plain = pattern_bytes(size, 7);
    CHECK_FALSE(any_file_holds(k.dir.path(),
                               Bytes(plain.begin() + (1 << 20), plain.begin() + (1 << 20) + 4096)));

    // Into an empty folder that was there before: the folder stays, empty.
    fs::create_directory(out);
    Background again(
        responder_tool() + " export " + conversation + k.unlock() + store + " --out " + q(out),
        k.dir / "out.txt", k.dir / "err.txt");
    REQUIRE(eventually([&] { return entries_in(out) > 0; }));
    again.signal(SIGINT);
    CHECK(again.wait() == 2);
    CHECK(fs::is_directory(out));
    CHECK(entries_in(out) == 0);

    // Not interrupted, the same export is whole.
    const auto exported = run_command(responder_tool() + " export " + conversation + k.unlock() +
                                      store + " --out " + q(out));
    INFO(exported.err);
    REQUIRE(exported.exit_code == 0);
    CHECK(read_file(out / "evidence.bin") == plain);
}

TEST_CASE("Ctrl-C during import rolls back the bundle under way and keeps the ones before",
          "[conventions_client]") {
    Keys k;
    const Bytes envelope = seal_with_attachment(k, 2 * 1024 * 1024);
    write_file(k.dir / "first.bundle", bundle_of(envelope, 2));
    constexpr std::size_t tips = 60;
    write_file(k.dir / "second.bundle", bundle_of(envelope, tips, 100));
    const std::string store = " --store " + q(k.dir / "store");
    Background importing(responder_tool() + " import " + q(k.dir / "first.bundle") + " " +
                             q(k.dir / "second.bundle") + k.unlock() + store,
                         k.dir / "out.txt", k.dir / "err.txt");
    // The first bundle's two attachments and three of the second's are in the store's folder.
    REQUIRE(eventually([&] { return entries_in(k.dir / "store" / "files") >= 5; }));
    importing.signal(SIGINT);
    CHECK(importing.wait() == 2);
    const std::string err = text_of(k.dir / "err.txt");
    INFO(err);
    CHECK(contains(err, "tipline-responder: error: interrupted: nothing of '" +
                            (k.dir / "second.bundle").string() +
                            "' was added to the case store; 1 of 2 bundles were imported before "
                            "it"));
    CHECK(contains(err, "hint: import the rest again: what is in the store already is skipped"));

    // What it said: the first bundle's two conversations, and none of the second's.
    const auto listed = run_command(responder_tool() + " conversations" + k.unlock() + store);
    INFO(listed.err);
    REQUIRE(listed.exit_code == 0);
    CHECK(std::count(listed.out.begin(), listed.out.end(), '\n') == 2);
    const auto again = run_command(responder_tool() + " import " + q(k.dir / "first.bundle") + " " +
                                   q(k.dir / "second.bundle") + k.unlock() + store);
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(contains(again.out, "imported 60 new, 2 already in the store"));
}

// Whether a process has a child process running (for a safe copy: its sandbox).
bool has_child(pid_t pid) {
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(e.path() / "stat");
        std::string line;
        std::getline(stat, line);
        const std::size_t close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        std::string state;
        pid_t parent = 0;
        rest >> state >> parent;
        if (parent == pid) return true;
    }
    return false;
}

TEST_CASE("Ctrl-C during safe-copy keeps the copies made and says how many",
          "[conventions_client]") {
    Keys k;
    constexpr std::size_t documents = 6;
    std::string files;
    for (std::size_t i = 0; i < documents; ++i) {
        const fs::path pdf = k.dir / ("doc" + std::to_string(i) + ".pdf");
        REQUIRE(run_command("/usr/bin/gm convert -size 600x800 xc:white xc:blue xc:red xc:green " +
                            q(pdf))
                    .exit_code == 0);
        files += " --file " + q(pdf);
    }
    write_file(k.dir / "message.txt", std::string("documents"));
    REQUIRE(run_command(submit() + " seal --keep-metadata --to " + q(k.pub) + files +
                        " --message-file " + q(k.dir / "message.txt") + " --out " +
                        q(k.dir / "tip.env"))
                .exit_code == 0);
    write_file(k.dir / "docs.bundle", bundle_of(read_file(k.dir / "tip.env"), 1));
    const std::string store = " --store " + q(k.dir / "store");
    REQUIRE(
        run_command(responder_tool() + " import " + q(k.dir / "docs.bundle") + k.unlock() + store)
            .exit_code == 0);
    const auto listed = run_command(responder_tool() + " conversations" + k.unlock() + store);
    const std::string conversation = listed.out.substr(0, listed.out.find('\t'));

    Background copying(responder_tool() + " safe-copy " + conversation + k.unlock() + store,
                       k.dir / "out.txt", k.dir / "err.txt");
    REQUIRE(eventually([&] { return has_child(copying.pid()); }));  // the first conversion
    copying.signal(SIGINT);
    CHECK(copying.wait() == 2);
    const std::string err = text_of(k.dir / "err.txt");
    INFO(err);
    std::smatch m;
    REQUIRE(std::regex_search(err, m,
                              std::regex("tipline-responder: error: interrupted: ([0-9]+) safe "
                                         "copies were made and kept; the attachments after them "
                                         "have none yet\n")));
    const std::size_t said = std::stoul(m[1].str());
    CHECK(said < documents);
    CHECK(contains(err, "hint: run safe-copy again to make the others"));
    // What it said is what the store holds, and the next run makes the rest.
    const auto shown = run_command(responder_tool() + " show " + conversation + k.unlock() + store);
    REQUIRE(shown.exit_code == 0);
    std::size_t copies = 0;
    for (std::size_t at = shown.out.find("safe copy: application/pdf"); at != std::string::npos;
         at = shown.out.find("safe copy: application/pdf", at + 1))
        ++copies;
    CHECK(copies == said);
    const auto rest =
        run_command(responder_tool() + " safe-copy " + conversation + k.unlock() + store);
    INFO(rest.err);
    CHECK(rest.exit_code == 0);
    CHECK(contains(rest.out, std::to_string(documents - said) + " safe copies made, 0 failed"));
}
