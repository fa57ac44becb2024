// Padmé padding over a minimum bucket: the padded length reveals at most O(log log L) bits of the
// length L.
#pragma once

#include <cstdint>

namespace tipline::crypto {

// Smallest padded payload; every short tip looks the same size.
inline constexpr std::uint64_t min_padded_length = 4096;

// Padmé (Nikitin et al., PETS 2019): round L up so only the top floor(log2(floor(log2 L)))+1 bits
// vary.
std::uint64_t padme(std::uint64_t length) noexcept;

// max(min_padded_length, padme(length)).
std::uint64_t padded_length(std::uint64_t length) noexcept;

// True when value is a length padded_length() can return.
bool is_padded_length(std::uint64_t value) noexcept;

}  // namespace tipline::crypto
