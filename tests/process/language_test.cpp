// tipline-submit in the witness's language against a real tiplined on 127.0.0.1: Korean and
// Simplified Chinese when the environment asks for them, on a system where those locales need not
// be installed (Debian's minimal images have only C, C.UTF-8 and POSIX), and English otherwise.
// The test suites start every tool with LANG=C.UTF-8 and no LANGUAGE (common/main.cpp); each run
// here adds the variables it is about.
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <string>

#include "server_process.hpp"
#include "support.hpp"
#include "tipline/crypto/utf8.hpp"

namespace fs = std::filesystem;
using namespace tipline;
using test::Deployment;
using test::q;
using test::ServerProcess;

namespace {

using test::contains;
using test::submit;

// One tip sent, and what a witness reads back with its receipt, in any language.
struct Tipline {
    Deployment d;
    ServerProcess server{d.data};
    fs::path message = d.dir / "message.txt";
    fs::path junk = d.dir / "junk.txt";  // not a receipt

    Tipline() {
        test::write_file(message, std::string("거래된 여성들이 있습니다. 长白县。\n"));
        test::write_file(junk, std::string("1234 5678\n"));
    }
    // tipline-submit with environment assignments (e.g. "LANG=ko_KR.UTF-8") before it.
    test::CommandResult run(const std::string& env, const std::string& args) const {
        return test::run_command(env + " " + submit() + " " + args);
    }
    test::CommandResult send(const std::string& env, const fs::path& receipt_out) const {
        return run(env, "send --server " + server.url() + " --message-file " + q(message) +
                            " --receipt-out " + q(receipt_out));
    }
    test::CommandResult check(const std::string& env, const fs::path& receipt) const {
        return run(env, "check --server " + server.url() + " --receipt-file " + q(receipt));
    }
};

// What a witness sees of a run is valid UTF-8 throughout.
void check_utf8(const test::CommandResult& r) {
    CHECK(crypto::is_valid_utf8(r.out));
    CHECK(crypto::is_valid_utf8(r.err));
}

}  // namespace

TEST_CASE("tipline-submit speaks Korean when LANG asks for it, installed locale or not",
          "[language][server]") {
    Tipline t;
    const std::string korean = "LANG=ko_KR.UTF-8";

    // A receipt that is not one is refused before anything is read from the mailbox.
    const auto junk = t.check(korean, t.junk);
    INFO("stderr: " << junk.err);
    CHECK(junk.exit_code == 2);
    CHECK(contains(junk.err,
                   "tipline-submit: 오류: 올바른 접수 번호가 아닙니다\n"
                   "도움말: 접수 번호는 숫자 20자리이며, 네 자리씩 나누어 씁니다\n"));
    // The tip line serves no signed list and nothing was pinned: the warning says so in Korean.
    CHECK(contains(junk.err, "tipline-submit: 경고: 지정한 지문이 없습니다."));
    CHECK_FALSE(contains(junk.err, "that is not a receipt"));
    check_utf8(junk);

    // The receipt and its advice, in Korean; the receipt itself is the same digits.
    const fs::path receipt = t.d.dir / "receipt.txt";
    const auto sent = t.send(korean, receipt);
    INFO("send stderr: " << sent.err);
    REQUIRE(sent.exit_code == 0);
    CHECK(std::regex_match(sent.out, std::regex("[0-9a-f]{32}\n")));
    const auto bytes = test::read_file(receipt);
    const std::string digits(bytes.begin(), bytes.end());
    REQUIRE(std::regex_match(digits, std::regex("[0-9]{4}( [0-9]{4}){4}\n")));
    CHECK(contains(sent.err, "  접수 번호:  " + digits.substr(0, 24) + "\n"));
    CHECK(contains(sent.err,
                   "  지금 적어 두고 안전한 곳에 보관하세요. 이 번호는 이번 한 번만 "
                   "보여 드립니다.\n"));
    CHECK(contains(sent.err, "  이 번호를 가진 사람은 누구나 답장을 읽을 수 있습니다.\n"));
    CHECK_FALSE(contains(sent.err, "Your receipt"));
    check_utf8(sent);

    // No reply yet, from the real server's empty mailbox.
    const auto none = t.check(korean, receipt);
    INFO("check stderr: " << none.err);
    CHECK(none.exit_code == 0);
    CHECK(none.out == "아직 답장이 없습니다\n");
    check_utf8(none);

    // LANGUAGE alone chooses too, and ko-KR (as a browser writes it) is Korean as well.
    CHECK(t.check("LANGUAGE=ko", receipt).out == "아직 답장이 없습니다\n");
    CHECK(t.check("LANGUAGE=ko-KR", receipt).out == "아직 답장이 없습니다\n");
    // LC_MESSAGES wins over LANG, and LC_ALL over both.
    CHECK(t.check("LANG=en_US.UTF-8 LC_MESSAGES=ko_KR.UTF-8", receipt).out ==
          "아직 답장이 없습니다\n");
    CHECK(t.check("LANG=zh_CN.UTF-8 LC_ALL=ko_KR.UTF-8", receipt).out == "아직 답장이 없습니다\n");
}

TEST_CASE("tipline-submit speaks Simplified Chinese for zh_CN, zh_SG, zh-Hans and zh",
          "[language][server]") {
    Tipline t;
    const fs::path receipt = t.d.dir / "receipt.txt";
    const auto sent = t.send("LANG=zh_CN.UTF-8", receipt);
    INFO("send stderr: " << sent.err);
    REQUIRE(sent.exit_code == 0);
    const auto bytes = test::read_file(receipt);
    const std::string digits(bytes.begin(), bytes.end());
    CHECK(contains(sent.err, "  您的回执号码：  " + digits.substr(0, 24) + "\n"));
    CHECK(contains(sent.err, "  请现在就把它记下来，并保存在安全的地方。它只显示这一次。\n"));
    check_utf8(sent);

    for (const char* env : {"LANGUAGE=zh_CN", "LANG=zh_CN.UTF-8", "LANG=zh_SG.UTF-8",
                            "LANGUAGE=zh-Hans", "LANGUAGE=zh"}) {
        INFO(env);
        const auto none = t.check(env, receipt);
        INFO("stderr: " << none.err);
        CHECK(none.exit_code == 0);
        CHECK(none.out == "还没有回复\n");
        const auto junk = t.check(env, t.junk);
        CHECK(junk.exit_code == 2);
        CHECK(contains(junk.err,
                       "tipline-submit: 错误: 这不是有效的回执号码\n"
                       "提示: 回执号码是 20 位数字，每四位一组\n"));
        check_utf8(junk);
    }
    // A list: the first language that has a catalog.
    CHECK(t.check("LANGUAGE=fr:zh_CN:ko", receipt).out == "还没有回复\n");
    // Traditional Chinese has no catalog of its own: English, not the Simplified one.
    CHECK(t.check("LANG=zh_TW.UTF-8", receipt).out == "no replies yet\n");
    CHECK(t.check("LANGUAGE=zh_HK", receipt).out == "no replies yet\n");
}

TEST_CASE("tipline-submit speaks English in the C locale, in English and in other languages",
          "[language][server]") {
    Tipline t;
    const fs::path receipt = t.d.dir / "receipt.txt";
    const auto sent = t.send("LANG=C", receipt);
    INFO("send stderr: " << sent.err);
    REQUIRE(sent.exit_code == 0);
    CHECK(contains(sent.err, "  Your receipt:  "));
    CHECK(contains(sent.err, "  Write it down now and keep it somewhere safe."));
    // An explicit C or POSIX locale is English even with LANGUAGE set, as glibc has it.
    for (const char* env : {"LANG=C", "LANG=en_US.UTF-8", "LANG=C.UTF-8", "LANG=fr_FR.UTF-8",
                            "LANG=C LANGUAGE=ko", "LC_ALL=POSIX LANG=ko_KR.UTF-8"}) {
        INFO(env);
        const auto none = t.check(env, receipt);
        INFO("stderr: " << none.err);
        CHECK(none.exit_code == 0);
        CHECK(none.out == "no replies yet\n");
        const auto junk = t.check(env, t.junk);
        CHECK(junk.exit_code == 2);
        CHECK(contains(junk.err,
                       "tipline-submit: error: that is not a receipt\n"
                       "hint: a receipt is 20 digits, written in groups of four\n"));
    }
}

// tipline-responder's words in the responder's language; the lines scripts read stay English.
TEST_CASE("tipline-responder speaks Korean and Chinese when the locale asks, English otherwise",
          "[language]") {
    test::TempDir dir;
    const std::string tool = test::tool("client/tipline-responder");
    const fs::path pass = dir / "pass", key = dir / "responder.key", store = dir / "store";
    test::write_file(pass, std::string("passphrase of the responder\n"));
    const auto made =
        test::run_command("LANG=ko_KR.UTF-8 " + tool + " keygen --kdf interactive --out " + q(key) +
                          " --passphrase-file " + q(pass));
    INFO(made.err);
    REQUIRE(made.exit_code == 0);
    CHECK_FALSE(contains(made.out, "secret key:"));
    CHECK(contains(made.out, key.string()));  // the path, as it is, inside the Korean sentence
    check_utf8(made);
    const std::string store_args =
        " --key " + q(key) + " --passphrase-file " + q(pass) + " --store " + q(store);
    const auto run = [&](const std::string& env, const std::string& args) {
        return test::run_command(env + " " + tool + " " + args + store_args);
    };

    // A usage error and its hint: the words translated, the value typed kept as it was.
    const auto ko = run("LANG=ko_KR.UTF-8", "show zz-not-an-id");
    CHECK(ko.exit_code == 2);
    CHECK(contains(ko.err, "tipline-responder: 오류: "));
    CHECK(contains(ko.err, "zz-not-an-id"));
    CHECK_FALSE(contains(ko.err, "is not a conversation id"));
    check_utf8(ko);
    for (const char* env : {"LANGUAGE=zh_CN", "LANG=zh_SG.UTF-8", "LANGUAGE=zh-Hans"}) {
        INFO(env);
        const auto zh = run(env, "share");
        CHECK(zh.exit_code == 2);
        CHECK(contains(zh.err, "tipline-responder: 错误: "));
        CHECK_FALSE(contains(zh.err, "has no team"));
        check_utf8(zh);
    }
    for (const char* env : {"LANG=C", "LANG=C.UTF-8", "LANG=fr_FR.UTF-8", "LANGUAGE=zh_TW"}) {
        INFO(env);
        const auto en = run(env, "share");
        CHECK(en.exit_code == 2);
        CHECK(contains(en.err, "tipline-responder: error: the case store has no team"));
    }

    // The line scripts read after an import is English in every language.
    const fs::path empty = dir / "empty.bundle";
    std::vector<unsigned char> bundle = {'T', 'I', 'P', 'L', 'N', 'B', 'D', 'L', 0, 1, 0, 0, 0, 0};
    test::write_file(empty, bundle);
    const auto imported = run("LANG=ko_KR.UTF-8", "import " + q(empty));
    INFO(imported.err);
    CHECK(imported.exit_code == 0);
    CHECK(imported.out == "imported 0 new, 0 already in the store\n");
}
