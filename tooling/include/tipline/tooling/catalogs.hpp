// Language catalogs of the pages Tipline serves (the web form's web/i18n/, the responders' inbox's
// responder/inbox/i18n/): one JSON object of texts per language tag, built into the program.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tipline::tooling {

// A file built into a program (cmake/EmbedFiles.cmake).
struct EmbeddedFile {
    std::string_view path;  // e.g. "static/style.css" or "i18n/ko.json"
    std::string_view bytes;
};

// text with &, <, >, " and ' escaped, for HTML text and attribute values.
std::string html_escape(std::string_view text);

class Catalogs {
  public:
    // The files named i18n/TAG.json among files; the others are ignored. A catalog that does not
    // parse is left out (a build defect the tests catch: problems() names it as missing).
    explicit Catalogs(std::span<const EmbeddedFile> files);

    // The tags, English first, then in order.
    std::span<const std::string> languages() const noexcept { return languages_; }
    bool has(std::string_view lang) const { return texts_.contains(lang); }
    // The text of key in lang; English where lang's catalog lacks it, the key itself if neither
    // has it.
    std::string_view translate(std::string_view lang, std::string_view key) const;
    // Every key some catalog lacks that English has, has that English lacks, or leaves empty, and
    // every key of used that a catalog lacks, as "lang: ...".
    std::vector<std::string> problems(std::span<const std::string_view> used) const;
    // The language a browser's Accept-Language prefers among these (any ko for Korean, any zh for
    // Chinese, any en), English when it names none of them.
    std::string negotiate(std::string_view accept_language) const;

  private:
    std::vector<std::string> languages_;
    std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> texts_;
};

}  // namespace tipline::tooling
