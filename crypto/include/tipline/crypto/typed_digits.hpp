// Digits a person typed or pasted (receipts, fingerprints): full-width digits and separators are
// forgiven.
#pragma once

#include <span>
#include <string_view>

namespace tipline::crypto {

// Which separators a field ignores between its digits.
enum class DigitSeparators {
    receipt,      // space, '-', tab and the ideographic space (FORMAT.md 10.2)
    fingerprint,  // those, and every other Unicode space or dash a phone keyboard or a flyer may
                  // hold
};

// Reads exactly out.size() ASCII digits from strict UTF-8 text into out, mapping full-width digits
// (U+FF10..U+FF19) to ASCII and skipping separators. False for anything else, or another count.
bool read_typed_digits(std::string_view typed, DigitSeparators separators,
                       std::span<unsigned char> out) noexcept;

}  // namespace tipline::crypto
