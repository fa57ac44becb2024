// Strict UTF-8 decoder following the well-formed byte sequences table of Unicode 15, section 3.9.
#include "tipline/crypto/utf8.hpp"

namespace tipline::crypto {

std::optional<CodePoint> decode_utf8(std::string_view text) noexcept {
    if (text.empty()) return std::nullopt;
    const auto b0 = static_cast<unsigned char>(text[0]);
    if (b0 < 0x80) return CodePoint{b0, 1};

    std::size_t length = 0;
    char32_t value = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        length = 2, value = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        length = 3, value = b0 & 0x0F;
        if (b0 == 0xE0) low = 0xA0;   // no overlongs
        if (b0 == 0xED) high = 0x9F;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        length = 4, value = b0 & 0x07;
        if (b0 == 0xF0) low = 0x90;
        if (b0 == 0xF4) high = 0x8F;  // nothing past U+10FFFF
    } else {
        return std::nullopt;
    }
    if (text.size() < length) return std::nullopt;
    for (std::size_t i = 1; i < length; ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        const unsigned char lo = i == 1 ? low : 0x80, hi = i == 1 ? high : 0xBF;
        if (b < lo || b > hi) return std::nullopt;
        value = (value << 6) | (b & 0x3F);
    }
    return CodePoint{value, length};
}

bool is_valid_utf8(std::string_view text) noexcept {
    while (!text.empty()) {
        const auto cp = decode_utf8(text);
        if (!cp) return false;
        text.remove_prefix(cp->length);
    }
    return true;
}

}  // namespace tipline::crypto
