// The real tipline-responder and tipline-submit binaries: outputs, exit codes and error messages.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <regex>

#include "responder_keys.hpp"
#include "support.hpp"
#include "tipline/crypto/keys.hpp"

using namespace tipline::test;
namespace fs = std::filesystem;

namespace {

// Every stderr line is "TOOL: error: ...", "TOOL: warning: ..." or "hint: ...", lowercase, no final
// period.
void check_message_style(const std::string& err, const std::string& tool) {
    // In the classic locale, whatever global locale a library in this process has set since.
    std::regex line_re;
    line_re.imbue(std::locale::classic());
    line_re.assign("^(" + tool +
                   ": (error|warning): [a-z'\"-].*[^.]|hint: [a-z].*[^.]|sealing to .*)$");
    std::size_t at = 0;
    while (at < err.size()) {
        const auto nl = err.find('\n', at);
        const std::string line = err.substr(at, nl - at);
        INFO("stderr line: " << line);
        CHECK(std::regex_match(line, line_re));
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
}

}  // namespace

TEST_CASE("keygen writes a private key file and a public key, and never overwrites silently",
          "[cli]") {
    TempDir d;
    const fs::path key = d / "responder.key", pass = d / "pass";
    write_file(pass, std::string("a long enough passphrase\n"));
    const std::string keygen = responder_tool() + " keygen --kdf interactive --out " + q(key) +
                               " --passphrase-file " + q(pass);
    REQUIRE(run_command(keygen).exit_code == 0);
    struct stat st {};
    REQUIRE(::stat(key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const Bytes pub = read_file(d / "responder.key.pub");
    CHECK(std::string(pub.begin(), pub.end()).starts_with("tipline-pk1-"));
    const Bytes before = read_file(key);

    auto again = run_command(keygen);
    CHECK(again.exit_code == 2);
    CHECK(again.err.find("already exists") != std::string::npos);
    check_message_style(again.err, "tipline-responder");
    CHECK(read_file(key) == before);

    auto forced = run_command(keygen + " --force");
    CHECK(forced.exit_code == 0);
    CHECK(read_file(key) != before);
    REQUIRE(::stat(key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("keygen --force replaces both files or neither", "[cli]") {
    Keys k;
    const Bytes key_before = read_file(k.key), pub_before = read_file(k.pub);
    fs::remove(k.pub);
    fs::create_directory(k.pub);  // the second replacement must fail
    auto r = run_command(responder_tool() + " keygen --kdf interactive --force --out " + q(k.key) +
                         " --passphrase-file " + q(k.pass));
    CHECK(r.exit_code == 2);
    CHECK(read_file(k.key) == key_before);
    CHECK(fs::is_directory(k.pub));
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(k.dir.path()))
        files += e.is_regular_file() ? 1U : 0U;
    CHECK(files == 2);  // key and pass: no temporary or backup file is left behind
}

TEST_CASE("a failed seal leaves no partial envelope", "[cli]") {
    Keys k;
    write_file(k.dir / "big.bin", pattern_bytes(3 * 1024 * 1024));
    // ulimit -f counts 1024-byte blocks: the write fails with EFBIG once the envelope passes 1 MiB.
    auto r = run_command("trap '' XFSZ; ulimit -f 1024; " + submit() + " seal --to " + q(k.pub) +
                             " --file " + q(k.dir / "big.bin") + " --out " + q(k.dir / "out.env"),
                         "message");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cannot write") != std::string::npos);
    for (const auto& e : fs::directory_iterator(k.dir.path()))
        CHECK_FALSE(e.path().filename().string().starts_with("out.env"));
}

TEST_CASE("a named pipe is refused instead of read", "[cli]") {
    TempDir d;
    REQUIRE(::mkfifo((d / "fifo").c_str(), 0600) == 0);
    auto r = run_command("timeout 10 " + responder_tool() + " fingerprint " + q(d / "fifo"));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("is not a regular file") != std::string::npos);
}

TEST_CASE("a passphrase of 1024 bytes is taken with either line ending, and 1025 are refused",
          "[cli]") {
    TempDir d;
    const std::string longest(1024, 'p');
    const auto keygen = [&](const std::string& name, const std::string& line) {
        write_file(d / (name + ".pass"), line);
        return run_command(responder_tool() + " keygen --kdf interactive --out " + q(d / name) +
                           " --passphrase-file " + q(d / (name + ".pass")));
    };
    CHECK(keygen("unix", longest + "\n").exit_code == 0);
    CHECK(keygen("windows", longest + "\r\n").exit_code == 0);
    CHECK(keygen("none", longest).exit_code == 0);
    const auto refused = keygen("long", longest + "p\r\n");
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("longer than 1024 bytes") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(d / "long"));
    // The key made with a \r\n line opens with the same passphrase given without one.
    write_file(d / "plain.pass", longest + "\n");
    CHECK(run_command(responder_tool() + " signing-key --key " + q(d / "windows") +
                      " --passphrase-file " + q(d / "plain.pass") + " --new-passphrase-file " +
                      q(d / "plain.pass") + " --out " + q(d / "online"))
              .exit_code == 0);
}

TEST_CASE("tiplined init refuses a responder key of small order, which no tip could be sealed to",
          "[cli]") {
    TempDir d;
    auto id = tipline::crypto::SecretIdentity::generate().public_identity;
    id.box = {};
    write_file(d / "zero.pub", tipline::crypto::encode_public_key(id) + "\n");
    const auto r = run_command(tool("server/tiplined") + " init " + q(d / "data") +
                               " --responder " + q(d / "zero.pub"));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("is not a valid tipline public key: input is malformed") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(d / "data"));
}

TEST_CASE("tiplined init sets a quota from the free space, so tips never fill the disk", "[cli]") {
    TempDir d;
    write_file(d / "pass", std::string("init quota test"));
    REQUIRE(run_command(responder_tool() + " keygen --kdf interactive --out " + q(d / "k") +
                        " --passphrase-file " + q(d / "pass"))
                .exit_code == 0);
    const auto r = run_command(tool("server/tiplined") + " init " + q(d / "data") +
                               " --responder " + q(d / "k.pub"));
    REQUIRE(r.exit_code == 0);
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, std::regex("quota_bytes = ([0-9]+) \\(80% of the space")));
    const std::uint64_t quota = std::stoull(m[1].str());
    const auto free_bytes = std::filesystem::space(d.path()).available;
    CHECK(quota > 0);
    CHECK(quota <= free_bytes);
    const Bytes conf = read_file(d / "data" / "tiplined.conf");
    CHECK(std::string(conf.begin(), conf.end()).find("\nquota_bytes = " + m[1].str() + "\n") !=
          std::string::npos);
}

TEST_CASE("keygen reads the passphrase from a descriptor", "[cli]") {
    TempDir d;
    write_file(d / "pass", std::string("from a descriptor"));
    auto r = run_command(responder_tool() + " keygen --kdf interactive --out " + q(d / "k") +
                         " --passphrase-fd 3 3<" + q(d / "pass"));
    CHECK(r.exit_code == 0);
    CHECK(fs::exists(d / "k.pub"));
}

TEST_CASE("fingerprint prints five groups and rejects a bad key", "[cli]") {
    Keys k;
    auto r = run_command(responder_tool() + " fingerprint " + q(k.pub));
    CHECK(r.exit_code == 0);
    CHECK(std::regex_match(r.out, std::regex("[0-9]{5}( [0-9]{5}){4}\n")));
    const Bytes text = read_file(k.pub);
    auto by_text = run_command(responder_tool() + " fingerprint '" +
                               std::string(text.begin(), text.end() - 1) + "'");
    CHECK(by_text.out == r.out);

    write_file(k.dir / "bad.pub", std::string("tipline-pk1-AAAA\n"));
    auto bad = run_command(responder_tool() + " fingerprint " + q(k.dir / "bad.pub"));
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("not a valid tipline public key") != std::string::npos);
    check_message_style(bad.err, "tipline-responder");
}

TEST_CASE("a sealed tip with files opens to the exact message and files", "[cli]") {
    Keys k;
    const Bytes photo = pattern_bytes(150000, 9);
    write_file(k.dir / "photo.jpg", photo);
    write_file(k.dir / "notes.txt", std::string("second file\n"));
    const std::string message = "목격한 내용을 적습니다.\n我看到了。\n";
    auto sealed = run_command(submit() + " seal --lang ko --to " + q(k.pub) + " --file " +
                                  q(k.dir / "photo.jpg") + " --file " + q(k.dir / "notes.txt") +
                                  " > " + q(k.dir / "tip.env"),
                              message);
    REQUIRE(sealed.exit_code == 0);
    check_message_style(sealed.err, "tipline-submit");
    CHECK(sealed.err.find("tipline-submit: warning: '" + (k.dir / "photo.jpg").string() +
                          "' keeps its metadata") != std::string::npos);

    auto opened =
        run_command(responder_tool() + " open " + q(k.dir / "tip.env") + " --key " + q(k.key) +
                    " --passphrase-file " + q(k.pass) + " --out " + q(k.dir / "out"));
    REQUIRE(opened.exit_code == 0);
    const Bytes got = read_file(k.dir / "out" / "message.txt");
    CHECK(std::string(got.begin(), got.end()) == message);
    CHECK(read_file(k.dir / "out" / "photo.jpg") == photo);
    CHECK(fs::exists(k.dir / "out" / "notes.txt"));
    CHECK(opened.out.find("language: ko") != std::string::npos);
}

TEST_CASE("each failure of open has its exit code and message", "[cli]") {
    Keys k, other;
    write_file(k.dir / "m", std::string("hello"));
    REQUIRE(run_command(submit() + " seal --to " + q(k.pub) + " --message-file " + q(k.dir / "m") +
                        " --out " + q(k.dir / "tip.env"))
                .exit_code == 0);
    const std::string open_prefix = responder_tool() + " open ";

    SECTION("wrong passphrase") {
        write_file(k.dir / "wrong", std::string("not the passphrase\n"));
        auto r =
            run_command(open_prefix + q(k.dir / "tip.env") + " --key " + q(k.key) +
                        " --passphrase-file " + q(k.dir / "wrong") + " --out " + q(k.dir / "o"));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("tipline-responder: error: cannot unlock") == 0);
        check_message_style(r.err, "tipline-responder");
    }
    SECTION("someone else's key") {
        auto r = run_command(open_prefix + q(k.dir / "tip.env") + " --key " + q(other.key) +
                             " --passphrase-file " + q(other.pass) + " --out " + q(k.dir / "o"));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("no key here can open this input") != std::string::npos);
        check_message_style(r.err, "tipline-responder");
    }
    SECTION("truncated envelope") {
        Bytes env = read_file(k.dir / "tip.env");
        env.resize(env.size() - 1);
        write_file(k.dir / "short.env", env);
        auto r = run_command(open_prefix + q(k.dir / "short.env") + " --key " + q(k.key) +
                             " --passphrase-file " + q(k.pass) + " --out " + q(k.dir / "o"));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("input is truncated") != std::string::npos);
        CHECK_FALSE(fs::exists(k.dir / "o"));  // the folder open created is gone again
        check_message_style(r.err, "tipline-responder");
    }
    SECTION("altered envelope") {
        Bytes env = read_file(k.dir / "tip.env");
        env[env.size() - 20] ^= 1;
        write_file(k.dir / "bad.env", env);
        auto r = run_command(open_prefix + q(k.dir / "bad.env") + " --key " + q(k.key) +
                             " --passphrase-file " + q(k.pass) + " --out " + q(k.dir / "o"));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("authentication failed") != std::string::npos);
    }
    SECTION("missing input file") {
        auto r = run_command(open_prefix + q(k.dir / "nope.env") + " --key " + q(k.key) +
                             " --passphrase-file " + q(k.pass) + " --out " + q(k.dir / "o"));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("cannot open") != std::string::npos);
        check_message_style(r.err, "tipline-responder");
    }
    SECTION("output folder not empty") {
        auto r = run_command(open_prefix + q(k.dir / "tip.env") + " --key " + q(k.key) +
                             " --passphrase-file " + q(k.pass) + " --out " + q(k.dir.path()));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("is not empty") != std::string::npos);
    }
}

TEST_CASE("usage errors exit 2", "[cli]") {
    auto none = run_command(responder_tool());
    CHECK(none.exit_code == 2);
    auto unknown = run_command(responder_tool() + " frobnicate");
    CHECK(unknown.exit_code == 2);
    auto no_to = run_command(submit() + " seal", "x");
    CHECK(no_to.exit_code == 2);
    CHECK(no_to.err.find("tipline-submit: error:") == 0);
    auto help = run_command(responder_tool() + " --help");
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Offline") != std::string::npos);

    Keys k;
    auto bad_lang = run_command(
        submit() + " seal --lang 'ko KR' --to " + q(k.pub) + " --out " + q(k.dir / "x.env"), "hi");
    CHECK(bad_lang.exit_code == 2);
    CHECK_FALSE(fs::exists(k.dir / "x.env"));
    auto invalid_utf8 = run_command(
        submit() + " seal --to " + q(k.pub) + " --out " + q(k.dir / "y.env"), "\xC0\xAF");
    CHECK(invalid_utf8.exit_code == 2);
    CHECK(invalid_utf8.err.find("not valid UTF-8") != std::string::npos);
}
