// What every program answers as a Debian user expects (--version, help, man pages, bash
// completion), and tiplined check-config and reload, on the real binaries.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "server_process.hpp"
#include "support.hpp"
#include "tipline/server/config.hpp"

using namespace tipline::test;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> programs{"server/tiplined", "client/tipline-submit",
                                        "client/tipline-responder"};

std::string name_of(const std::string& program) { return fs::path(program).filename().string(); }

// The commands `help` lists for a program or a command: the first word of each line under
// "Subcommands:" or a group heading, as CLI11 prints them.
std::vector<std::string> listed_commands(const std::string& help) {
    std::vector<std::string> out;
    std::istringstream in(help);
    bool in_commands = false;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) {
            in_commands = false;
        } else if (line.back() == ':' && line.front() != ' ' && line != "Options:" &&
                   line != "Positionals:") {
            in_commands = true;
        } else if (in_commands && line.size() > 2 && line.starts_with("  ") && line[2] != ' ') {
            std::istringstream words(line);
            std::string word;
            words >> word;
            if (word.ends_with(',')) word.pop_back();  // "conversations, list": a name and an alias
            out.push_back(word);
        }
    }
    return out;
}

// The generated documents of the build (cmake/TiplineDocs.cmake).
fs::path docs_dir() { return tools_dir().parent_path() / "docs-gen"; }

std::string read_text(const fs::path& path) {
    const Bytes b = read_file(path);
    return {b.begin(), b.end()};
}

// What bash completes for these words, the cursor on the last one.
std::string complete(const std::string& program, const std::vector<std::string>& words,
                     const fs::path& cwd = fs::temp_directory_path()) {
    std::string array;
    for (const std::string& w : words) array += " " + q(w);
    const std::string function = "_" + std::regex_replace(program, std::regex("-"), "_");
    const std::string script = "source " + q(docs_dir() / "completion" / program) +
                               "; COMP_WORDS=(" + array +
                               "); COMP_CWORD=" + std::to_string(words.size() - 1) + "; " +
                               function + "; printf '%s\\n' \"${COMPREPLY[@]}\"";
    TempDir scratch;
    write_file(scratch / "complete.sh", script);
    const auto r = run_command("cd " + q(cwd) + " && bash " + q(scratch / "complete.sh"));
    if (r.exit_code != 0) throw std::runtime_error("completion failed: " + r.err);
    return r.out;
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// tiplined serve on a free port with standard output and error in log; reads the ports back.
struct Served {
    pid_t pid = -1;
    fs::path log;
    unsigned short port = 0;

    Served(const fs::path& data, fs::path log_file) : log(std::move(log_file)) {
        const std::string binary = (tools_dir().parent_path() / "server" / "tiplined").string();
        pid = ::fork();
        if (pid == 0) {
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            ::dup2(fd, STDOUT_FILENO);
            ::dup2(fd, STDERR_FILENO);
            ::execl(binary.c_str(), binary.c_str(), "serve", data.c_str(), "--listen",
                    "127.0.0.1:0", nullptr);
            ::_exit(127);
        }
        REQUIRE(eventually([&] { return listening_lines() >= 1; }));
        std::smatch m;
        const std::string text = read_text(log);
        REQUIRE(std::regex_search(text, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)")));
        port = static_cast<unsigned short>(std::stoi(m[1]));
    }
    ~Served() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
    Served(const Served&) = delete;
    Served& operator=(const Served&) = delete;

    std::size_t listening_lines() const {
        if (!fs::exists(log)) return 0;
        const std::string text = read_text(log);
        std::size_t n = 0;
        for (std::size_t at = 0; (at = text.find("\nlistening on ", at)) != std::string::npos;
             ++at) {
            ++n;
        }
        return n + (text.starts_with("listening on ") ? 1 : 0);
    }
    bool running() const { return ::waitpid(pid, nullptr, WNOHANG) == 0; }
    int stop() {
        ::kill(pid, SIGTERM);
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
};

// A tip through the source API, as a witness's tool sends it; true when the server acknowledged
// it.
bool send_tip(const Deployment& d, unsigned short port, const std::string& message) {
    const std::string answer =
        raw_http(port, tip_request(sealed_envelope(d, message), proof_line(port)));
    return status_of(answer) == 201;
}

std::string conf_text(const Deployment& d) { return read_text(d.data / "tiplined.conf"); }

void append_line(const Deployment& d, const std::string& line) {
    std::ofstream(d.data / "tiplined.conf", std::ios::app) << line << "\n";
}

// 1-based number of the line of text that starts with prefix, or 0.
std::size_t line_of(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    std::size_t n = 1;
    for (std::string line; std::getline(in, line); ++n) {
        if (line.starts_with(prefix)) return n;
    }
    return 0;
}

}  // namespace

TEST_CASE("every program answers --version, -V and help, and refuses a command it lacks",
          "[conventions]") {
    for (const std::string& program : programs) {
        const std::string name = name_of(program);
        INFO(name);
        for (const std::string flag : {" --version", " -V"}) {
            const auto v = run_command(tool(program) + flag);
            CHECK(v.exit_code == 0);
            CHECK(std::regex_match(v.out,
                                   std::regex(name + " \\(Tipline\\) [0-9]+\\.[0-9]+\\.[0-9]+\n")));
        }
        const auto help = run_command(tool(program) + " help");
        CHECK(help.exit_code == 0);
        const auto commands = listed_commands(help.out);
        CHECK(commands.size() >= 4);
        CHECK(std::count(commands.begin(), commands.end(), "help") == 1);
        for (const std::string& command : commands) {
            const auto one = run_command(tool(program) + " help " + command);
            CHECK(one.exit_code == 0);
            CHECK(one.out.find(command) != std::string::npos);
        }
        const auto wrong = run_command(tool(program) + " help no-such-command");
        CHECK(wrong.exit_code == 2);
        CHECK(wrong.err.find("'no-such-command' is not a command of '" + name + "'") !=
              std::string::npos);
        CHECK(wrong.out.empty());
    }
    // Nested: the organisation's commands, and tiplined's list commands.
    const auto sign = run_command(tool("client/tipline-responder") + " help org sign");
    CHECK(sign.exit_code == 0);
    CHECK(sign.out.find("--previous") != std::string::npos);
    CHECK(run_command(tool("server/tiplined") + " help recipients nothing").exit_code == 2);
}

TEST_CASE(
    "a man page for each program and each of its commands, and tiplined.conf(5) with every "
    "key",
    "[conventions]") {
    const fs::path man = docs_dir() / "man";
    REQUIRE(fs::is_directory(man));
    std::set<std::string> pages;
    for (const auto& e : fs::directory_iterator(man)) pages.insert(e.path().filename().string());
    for (const std::string& program : programs) {
        const std::string name = name_of(program);
        const std::string section = name == "tiplined" ? "8" : "1";
        INFO(name);
        CHECK(pages.count(name + "." + section) == 1);
        for (const std::string& command :
             listed_commands(run_command(tool(program) + " help").out)) {
            if (command == "help") continue;
            INFO(command);
            REQUIRE(pages.count(name + "-" + command + "." + section) == 1);
            const std::string page = read_text(man / (name + "-" + command + "." + section));
            // Every option the command's --help lists is in its page.
            const auto help = run_command(tool(program) + " help " + command);
            std::smatch m;
            std::string rest = help.out;
            while (std::regex_search(rest, m, std::regex("--([a-z][a-z-]*)"))) {
                const std::string option = m[1];
                std::string escaped;
                for (char c : option) escaped += c == '-' ? std::string("\\-") : std::string(1, c);
                CHECK(page.find("\\-\\-" + escaped) != std::string::npos);
                rest = m.suffix();
            }
        }
    }
    // Each page is roff that man reads without a warning.
    for (const std::string& page : pages) {
        INFO(page);
        const auto r = run_command("groff -man -ww -z -Tutf8 " + q(man / page));
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
    }
    // tiplined.conf(5): every key, with the default init writes, from the same table.
    const std::string conf = read_text(man / "tiplined.conf.5");
    for (const auto& row : tipline::server::config_key_rows()) {
        INFO(row.name);
        std::string escaped_name, escaped_default;
        for (char c : row.name) escaped_name += c == '-' ? std::string("\\-") : std::string(1, c);
        for (char c : row.default_value)
            escaped_default += c == '-' ? std::string("\\-") : std::string(1, c);
        CHECK(conf.find(".B " + escaped_name + "\n") != std::string::npos);
        CHECK(conf.find("Default: " + escaped_default + ";") != std::string::npos);
    }
}

TEST_CASE("bash completes commands, options and file names from the programs' own tables",
          "[conventions]") {
    TempDir dir;
    write_file(dir / "bundle-1.tlb", std::string("x"));
    CHECK(has_line(complete("tiplined", {"tiplined", "rec"}), "recipients"));
    CHECK(has_line(complete("tiplined", {"tiplined", "recipients", "i"}), "install"));
    CHECK(has_line(complete("tiplined", {"tiplined", "check"}), "check-config"));
    CHECK(has_line(complete("tiplined", {"tiplined", "serve", "--allow"}), "--allow-non-loopback"));
    const std::string submit = complete("tipline-submit", {"tipline-submit", "send", "--"});
    CHECK(has_line(submit, "--expect"));
    CHECK(has_line(submit, "--proxy"));
    CHECK_FALSE(has_line(submit, "--out"));  // seal's, not send's
    CHECK(has_line(complete("tipline-responder", {"tipline-responder", "org", "s"}), "sign"));
    // An alias is a command too, with its command's options.
    CHECK(has_line(complete("tipline-responder", {"tipline-responder", "li"}), "list"));
    CHECK(
        has_line(complete("tipline-responder", {"tipline-responder", "list", "--st"}), "--store"));
    CHECK(has_line(complete("tipline-responder", {"tipline-responder", "help", "tea"}), "team"));
    // A file where a command takes one: open's input, and an option's value.
    CHECK(has_line(complete("tipline-responder", {"tipline-responder", "open", "bun"}, dir.path()),
                   "bundle-1.tlb"));
    CHECK(has_line(
        complete("tipline-responder", {"tipline-responder", "open", "--key", "bun"}, dir.path()),
        "bundle-1.tlb"));
}

TEST_CASE("check-config names the line and the key at fault, and serve refuses the same file",
          "[conventions][config]") {
    Deployment d;
    const std::string tiplined = tool("server/tiplined");
    const auto good = run_command(tiplined + " check-config " + q(d.data));
    CHECK(good.exit_code == 0);
    CHECK(good.out.find("is valid") != std::string::npos);
    const std::string original = conf_text(d);

    struct Fault {
        std::string line;  // appended to the file, or "key=value" replacing a key's line
        bool replace;
        std::string message;
        std::string hint;
    };
    const std::size_t threads_line = line_of(original, "threads =");
    const std::size_t pow_bits_line = line_of(original, "pow_bits =");
    const std::size_t pow_max_line = line_of(original, "pow_max_bits =");
    REQUIRE(original.ends_with('\n'));
    const auto appended =
        static_cast<std::size_t>(std::count(original.begin(), original.end(), '\n')) + 1;
    const std::vector<Fault> faults{
        {"retension_days = 3", false,
         "line " + std::to_string(appended) + ": unknown key 'retension_days'",
         "did you mean 'retention_days'?"},
        {"threads = 65", true,
         "line " + std::to_string(threads_line) + ": threads: 65 is outside 1 to 64", ""},
        {"threads = two", true,
         "line " + std::to_string(threads_line) + ": threads: 'two' is not a whole number", ""},
        {"threads = 3", false,
         "line " + std::to_string(appended) + ": threads is set twice, first on line " +
             std::to_string(threads_line),
         "keep one of the two lines"},
        {"pow_max_bits = 2", true,
         "line " + std::to_string(pow_max_line) + ": pow_max_bits (line " +
             std::to_string(pow_max_line) + ") is smaller than pow_bits (line " +
             std::to_string(pow_bits_line) + ")",
         ""},
        {"listen = \"0.0.0.0:8080\"", true, "listen: refusing to listen on 0.0.0.0", ""},
        {"responder = [\"tipline-pk1-AAAA\"]", true, "responder:", "tipline-pk1-"},
        {"[server]", false, "line " + std::to_string(appended) + ": '[server]' is not a setting",
         ""},
    };
    for (const Fault& f : faults) {
        INFO(f.line);
        std::string text = original;
        if (f.replace) {
            const std::string key = f.line.substr(0, f.line.find(' '));
            text =
                std::regex_replace(text, std::regex("(^|\n)" + key + " = [^\n]*"), "$1" + f.line);
        } else {
            text += f.line + "\n";
        }
        write_file(d.data / "tiplined.conf", text);
        const auto r = run_command(tiplined + " check-config " + q(d.data));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("tiplined: error: '" + (d.data / "tiplined.conf").string() + "'") !=
              std::string::npos);
        CHECK(r.err.find(f.message) != std::string::npos);
        if (!f.hint.empty()) CHECK(r.err.find("hint: ") != std::string::npos);
        if (!f.hint.empty()) CHECK(r.err.find(f.hint) != std::string::npos);
        // serve runs the same check, with the same words, and does not start.
        // (Bounded: a server that wrongly started would otherwise serve until the test ends. The
        // listen address is the file's own here, as it is for an installed tiplined.)
        const auto serve = run_command("timeout 60 " + tiplined + " serve " + q(d.data));
        CHECK(serve.exit_code == 2);
        CHECK(serve.err.find(f.message) != std::string::npos);
        CHECK(serve.out.find("listening") == std::string::npos);
        CHECK(conf_text(d) == text);  // checking changes nothing
    }
    // A list of responders spread over lines is one setting.
    write_file(d.data / "tiplined.conf",
               std::regex_replace(original, std::regex("\nresponder = \\[([^\n]*)\\]"),
                                  "\nresponder = [\n  $1\n]"));
    CHECK(run_command(tiplined + " check-config " + q(d.data)).exit_code == 0);
}

TEST_CASE(
    "on SIGHUP a configuration at fault is refused and the running one serves on, a valid "
    "one is taken up on the same port, and no tip is lost",
    "[conventions][config]") {
    Deployment d;
    const std::string original = conf_text(d);
    Served server(d.data, d.dir / "serve.log");
    REQUIRE(send_tip(d, server.port, "before any reload"));

    // An operator's typo, then a reload: refused, logged with its line, and the server serves on.
    append_line(d, "max_conections = 10");
    ::kill(server.pid, SIGHUP);
    REQUIRE(eventually(
        [&] { return read_text(server.log).find("reload refused") != std::string::npos; }));
    const std::string log = read_text(server.log);
    CHECK(log.find("unknown key 'max_conections'") != std::string::npos);
    CHECK(log.find("did you mean 'max_connections'?") != std::string::npos);
    CHECK(server.running());
    CHECK(send_tip(d, server.port, "after a refused reload"));
    CHECK(server.listening_lines() == 1);

    // The same file, valid again, and unchanged: nothing to do.
    write_file(d.data / "tiplined.conf", original);
    ::kill(server.pid, SIGHUP);
    REQUIRE(eventually(
        [&] { return read_text(server.log).find("valid and unchanged") != std::string::npos; }));
    CHECK(server.listening_lines() == 1);

    // A valid change: the server finishes, starts again with it on the same port, and the tips
    // acknowledged before are all there.
    write_file(d.data / "tiplined.conf",
               std::regex_replace(original, std::regex("\nsite_name = \"\""),
                                  "\nsite_name = \"Reloaded tip line\""));
    ::kill(server.pid, SIGHUP);
    REQUIRE(eventually([&] { return server.listening_lines() == 2; }));
    CHECK(read_text(server.log).find("site_name changed") != std::string::npos);
    CHECK(server.running());
    const std::string page =
        raw_http(server.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(status_of(page) == 200);
    CHECK(body_of(page).find("Reloaded tip line") != std::string::npos);
    CHECK(send_tip(d, server.port, "after the reload"));
    CHECK(server.stop() == 0);
    CHECK(stored_tips(d.data) == 3);
}
