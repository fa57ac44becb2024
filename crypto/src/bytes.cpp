// Big-endian helpers and ByteReader.
#include "tipline/crypto/bytes.hpp"

#include <sodium.h>

namespace tipline::crypto {

void put_u16(std::vector<unsigned char>& out, std::uint16_t v) {
    out.push_back(static_cast<unsigned char>(v >> 8));
    out.push_back(static_cast<unsigned char>(v));
}

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<unsigned char>(v >> shift));
}

void put_u64(std::vector<unsigned char>& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<unsigned char>(v >> shift));
}

void put_bytes(std::vector<unsigned char>& out, std::span<const unsigned char> bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
}

void put_bytes(std::vector<unsigned char>& out, std::string_view text) {
    put_bytes(out, as_bytes(text));
}

std::uint16_t get_u16(std::span<const unsigned char, 2> in) noexcept {
    return static_cast<std::uint16_t>((in[0] << 8) | in[1]);
}

std::uint32_t get_u32(std::span<const unsigned char, 4> in) noexcept {
    std::uint32_t v = 0;
    for (unsigned char b : in) v = (v << 8) | b;
    return v;
}

std::uint64_t get_u64(std::span<const unsigned char, 8> in) noexcept {
    std::uint64_t v = 0;
    for (unsigned char b : in) v = (v << 8) | b;
    return v;
}

void store_u64(std::span<unsigned char, 8> out, std::uint64_t v) noexcept {
    for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(v >> (56 - 8 * i));
}

std::optional<std::span<const unsigned char>> ByteReader::take(std::size_t n) noexcept {
    if (n > remaining()) return std::nullopt;
    auto out = bytes_.subspan(offset_, n);
    offset_ += n;
    return out;
}

std::optional<std::uint8_t> ByteReader::take_u8() noexcept {
    auto b = take(1);
    if (!b) return std::nullopt;
    return (*b)[0];
}

std::optional<std::uint16_t> ByteReader::take_u16() noexcept {
    auto b = take(2);
    if (!b) return std::nullopt;
    return get_u16(b->first<2>());
}

std::optional<std::uint32_t> ByteReader::take_u32() noexcept {
    auto b = take(4);
    if (!b) return std::nullopt;
    return get_u32(b->first<4>());
}

std::optional<std::uint64_t> ByteReader::take_u64() noexcept {
    auto b = take(8);
    if (!b) return std::nullopt;
    return get_u64(b->first<8>());
}

std::string to_hex(std::span<const unsigned char> bytes) {
    std::string out(2 * bytes.size() + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
    out.pop_back();
    return out;
}

bool from_hex(std::string_view hex, std::span<unsigned char> out) {
    if (hex.size() != 2 * out.size()) return false;
    for (char c : hex) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;  // canonical: lowercase only
    }
    std::size_t len = 0;
    return sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, nullptr) ==
               0 &&
           len == out.size();
}

namespace {
constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int base64url_variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
}  // namespace

std::string to_base64url(std::span<const unsigned char> bytes) {
    std::string out(sodium_base64_encoded_len(bytes.size(), base64url_variant), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), base64url_variant);
    out.resize(std::char_traits<char>::length(out.c_str()));
    return out;
}

bool from_base64url(std::string_view text, std::span<unsigned char> out) {
    if (text.size() != (out.size() * 4 + 2) / 3) return false;
    // libsodium 1.0.18 reads any byte from 0x80 up as '_', which would give one value many
    // spellings.
    if (text.find_first_not_of(base64url_alphabet) != std::string_view::npos) return false;
    std::size_t length = 0;
    const char* end = nullptr;
    return sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length,
                             &end, base64url_variant) == 0 &&
           length == out.size() && end == text.data() + text.size();
}

}  // namespace tipline::crypto
