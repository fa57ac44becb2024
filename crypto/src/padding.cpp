// Padmé padding.
#include "tipline/crypto/padding.hpp"

#include <algorithm>
#include <bit>

namespace tipline::crypto {

std::uint64_t padme(std::uint64_t length) noexcept {
    if (length < 2) return length;
    const auto e = static_cast<std::uint64_t>(std::bit_width(length) - 1);  // floor(log2 L)
    const auto s = static_cast<std::uint64_t>(std::bit_width(e));           // floor(log2 E) + 1
    const std::uint64_t last_bits = e - s;
    const std::uint64_t mask = (std::uint64_t{1} << last_bits) - 1;
    return (length + mask) & ~mask;
}

std::uint64_t padded_length(std::uint64_t length) noexcept {
    return std::max(min_padded_length, padme(length));
}

bool is_padded_length(std::uint64_t value) noexcept {
    return value >= min_padded_length && padme(value) == value;
}

}  // namespace tipline::crypto
