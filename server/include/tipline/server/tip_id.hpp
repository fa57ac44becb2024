// Random 128-bit identifiers of stored tips, written as 32 lowercase hex digits.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace tipline::server {

struct TipId {
    std::array<unsigned char, 16> bytes{};
    bool operator==(const TipId&) const = default;
    auto operator<=>(const TipId&) const = default;

    static TipId random();
    static std::optional<TipId> from_hex(std::string_view hex);
    std::string hex() const;
};

}  // namespace tipline::server
