// tiplined.conf (server/src/config.cpp): one table of keys gives the parser, the text `init` writes
// and the table in docs/OPERATIONS.md; each is checked against the others here.
#include "tipline/server/config.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>

#include "support.hpp"

namespace fs = std::filesystem;
using namespace tipline;
using server::Config;

namespace {

// A data folder whose tiplined.conf is text.
struct ConfFolder {
    test::TempDir dir;
    explicit ConfFolder(const std::string& text) { test::write_file(dir / "tiplined.conf", text); }
    Config load() const { return server::load_config(dir.path()); }
};

// The message load_config throws for this text, or "" when it loads.
std::string refusal(const std::string& text) {
    try {
        ConfFolder(text).load();
        return "";
    } catch (const std::runtime_error& e) {
        return e.what();
    }
}

// Every key's value as tiplined.conf writes it.
std::vector<std::string> values(const Config& c) {
    std::vector<std::string> out;
    for (const auto& k : server::config_keys()) out.push_back(k.value(c));
    return out;
}

}  // namespace

TEST_CASE("the text init writes loads back as the defaults, every key once", "[config]") {
    const std::string text = server::default_config_text({"tipline-pk1-a", "tipline-pk1-b"});
    const Config loaded = ConfFolder(text).load();
    Config expected;
    expected.responders = {"tipline-pk1-a", "tipline-pk1-b"};
    CHECK(values(loaded) == values(expected));
    for (const auto& k : server::config_keys()) {
        INFO(k.name);
        std::size_t count = 0;
        for (std::size_t at = 0;
             (at = text.find("\n" + std::string(k.name) + " = ", at)) != std::string::npos; ++at)
            ++count;
        CHECK(count == 1);
    }
    // Without responders the key is left as a comment, for a signed list to stand in.
    const std::string bare = server::default_config_text({});
    CHECK(bare.find("\n# responder = []\n") != std::string::npos);
    CHECK(ConfFolder(bare).load().responders.empty());
}

TEST_CASE("the quota init sets is 80% of the free space in whole MiB, and is written", "[config]") {
    constexpr std::uint64_t MiB = 1024 * 1024;
    CHECK(server::default_quota(100 * MiB) == 80 * MiB);
    CHECK(server::default_quota(100 * MiB + 12345) == 80 * MiB);  // whole MiB, rounded down
    CHECK(server::default_quota(MiB) == 0);  // under 1.25 MiB free: no quota, the disk decides
    const Config loaded =
        ConfFolder(server::default_config_text({"tipline-pk1-a"}, 80 * MiB)).load();
    CHECK(loaded.limits.quota_bytes == 80 * MiB);
}

TEST_CASE("every key is named once and means something", "[config]") {
    std::set<std::string_view> names;
    for (const auto& k : server::config_keys()) {
        INFO(k.name);
        CHECK(names.insert(k.name).second);
        CHECK_FALSE(k.meaning.empty());
        CHECK_FALSE(k.unit.empty());
        if (k.range) CHECK(k.range->first <= k.range->second);
    }
    CHECK(names.size() == server::config_keys().size());
}

TEST_CASE("a value at either end of its range loads, one past it is refused by name", "[config]") {
    for (const auto& k : server::config_keys()) {
        if (!k.range) continue;
        INFO(k.name);
        const std::string name(k.name);
        const auto [low, high] = *k.range;
        // pow_bits and pow_max_bits constrain each other; keep the other one in step.
        const std::string other = name == "pow_bits"       ? "pow_max_bits = 32\n"
                                  : name == "pow_max_bits" ? "pow_bits = 0\n"
                                                           : "";
        CHECK(refusal(other + name + " = " + std::to_string(low) + "\n").empty());
        CHECK(refusal(other + name + " = " + std::to_string(high) + "\n").empty());
        const std::string above = refusal(other + name + " = " + std::to_string(high + 1) + "\n");
        CHECK(above.find(name) != std::string::npos);
        if (low > 0) {
            CHECK(refusal(other + name + " = " + std::to_string(low - 1) + "\n").find(name) !=
                  std::string::npos);
        }
    }
}

TEST_CASE("a typo, a word for a number and limits that contradict each other are refused",
          "[config]") {
    CHECK(refusal("max_conections = 10\n").find("max_conections") != std::string::npos);
    CHECK(refusal("header_timeout_s = soon\n").find("header_timeout_s") != std::string::npos);
    CHECK(refusal("proof_of_work = maybe\n").find("proof_of_work") != std::string::npos);
    CHECK(refusal("inline_bytes = 2000\nenvelope_bytes = 1000\n").find("inline_bytes") !=
          std::string::npos);
    CHECK(refusal("pow_bits = 20\npow_max_bits = 19\n").find("pow_max_bits") != std::string::npos);
    // An unread reply is kept at least as long as a read one.
    CHECK(refusal("retention_days = 200\n").find("unread_reply_days") != std::string::npos);
    CHECK(refusal("retention_days = 200\nunread_reply_days = 200\n").empty());
    test::TempDir empty;
    CHECK_THROWS_AS(server::load_config(empty.path()), std::runtime_error);
}

TEST_CASE("a changed value is read into its own setting and no other", "[config]") {
    const Config c = ConfFolder(
                         "max_connections = 77\nquota_bytes = 5000\n"
                         "proof_of_work = false\nlisten = \"127.0.0.1:9\"\n")
                         .load();
    CHECK(c.limits.max_connections == 77);
    CHECK(c.limits.quota_bytes == 5000);
    CHECK_FALSE(c.limits.proof_of_work);
    CHECK(c.listen == "127.0.0.1:9");
    Config expected;
    expected.limits.max_connections = 77;
    expected.limits.quota_bytes = 5000;
    expected.limits.proof_of_work = false;
    expected.listen = "127.0.0.1:9";
    CHECK(values(c) == values(expected));
}

TEST_CASE("docs/OPERATIONS.md's table of keys is the one the code gives", "[config]") {
    std::ifstream in(fs::path(TIPLINE_SOURCE_DIR) / "docs" / "OPERATIONS.md");
    REQUIRE(in);
    const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string begin = "<!-- configuration keys: begin -->\n";
    const std::string end = "<!-- configuration keys: end -->";
    const auto from = doc.find(begin), to = doc.find(end);
    REQUIRE(from != std::string::npos);
    REQUIRE(to != std::string::npos);
    const std::string table = doc.substr(from + begin.size(), to - from - begin.size());
    // On a difference, the expected table is written beside the test, ready to paste.
    const std::string expected = server::config_keys_markdown();
    if (table != expected) {
        const fs::path out = fs::absolute("OPERATIONS-configuration-keys.md");
        test::write_file(out, expected);
        FAIL_CHECK("docs/OPERATIONS.md's table differs; the expected one is in " << out);
    }
}

TEST_CASE("a fault is named with its line and key, and a typo with the key it resembles",
          "[config]") {
    const auto fault = [](const std::string& text) -> std::optional<server::ConfigError> {
        try {
            ConfFolder(text).load();
        } catch (const server::ConfigError& e) {
            return e;
        }
        return std::nullopt;
    };
    const auto typo = fault("# a comment\n\nthreads = 3\nmax_conections = 10\n");
    REQUIRE(typo);
    CHECK(typo->line() == 4);
    CHECK(typo->key() == "max_conections");
    CHECK(std::string(typo->what()).find("line 4: unknown key 'max_conections'") !=
          std::string::npos);
    CHECK(typo->hint() == "did you mean 'max_connections'?");
    // Nothing like a known key: the hint names where the keys are listed instead.
    const auto unknown = fault("colour = blue\n");
    REQUIRE(unknown);
    CHECK(unknown->hint().find("tiplined.conf(5)") != std::string::npos);

    const auto twice = fault("threads = 3\n\nthreads = 4\n");
    REQUIRE(twice);
    CHECK(twice->line() == 3);
    CHECK(std::string(twice->what()).find("first on line 1") != std::string::npos);

    const auto range = fault("threads = 3\nheader_timeout_s = 601\n");
    REQUIRE(range);
    CHECK(range->line() == 2);
    CHECK(range->key() == "header_timeout_s");
    CHECK(std::string(range->what()).find("601 is outside 1 to 600") != std::string::npos);

    const auto word = fault("proof_of_work = maybe\n");
    REQUIRE(word);
    CHECK(std::string(word->what()).find("'maybe' is neither true nor false") != std::string::npos);

    // Both keys of a contradiction are named, each with its line.
    const auto both = fault("envelope_bytes = 1000\nthreads = 2\ninline_bytes = 2000\n");
    REQUIRE(both);
    CHECK(both->line() == 3);
    CHECK(std::string(both->what())
              .find("inline_bytes (line 3) is larger than envelope_bytes "
                    "(line 1)") != std::string::npos);
    const auto with_default = fault("pow_max_bits = 2\n");
    REQUIRE(with_default);
    CHECK(std::string(with_default->what()).find("pow_bits (the default)") != std::string::npos);

    const auto section = fault("[limits]\nthreads = 2\n");
    REQUIRE(section);
    CHECK(section->line() == 1);
    const auto open_list = fault("responder = [\"tipline-pk1-a\",\n");
    REQUIRE(open_list);
    CHECK(std::string(open_list->what()).find("never closed") != std::string::npos);
}

TEST_CASE("a list over several lines is one setting, and the lines of the keys are reported",
          "[config]") {
    ConfFolder folder(
        "threads = 3\nresponder = [\n  \"tipline-pk1-a\",\n  \"tipline-pk1-b\"\n]\n"
        "site_name = \"x\"\n");
    server::ConfigLines lines;
    const Config c = server::load_config(folder.dir.path(), &lines);
    CHECK(c.responders == std::vector<std::string>{"tipline-pk1-a", "tipline-pk1-b"});
    CHECK(c.site_name == "x");
    CHECK(lines.at("threads") == 1);
    CHECK(lines.at("responder") == 2);
    CHECK(lines.at("site_name") == 6);
}

TEST_CASE("changed_keys names exactly the keys whose values differ", "[config]") {
    const Config a = ConfFolder("threads = 3\n").load();
    const Config b = ConfFolder("threads = 3\nsite_name = \"y\"\nmax_connections = 5\n").load();
    CHECK(server::changed_keys(a, a).empty());
    CHECK(server::changed_keys(a, b) == std::vector<std::string>{"site_name", "max_connections"});
}

TEST_CASE("a configuration that is not a small regular file is refused before it is read",
          "[config]") {
    test::TempDir dir;
    const fs::path conf = dir / "tiplined.conf";
    // Over the bound, as a file without line ends would be: named with its size.
    test::write_file(conf, std::string(server::max_config_bytes + 1, 'x'));
    try {
        server::load_config(dir.path());
        FAIL("a file over the bound loaded");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "'" + conf.string() + "' is " +
                                           std::to_string(server::max_config_bytes + 1) +
                                           " bytes, more than a configuration file may be (" +
                                           std::to_string(server::max_config_bytes) + ")");
    }
    // A FIFO would block the read for ever.
    fs::remove(conf);
    REQUIRE(::mkfifo(conf.c_str(), 0600) == 0);
    try {
        server::load_config(dir.path());
        FAIL("a FIFO loaded");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "'" + conf.string() + "' is not a regular file");
    }
    // At the bound, the file is read (and judged on its lines).
    fs::remove(conf);
    std::string text = "threads = 3\n";
    text += std::string(server::max_config_bytes - text.size() - 1, '#') + "\n";
    test::write_file(conf, text);
    CHECK(server::load_config(dir.path()).threads == 3);
}
