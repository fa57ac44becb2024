// Random 128-bit identifiers of stored tips, written as 32 lowercase hex digits.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tipline::server {

// Canonical lowercase hex of exactly out.size() bytes; false for anything else.
bool decode_hex(std::string_view hex, std::span<unsigned char> out);
std::string encode_hex(std::span<const unsigned char> bytes);

struct TipId {
    std::array<unsigned char, 16> bytes{};
    bool operator==(const TipId&) const = default;
    auto operator<=>(const TipId&) const = default;

    static TipId random();
    static std::optional<TipId> from_hex(std::string_view hex);
    std::string hex() const;
};

}  // namespace tipline::server
