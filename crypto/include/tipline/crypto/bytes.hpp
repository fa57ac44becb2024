// Big-endian integer encoding and a bounds-checked reader for the fixed binary layouts in
// FORMAT.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tipline::crypto {

inline void put_u8(std::vector<unsigned char>& out, std::uint8_t v) { out.push_back(v); }
void put_u16(std::vector<unsigned char>& out, std::uint16_t v);
void put_u32(std::vector<unsigned char>& out, std::uint32_t v);
void put_u64(std::vector<unsigned char>& out, std::uint64_t v);
void put_bytes(std::vector<unsigned char>& out, std::span<const unsigned char> bytes);
void put_bytes(std::vector<unsigned char>& out, std::string_view text);

std::uint16_t get_u16(std::span<const unsigned char, 2> in) noexcept;
std::uint32_t get_u32(std::span<const unsigned char, 4> in) noexcept;
std::uint64_t get_u64(std::span<const unsigned char, 8> in) noexcept;
void store_u64(std::span<unsigned char, 8> out, std::uint64_t v) noexcept;

// Lowercase hex, as every id, key, name and token appears in text.
std::string to_hex(std::span<const unsigned char> bytes);
// Exactly out.size() bytes as 2 * out.size() lowercase hex digits; false for anything else.
bool from_hex(std::string_view hex, std::span<unsigned char> out);

// Unpadded base64url (FORMAT.md 2.7), as public keys are written.
std::string to_base64url(std::span<const unsigned char> bytes);
// Exactly out.size() bytes from their one canonical unpadded base64url form; false for anything
// else.
bool from_base64url(std::string_view text, std::span<unsigned char> out);

// Walks a byte span; every take_* returns nullopt instead of reading past the end.
class ByteReader {
  public:
    explicit ByteReader(std::span<const unsigned char> bytes) noexcept : bytes_(bytes) {}
    std::optional<std::uint8_t> take_u8() noexcept;
    std::optional<std::uint16_t> take_u16() noexcept;
    std::optional<std::uint32_t> take_u32() noexcept;
    std::optional<std::uint64_t> take_u64() noexcept;
    std::optional<std::span<const unsigned char>> take(std::size_t n) noexcept;
    std::size_t remaining() const noexcept { return bytes_.size() - offset_; }

  private:
    std::span<const unsigned char> bytes_;
    std::size_t offset_ = 0;
};

inline std::span<const unsigned char> as_bytes(std::string_view text) noexcept {
    return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

}  // namespace tipline::crypto
