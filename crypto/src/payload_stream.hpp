// The sealed payload that envelopes (FORMAT.md 8.3, 8.4) and case store files (section 20) share:
// a framed plaintext (length, content, zeros up to a padded length) pushed through secretstream in
// chunks of 65536 bytes, the last one tagged final.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "tipline/crypto/stream.hpp"

namespace tipline::crypto::detail {

using StreamState = crypto_secretstream_xchacha20poly1305_state;
static_assert(alignof(StreamState) == 1,
              "the state is placed at an arbitrary offset in secure memory");

// Encrypts a framed plaintext of padded_length bytes as it is filled in. chunk is secure memory
// of one chunk's size, where plaintext waits until a whole chunk (or the last) is there.
class ChunkPusher {
  public:
    ChunkPusher(StreamState* state, std::span<unsigned char> chunk, std::uint64_t padded_length,
                ByteSink& out);

    // Where the next plaintext bytes go: empty once all padded_length bytes have been committed.
    std::span<unsigned char> space() const noexcept;
    // Takes n bytes written into space(), and encrypts the chunk once it is full or the last.
    void commit(std::size_t n);
    bool done() const noexcept { return committed_ == padded_length_; }

    // Copies bytes in; false when they would go past padded_length.
    bool write(std::span<const unsigned char> bytes);
    // Fills the rest with zeros.
    void pad();

  private:
    StreamState* state_;
    std::span<unsigned char> chunk_;
    std::uint64_t padded_length_;
    ByteSink& out_;
    std::uint64_t committed_ = 0;
    std::size_t fill_ = 0;
    std::vector<unsigned char> cipher_;
};

// Decrypts a payload of padded_length framed bytes from in, checks the chunks' tags, the length
// prefix and the zero padding, and passes the content to content. Trailing bytes after the last
// chunk are Error::malformed.
std::error_code pull_framed_payload(StreamState* state, std::span<unsigned char> chunk,
                                    std::uint64_t padded_length, ByteSource& in, ByteSink& content);

}  // namespace tipline::crypto::detail
