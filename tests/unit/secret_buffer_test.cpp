// SecretBuffer: move-only ownership of sodium_malloc memory.
#include "tipline/crypto/secret_buffer.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <type_traits>

using tipline::crypto::SecretBuffer;

static_assert(!std::is_copy_constructible_v<SecretBuffer>);
static_assert(!std::is_copy_assignable_v<SecretBuffer>);
static_assert(std::is_nothrow_move_constructible_v<SecretBuffer>);
static_assert(std::is_nothrow_destructible_v<SecretBuffer>);

TEST_CASE("secret buffer allocates, moves and empties", "[secret_buffer]") {
    SecretBuffer a(32);
    REQUIRE(a.size() == 32);
    REQUIRE(a.data() != nullptr);
    std::memset(a.data(), 0xAB, a.size());
    unsigned char* p = a.data();

    SecretBuffer b(std::move(a));
    CHECK(a.empty());
    CHECK(a.data() == nullptr);
    CHECK(b.data() == p);
    CHECK(b.data()[31] == 0xAB);

    SecretBuffer c;
    c = std::move(b);
    CHECK(b.empty());
    CHECK(c.size() == 32);
}

TEST_CASE("secret buffer copy_of copies the bytes", "[secret_buffer]") {
    const unsigned char bytes[] = {1, 2, 3};
    SecretBuffer s = SecretBuffer::copy_of(bytes);
    REQUIRE(s.size() == 3);
    CHECK(s.data()[2] == 3);
    CHECK(SecretBuffer(0).empty());
}

TEST_CASE("the count of live secret buffers follows allocation, moves and release",
          "[secret_buffer]") {
    using tipline::crypto::SecretBuffer;
    const std::size_t before = SecretBuffer::live_count();
    {
        SecretBuffer a(16);
        CHECK(SecretBuffer::live_count() == before + 1);
        SecretBuffer b = std::move(a);
        CHECK(SecretBuffer::live_count() == before + 1);
        const SecretBuffer empty(0);  // nothing mapped, nothing counted
        CHECK(SecretBuffer::live_count() == before + 1);
        b = SecretBuffer::copy_of(std::span<const unsigned char>(b.data(), 4));
        CHECK(SecretBuffer::live_count() == before + 1);
    }
    CHECK(SecretBuffer::live_count() == before);
}
