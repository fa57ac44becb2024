// Pushing and pulling the chunked, framed payload of envelopes and case store files.
#include "payload_stream.hpp"

#include <algorithm>
#include <cstring>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/padding.hpp"

namespace tipline::crypto::detail {

ChunkPusher::ChunkPusher(StreamState* state, std::span<unsigned char> chunk,
                         std::uint64_t padded_length, ByteSink& out)
    : state_(state),
      chunk_(chunk.first(envelope_chunk_size)),
      padded_length_(padded_length),
      out_(out),
      cipher_(envelope_chunk_size + envelope_chunk_overhead) {}

std::span<unsigned char> ChunkPusher::space() const noexcept {
    const std::uint64_t left = padded_length_ - committed_;
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_.size() - fill_, left));
    return chunk_.subspan(fill_, n);
}

void ChunkPusher::commit(std::size_t n) {
    fill_ += n;
    committed_ += n;
    if (fill_ < chunk_.size() && !done()) return;
    if (fill_ == 0) return;
    const unsigned char tag = done() ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                     : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    unsigned long long cipher_len = 0;
    crypto_secretstream_xchacha20poly1305_push(state_, cipher_.data(), &cipher_len, chunk_.data(),
                                               fill_, nullptr, 0, tag);
    fill_ = 0;
    out_.write(std::span(cipher_).first(static_cast<std::size_t>(cipher_len)));
}

bool ChunkPusher::write(std::span<const unsigned char> bytes) {
    while (!bytes.empty()) {
        const std::span<unsigned char> to = space();
        if (to.empty()) return false;
        const std::size_t n = std::min(to.size(), bytes.size());
        std::memcpy(to.data(), bytes.data(), n);
        bytes = bytes.subspan(n);
        commit(n);
    }
    return true;
}

void ChunkPusher::pad() {
    while (!done()) {
        const std::span<unsigned char> to = space();
        std::memset(to.data(), 0, to.size());
        commit(to.size());
    }
}

std::error_code pull_framed_payload(StreamState* state, std::span<unsigned char> chunk,
                                    std::uint64_t padded, ByteSource& in, ByteSink& content) {
    const std::span<unsigned char> plain = chunk.first(envelope_chunk_size);
    std::vector<unsigned char> cipher(envelope_chunk_size + envelope_chunk_overhead);
    std::uint64_t remaining = padded;
    std::uint64_t content_left = 0;
    bool first = true;
    while (remaining > 0) {
        const auto len =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining, envelope_chunk_size));
        const std::size_t cipher_len = len + envelope_chunk_overhead;
        if (read_fully(in, std::span(cipher).first(cipher_len)) < cipher_len)
            return Error::truncated;
        remaining -= len;
        unsigned long long plain_len = 0;
        unsigned char tag = 0;
        if (crypto_secretstream_xchacha20poly1305_pull(state, plain.data(), &plain_len, &tag,
                                                       cipher.data(), cipher_len, nullptr,
                                                       0) != 0) {
            return Error::authentication_failed;
        }
        const unsigned char expected_tag = remaining == 0
                                               ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                               : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
        if (tag != expected_tag) return Error::malformed;

        std::size_t offset = 0;
        if (first) {
            content_left = get_u64(plain.first<8>());
            if (content_left > padded - envelope_length_prefix_size ||
                padded_length(envelope_length_prefix_size + content_left) != padded) {
                return Error::malformed;
            }
            offset = envelope_length_prefix_size;
            first = false;
        }
        const auto emit =
            static_cast<std::size_t>(std::min<std::uint64_t>(content_left, len - offset));
        if (emit > 0) content.write(plain.subspan(offset, emit));
        content_left -= emit;
        const auto padding = plain.subspan(offset + emit, len - offset - emit);
        if (!padding.empty() && !sodium_is_zero(padding.data(), padding.size()))
            return Error::malformed;
    }
    unsigned char extra = 0;
    if (in.read(std::span(&extra, 1)) != 0) return Error::malformed;
    return {};
}

}  // namespace tipline::crypto::detail
