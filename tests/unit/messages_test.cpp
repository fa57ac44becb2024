// The tools' translations: the language gettext is asked for, the placeholders, and the catalogs
// of tipline-submit and tipline-responder in po/ as msgfmt compiled them into the build tree.
#include "tipline/client/messages.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"
#include "tipline/crypto/utf8.hpp"

namespace fs = std::filesystem;
using tipline::client::fill_placeholders;
using tipline::client::gettext_languages;

namespace {

const fs::path po_dir = fs::path(TIPLINE_SOURCE_DIR) / "po";

std::vector<std::string> words(const char* list) {
    std::istringstream in(list);
    return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

// A gettext domain: where its template and catalogs are, and its languages.
struct Domain {
    const char* name;
    fs::path dir;
    std::vector<std::string> languages;
};

const Domain domains[] = {
    {"tipline-submit", po_dir, words(TIPLINE_SUBMIT_LANGUAGES)},
    {"tipline-responder", po_dir / "tipline-responder", words(TIPLINE_RESPONDER_LANGUAGES)},
};

// Every message of a compiled catalog (the header, with the empty msgid, left out), as msgfmt
// wrote it: the .mo format of GNU gettext, little-endian, as on every machine this runs on.
std::vector<std::pair<std::string, std::string>> read_mo(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto u32 = [&](std::size_t at) {
        REQUIRE(at + 4 <= data.size());
        std::uint32_t v = 0;
        for (int i = 3; i >= 0; --i)
            v = (v << 8) | static_cast<unsigned char>(data[at + static_cast<std::size_t>(i)]);
        return static_cast<std::size_t>(v);
    };
    REQUIRE(u32(0) == 0x950412de);
    const std::size_t count = u32(8), originals = u32(12), translations = u32(16);
    const auto string_at = [&](std::size_t table, std::size_t i) {
        const std::size_t length = u32(table + 8 * i), offset = u32(table + 8 * i + 4);
        REQUIRE(offset + length <= data.size());
        return data.substr(offset, length);
    };
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < count; ++i) {
        std::string id = string_at(originals, i);
        if (!id.empty()) out.emplace_back(std::move(id), string_at(translations, i));
    }
    return out;
}

std::multiset<std::string> placeholders(const std::string& text) {
    std::multiset<std::string> names;
    for (std::size_t open = text.find('{'); open != std::string::npos;
         open = text.find('{', open + 1)) {
        const std::size_t close = text.find('}', open);
        if (close == std::string::npos) break;
        names.insert(text.substr(open, close - open + 1));
    }
    return names;
}

// What is wrong with a translation, or empty: it must be valid UTF-8, not empty, and carry
// exactly the placeholders of its original, each as often.
std::string translation_problem(const std::string& original, const std::string& translated) {
    if (translated.empty()) return "empty";
    if (!tipline::crypto::is_valid_utf8(translated)) return "not UTF-8";
    if (placeholders(original) != placeholders(translated)) return "placeholders differ";
    return {};
}

}  // namespace

TEST_CASE("gettext is asked for the language the environment names", "[messages]") {
    // LANG alone, as on a system where that locale is not installed.
    CHECK(gettext_languages(nullptr, nullptr, nullptr, "ko_KR.UTF-8") == "ko_KR.UTF-8");
    CHECK(gettext_languages(nullptr, nullptr, nullptr, "zh_CN.UTF-8") == "zh_CN");
    // LC_ALL, then LC_MESSAGES, then LANG; an empty variable counts as unset.
    CHECK(gettext_languages(nullptr, "ko_KR.UTF-8", "zh_CN.UTF-8", "en_US.UTF-8") == "ko_KR.UTF-8");
    CHECK(gettext_languages(nullptr, nullptr, "zh_CN.UTF-8", "ko_KR.UTF-8") == "zh_CN");
    CHECK(gettext_languages("", "", "", "ko_KR.UTF-8") == "ko_KR.UTF-8");
    // LANGUAGE, when set, is the list, whatever the locale.
    CHECK(gettext_languages("ko", nullptr, nullptr, "zh_CN.UTF-8") == "ko");
    CHECK(gettext_languages("ko", "C", nullptr, nullptr) == "ko");
    // Every name of Simplified Chinese finds the zh_CN catalog; Traditional Chinese does not.
    for (const char* simplified :
         {"zh", "zh_CN", "zh_SG", "zh_Hans", "zh-Hans", "zh-Hans-CN", "zh_SG.UTF-8", "zh@latin"}) {
        INFO(simplified);
        CHECK(gettext_languages(simplified, nullptr, nullptr, nullptr) == "zh_CN");
    }
    CHECK(gettext_languages("zh_TW", nullptr, nullptr, nullptr) == "zh_TW");
    CHECK(gettext_languages(nullptr, nullptr, nullptr, "zh_HK.UTF-8") == "zh_HK.UTF-8");
    CHECK(gettext_languages("zh-Hant", nullptr, nullptr, nullptr) == "zh_Hant");
    CHECK(gettext_languages("zh-Hant-CN", nullptr, nullptr, nullptr) == "zh_Hant_CN");
    // BCP 47 tags become gettext's names; a list keeps its order.
    CHECK(gettext_languages("ko-KR", nullptr, nullptr, nullptr) == "ko_KR");
    CHECK(gettext_languages("de:zh-SG::ko", nullptr, nullptr, nullptr) == "de:zh_CN:ko");
    // Nothing asked, or the C locale: nothing for LANGUAGE, and English.
    CHECK(gettext_languages(nullptr, nullptr, nullptr, nullptr).empty());
    CHECK(gettext_languages(nullptr, nullptr, nullptr, "C").empty());
    CHECK(gettext_languages(nullptr, nullptr, nullptr, "C.UTF-8").empty());
    CHECK(gettext_languages(nullptr, "POSIX", nullptr, "ko_KR.UTF-8").empty());
}

TEST_CASE("placeholders are filled wherever a translation puts them", "[messages]") {
    CHECK(fill_placeholders("{size} 중 {percent}%", {{"percent", "40"}, {"size", "12.5 MB"}}) ==
          "12.5 MB 중 40%");
    // A value is never searched for placeholders: a file name with braces stays as it is.
    CHECK(fill_placeholders("cannot read '{file}'", {{"file", "{error}.txt"}, {"error", "x"}}) ==
          "cannot read '{error}.txt'");
    // Names not given, and braces that close nothing, are kept.
    CHECK(fill_placeholders("{a} {b} {", {{"a", "1"}}) == "1 {b} {");
    CHECK(fill_placeholders("no braces", {}) == "no braces");
    // Without a catalog (this process never chose a language), tr gives the English original.
    CHECK(tipline::client::tr("{count} other blocks", {{"count", "2"}}) == "2 other blocks");
}

TEST_CASE("the check of each translation finds what is wrong", "[messages]") {
    CHECK(translation_problem("cannot read '{file}'", "'{file}' 파일을 읽을 수 없습니다").empty());
    CHECK(translation_problem("cannot read '{file}'", "'{fichier}' illisible") ==
          "placeholders differ");
    CHECK(translation_problem("{a} and {b}", "{a}") == "placeholders differ");
    CHECK(translation_problem("no replies yet", "") == "empty");
    CHECK(translation_problem("no replies yet", "\xff") == "not UTF-8");
}

TEST_CASE("every catalog is complete, current and compiled, with every placeholder kept",
          "[messages]") {
    for (const Domain& domain : domains) {
        const fs::path pot = domain.dir / (std::string(domain.name) + ".pot");
        INFO("domain " << domain.name);
        REQUIRE(fs::exists(pot));
        REQUIRE(domain.languages.size() >= 2);
        for (const std::string& lang : domain.languages) {
            INFO("catalog " << lang);
            const fs::path po = domain.dir / (lang + ".po");
            // msgfmt --check as the build runs it; nothing fuzzy, nothing untranslated.
            const auto stats = tipline::test::run_command(
                "msgfmt --check --statistics -o /dev/null " + tipline::test::q(po) + " 2>&1");
            INFO(stats.out);
            REQUIRE(stats.exit_code == 0);
            CHECK(stats.out.find("fuzzy") == std::string::npos);
            CHECK(stats.out.find("untranslated") == std::string::npos);
            // Every message of the template has a translation that needs no review (msgcmp counts a
            // fuzzy or an empty one as missing), and the catalog keeps none the sources dropped.
            const auto compared = tipline::test::run_command("msgcmp " + tipline::test::q(po) +
                                                             " " + tipline::test::q(pot) + " 2>&1");
            INFO(compared.out);
            CHECK(compared.exit_code == 0);
            CHECK(compared.out.find("not used") == std::string::npos);

            const fs::path mo = fs::path(TIPLINE_LOCALE_DIR) / lang / "LC_MESSAGES" /
                                (std::string(domain.name) + ".mo");
            REQUIRE(fs::exists(mo));
            CHECK(fs::last_write_time(mo) >= fs::last_write_time(po));  // built from this catalog
            const auto messages = read_mo(mo);
            CHECK(stats.out.find(std::to_string(messages.size()) + " translated messages") !=
                  std::string::npos);
            std::size_t with_placeholders = 0;
            for (const auto& [original, translated] : messages) {
                INFO("msgid: " << original << "\nmsgstr: " << translated);
                CHECK(translation_problem(original, translated).empty());
                if (!placeholders(original).empty()) ++with_placeholders;
            }
            CHECK(with_placeholders > 0);
        }
    }
}
