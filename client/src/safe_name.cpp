// Name sanitizer: every rule here guards against a named attack on the responder's machine.
#include "tipline/client/safe_name.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "tipline/client/display_text.hpp"
#include "tipline/crypto/utf8.hpp"

namespace tipline::client {
namespace {

constexpr std::string_view fallback_name = "attachment";
constexpr std::size_t max_extension_bytes = 16;

// Separators, and characters Windows forbids, matter once files are copied off the air-gapped
// machine.
bool is_forbidden_ascii(char32_t c) {
    return c == '/' || c == '\\' || c == '<' || c == '>' || c == ':' || c == '"' || c == '|' ||
           c == '?' || c == '*';
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

// Windows treats these as devices whatever the extension, and ignores spaces before the dot.
bool is_device_name(std::string_view name) {
    std::string stem = ascii_lower(name.substr(0, name.find('.')));
    while (!stem.empty() && stem.back() == ' ') stem.pop_back();
    static constexpr std::array<std::string_view, 6> plain = {"con", "prn",    "aux",
                                                              "nul", "conin$", "conout$"};
    if (std::find(plain.begin(), plain.end(), stem) != plain.end()) return true;
    if (!stem.starts_with("com") && !stem.starts_with("lpt")) return false;
    const std::string_view digit = std::string_view(stem).substr(3);
    return (digit.size() == 1 && digit[0] >= '0' && digit[0] <= '9') || digit == "\u00B9" ||
           digit == "\u00B2" || digit == "\u00B3";
}

// Cuts text to at most limit bytes without splitting a UTF-8 sequence.
std::string_view cut_utf8(std::string_view text, std::size_t limit) {
    std::size_t end = 0;
    while (end < text.size()) {
        const auto cp = crypto::decode_utf8(text.substr(end));
        const std::size_t step = cp ? cp->length : 1;
        if (end + step > limit) break;
        end += step;
    }
    return text.substr(0, end);
}

void trim(std::string& s, std::string_view leading, std::string_view trailing) {
    const auto begin = s.find_first_not_of(leading);
    s.erase(0, begin == std::string::npos ? s.size() : begin);
    const auto end = s.find_last_not_of(trailing);
    s.erase(end == std::string::npos ? 0 : end + 1);
}

}  // namespace

std::string sanitize_name(std::string_view raw) {
    std::string clean;
    while (!raw.empty()) {
        const auto cp = crypto::decode_utf8(raw);
        if (!cp) {
            clean += '_';
            raw.remove_prefix(1);
            continue;
        }
        const char32_t c = cp->value;
        if (is_control_char(c) || is_deceptive_char(c) || is_forbidden_ascii(c)) {
            clean += '_';
        } else {
            clean.append(raw.substr(0, cp->length));
        }
        raw.remove_prefix(cp->length);
    }
    trim(clean, ". -", ". ");
    if (clean.size() > safe_name_max_bytes) {
        const auto dot = clean.rfind('.');
        const bool keep_ext =
            dot != std::string::npos && dot > 0 && clean.size() - dot <= max_extension_bytes;
        const std::string ext = keep_ext ? clean.substr(dot) : std::string();
        clean = std::string(cut_utf8(clean, safe_name_max_bytes - ext.size())) + ext;
        trim(clean, ". -", ". ");
    }
    if (clean.empty()) return std::string(fallback_name);
    if (is_device_name(clean)) clean.insert(0, "_");
    return clean;
}

NameAllocator::NameAllocator(std::set<std::string> reserved) {
    for (const std::string& name : reserved) taken_.insert(ascii_lower(name));
}

std::string NameAllocator::claim(std::string_view raw) {
    const std::string base = sanitize_name(raw);
    if (taken_.insert(ascii_lower(base)).second) return base;
    const auto dot = base.rfind('.');
    const std::string stem = dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
    const std::string ext = dot == std::string::npos || dot == 0 ? std::string() : base.substr(dot);
    for (std::size_t n = 2;; ++n) {
        const std::string candidate = stem + " (" + std::to_string(n) + ")" + ext;
        if (taken_.insert(ascii_lower(candidate)).second) return candidate;
    }
}

}  // namespace tipline::client
