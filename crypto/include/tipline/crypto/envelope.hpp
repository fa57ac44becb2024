// Envelope v1: the one sealed format for tips, follow-ups and replies (docs/FORMAT.md, "Envelope").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/stream.hpp"

namespace tipline::crypto {

inline constexpr std::size_t envelope_max_recipients = 16;
inline constexpr std::size_t envelope_chunk_size = 65536;  // plaintext bytes per secretstream chunk
inline constexpr std::size_t envelope_chunk_overhead =
    17;  // crypto_secretstream_xchacha20poly1305_ABYTES
inline constexpr std::size_t envelope_stanza_size = 80;  // crypto_box_SEALBYTES + file key
inline constexpr std::size_t envelope_fixed_header_size = 8 + 2 + 1 + 8 + 24;  // before the stanzas
inline constexpr std::size_t envelope_mac_size = 32;
inline constexpr std::size_t envelope_length_prefix_size = 8;
inline constexpr std::uint64_t envelope_max_padded_length = std::uint64_t{1} << 40;
inline constexpr std::uint64_t envelope_max_content_length =
    envelope_max_padded_length -
    envelope_max_padded_length / 8;  // leaves room for Padmé's rounding

// What a keyless reader can learn and check: enough for a server to validate sizes.
struct EnvelopeHeader {
    std::size_t recipient_count = 0;
    std::uint64_t padded_length = 0;

    std::uint64_t header_size() const noexcept;
    std::uint64_t chunk_count() const noexcept;
    std::uint64_t total_size() const noexcept;  // header plus every payload chunk
};

// Size of the envelope seal_envelope writes for this content length and recipient count, or
// UINT64_MAX when no envelope can hold that much.
std::uint64_t envelope_size(std::uint64_t content_length, std::size_t recipient_count) noexcept;

// Reads and checks the header's structure (magic, version, counts, padded length) without any key.
// Consumes exactly header_size() bytes on success.
std::error_code read_envelope_header(ByteSource& in, EnvelopeHeader& out);

// Seals exactly content_length bytes from content to every recipient (1 to 16).
// Returns Error::truncated if content ends early and Error::invalid_argument for a bad recipient
// count.
std::error_code seal_envelope(std::span<const BoxPublicKey> recipients,
                              std::uint64_t content_length, ByteSource& content, ByteSink& out);

// Low layer of seal_envelope: seals an already framed and padded plaintext of padded_length bytes.
// Exposed so the vector generator can build envelopes whose inner framing is wrong on purpose.
std::error_code seal_padded_payload(std::span<const BoxPublicKey> recipients,
                                    std::uint64_t padded_length, ByteSource& padded_plaintext,
                                    ByteSink& out);

// Opens with whichever identity matches a stanza. Each chunk reaches content only after its tag
// verifies, but truncation shows only at the end: treat content as provisional until this returns
// success. Exceptions thrown by content (std::system_error) propagate unchanged.
std::error_code open_envelope(std::span<const BoxKeyPair* const> identities, ByteSource& in,
                              ByteSink& content);

}  // namespace tipline::crypto
