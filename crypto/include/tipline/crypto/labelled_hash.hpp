// The labelled hash LH of FORMAT.md section 2.1: BLAKE2b-256 of a label followed by public inputs.
#pragma once

#include <array>
#include <initializer_list>
#include <span>
#include <string_view>

namespace tipline::crypto {

using Hash32 = std::array<unsigned char, 32>;

// LH(label, x1, x2, ...) = BLAKE2b(32, label || x1 || x2 || ..., no key).
Hash32 labelled_hash(std::string_view label,
                     std::initializer_list<std::span<const unsigned char>> parts);

}  // namespace tipline::crypto
