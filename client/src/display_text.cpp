// One escaping rule for everything hostile that a tool shows: server answers, envelope contents,
// names.
#include "tipline/client/display_text.hpp"

#include <cstdio>

#include "tipline/crypto/utf8.hpp"

namespace tipline::client {
namespace {

std::string escape(std::string_view raw, bool keep_layout) {
    std::string out;
    while (!raw.empty()) {
        const auto cp = crypto::decode_utf8(raw);
        char buf[16];
        if (!cp) {
            std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(raw[0]));
            out += buf;
            raw.remove_prefix(1);
            continue;
        }
        const char32_t c = cp->value;
        const bool layout = keep_layout && (c == U'\n' || c == U'\t');
        if (!layout && (is_control_char(c) || is_deceptive_char(c) || c == U'\\')) {
            std::snprintf(buf, sizeof buf, "\\u{%X}", static_cast<unsigned>(c));
            out += buf;
        } else {
            out.append(raw.substr(0, cp->length));
        }
        raw.remove_prefix(cp->length);
    }
    return out;
}

}  // namespace

bool is_control_char(char32_t c) noexcept { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool is_deceptive_char(char32_t c) noexcept {
    return (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x206F) || c == 0x2028 || c == 0x2029 || c == 0xFEFF ||
           c == 0x061C || c == 0x180E || c == 0x00AD || c == 0x034F || c == 0x115F || c == 0x1160 ||
           c == 0x3164 || c == 0xFFA0 ||                                      // Hangul fillers
           (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0000 && c <= 0xE0FFF) ||  // selectors, tags
           (c >= 0xFFF9 && c <= 0xFFFB);
}

std::string escape_for_display(std::string_view raw) { return escape(raw, false); }

std::string escape_text_for_display(std::string_view raw) { return escape(raw, true); }

bool is_item_id(std::string_view text) noexcept {
    return text.size() == 32 &&
           text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace tipline::client
