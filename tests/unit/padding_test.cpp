// Padmé padding over the 4096-byte minimum.
#include "tipline/crypto/padding.hpp"

#include <bit>
#include <catch2/catch.hpp>

using namespace tipline::crypto;

TEST_CASE("padme matches the paper's definition on known values", "[padding]") {
    CHECK(padme(0) == 0);
    CHECK(padme(1) == 1);
    CHECK(padme(4096) == 4096);
    CHECK(padme(4097) == 4352);  // E=12, S=4: the low 8 bits are cleared
    CHECK(padme(5000) == 5120);
    CHECK(padme(65537) == 67584);  // E=16, S=5: low 11 bits
    CHECK(padme(1000000) == 1015808);
    CHECK(padme(1048584) == 1081344);
}

TEST_CASE("padded lengths respect the minimum and are canonical", "[padding]") {
    CHECK(padded_length(0) == min_padded_length);
    CHECK(padded_length(4096) == 4096);
    CHECK(is_padded_length(4096));
    CHECK_FALSE(is_padded_length(4095));
    CHECK_FALSE(is_padded_length(4097));
    CHECK(is_padded_length(4352));
}

TEST_CASE("padme is idempotent, monotonic and bounds overhead by 12 percent", "[padding]") {
    std::uint64_t previous = 0;
    for (std::uint64_t length = 1; length < (1u << 20); length = length * 9 / 8 + 1) {
        const std::uint64_t p = padme(length);
        REQUIRE(p >= length);
        REQUIRE(padme(p) == p);
        REQUIRE(p >= previous);
        REQUIRE(static_cast<double>(p - length) <= 0.12 * static_cast<double>(length) + 1);
        // Only the top floor(log2 E) + 1 bits may be set.
        const auto e = static_cast<unsigned>(std::bit_width(length) - 1);
        if (length >= 2 && p < (std::uint64_t{2} << e)) {
            const auto s = static_cast<unsigned>(std::bit_width(e));
            REQUIRE((p & ((std::uint64_t{1} << (e - s)) - 1)) == 0);
        }
        previous = p;
    }
}
