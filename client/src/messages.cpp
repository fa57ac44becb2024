#include "tipline/client/messages.hpp"

#include <libintl.h>

#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace tipline::client {
namespace {

const char* nonempty(const char* value) {
    return value != nullptr && *value != '\0' ? value : nullptr;
}

bool is_c_locale(std::string_view name) {
    return name == "C" || name == "POSIX" || name.starts_with("C.");
}

// One entry of a LANGUAGE list, or a locale name, as the name of a catalog folder.
std::string catalog_name(std::string entry) {
    const std::size_t tail = entry.find_first_of(".@");  // codeset and modifier, kept as they are
    for (std::size_t i = 0; i < std::min(tail, entry.size()); ++i) {
        if (entry[i] == '-') entry[i] = '_';  // BCP 47 (zh-Hans, ko-KR) to gettext's form
    }
    const std::string head = entry.substr(0, tail);
    const std::string language = head.substr(0, head.find('_'));
    if (language != "zh") return entry;
    // Script and region, in any order: only Traditional Chinese stays out of the zh_CN catalog.
    for (std::size_t start = language.size(); start < head.size();) {
        const std::size_t end = std::min(head.find('_', start + 1), head.size());
        const std::string part = head.substr(start + 1, end - start - 1);
        if (part == "Hant" || part == "TW" || part == "HK" || part == "MO") return entry;
        start = end;
    }
    return "zh_CN";
}

}  // namespace

std::string gettext_languages(const char* language, const char* lc_all, const char* lc_messages,
                              const char* lang) {
    std::string list;
    if (const char* wanted = nonempty(language)) {
        list = wanted;
    } else {
        const char* asked = nonempty(lc_all);
        if (asked == nullptr) asked = nonempty(lc_messages);
        if (asked == nullptr) asked = nonempty(lang);
        if (asked == nullptr || is_c_locale(asked)) return {};
        list = asked;
    }
    std::string out;
    for (std::size_t start = 0; start <= list.size();) {
        const std::size_t end = std::min(list.find(':', start), list.size());
        if (end > start) {
            if (!out.empty()) out += ':';
            out += catalog_name(list.substr(start, end - start));
        }
        start = end + 1;
    }
    return out;
}

std::string message_locale_dir() {
    // A tool run from a build tree (BUILD/client/NAME, next to BUILD/CMakeCache.txt) reads the
    // catalogs built in BUILD/locale. Found from the running program, so that no build path is
    // compiled in and two builds in different folders give the same binary.
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const std::filesystem::path build = self.parent_path().parent_path();
        if (std::filesystem::is_regular_file(build / "CMakeCache.txt", ec) &&
            std::filesystem::is_directory(build / "locale", ec))
            return (build / "locale").string();
    }
    return TIPLINE_INSTALL_LOCALE_DIR;
}

namespace {
// The domain tr() looks messages up in: init_messages sets it once, before any other thread runs.
const char* active_domain = message_domain;
}  // namespace

void init_messages(const char* domain) {
    active_domain = domain;
    const char* language = nonempty(std::getenv("LANGUAGE"));
    const char* lc_all = std::getenv("LC_ALL");
    const char* lc_messages = std::getenv("LC_MESSAGES");
    const char* lang = std::getenv("LANG");
    const bool locale_asked = nonempty(lc_all) != nullptr || nonempty(lc_messages) != nullptr ||
                              nonempty(lang) != nullptr;
    // glibc finds no catalog in the plain "C" locale, and ignores LANGUAGE there: a locale that is
    // not installed (setlocale fails and leaves "C"), or LANGUAGE alone, gets C.UTF-8 instead, in
    // which gettext follows LANGUAGE. An explicit C or POSIX locale stays, in English.
    if (std::setlocale(LC_ALL, "") == nullptr || (!locale_asked && language != nullptr)) {
        if (std::setlocale(LC_ALL, "C.UTF-8") == nullptr) std::setlocale(LC_ALL, "C");
    }
    // Progress lines and anything parsed keep the C locale's numbers (a decimal point, no commas).
    std::setlocale(LC_NUMERIC, "C");
    // gettext looks up LANGUAGE's entries, not the locale's name, so that ko_KR.UTF-8 and zh_SG
    // find their catalogs even where those locales are not installed.
    if (const std::string languages = gettext_languages(language, lc_all, lc_messages, lang);
        !languages.empty()) {
        ::setenv("LANGUAGE", languages.c_str(), 1);
    }
    const std::string dir = message_locale_dir();
    ::bindtextdomain(domain, dir.c_str());
    ::bind_textdomain_codeset(domain, "UTF-8");
    ::textdomain(domain);
}

std::string tr(const char* message) { return ::dgettext(active_domain, message); }

std::string tr(const char* message, std::initializer_list<MessageArg> args) {
    return fill_placeholders(tr(message), args);
}

}  // namespace tipline::client
