// Strict UTF-8 decoding (no overlongs, surrogates or code points past U+10FFFF) for names and
// messages.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace tipline::crypto {

struct CodePoint {
    char32_t value;
    std::size_t length;  // bytes it took
};

// Decodes the code point at the start of text, or nullopt when text does not start with valid
// UTF-8.
std::optional<CodePoint> decode_utf8(std::string_view text) noexcept;

bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace tipline::crypto
