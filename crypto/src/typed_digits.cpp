// One reader for every string of digits a person types, so receipts and fingerprints forgive the
// same way.
#include "tipline/crypto/typed_digits.hpp"

#include "tipline/crypto/utf8.hpp"

namespace tipline::crypto {
namespace {

bool is_receipt_separator(char32_t c) {
    return c == U' ' || c == U'-' || c == U'\u3000' || c == U'\t';
}

// Unicode spaces (Zs) and dashes (Pd), and the minus sign, as copied from a web page or a PDF.
bool is_fingerprint_separator(char32_t c) {
    return is_receipt_separator(c) || c == U'\u00A0' || (c >= U'\u2000' && c <= U'\u200A') ||
           c == U'\u202F' || c == U'\u205F' || (c >= U'\u2010' && c <= U'\u2015') ||
           c == U'\u2212' || c == U'\uFE58' || c == U'\uFE63' || c == U'\uFF0D' || c == U'\u30FC';
}

}  // namespace

bool read_typed_digits(std::string_view typed, DigitSeparators separators,
                       std::span<unsigned char> out) noexcept {
    std::size_t count = 0;
    while (!typed.empty()) {
        const auto cp = decode_utf8(typed);
        if (!cp) return false;
        typed.remove_prefix(cp->length);
        char32_t c = cp->value;
        if (c >= U'\uFF10' && c <= U'\uFF19')
            c = U'0' + (c - U'\uFF10');  // full-width digits from CJK input
        const bool separator = separators == DigitSeparators::receipt ? is_receipt_separator(c)
                                                                      : is_fingerprint_separator(c);
        if (separator) continue;
        if (c < U'0' || c > U'9' || count == out.size()) return false;
        out[count++] = static_cast<unsigned char>(c);
    }
    return count == out.size();
}

}  // namespace tipline::crypto
