// Case store files: a small header, then the envelope's framed, chunked payload under a key derived
// from the store key, the file's kind and its id.
#include "tipline/crypto/store_file.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "payload_stream.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/padding.hpp"

namespace tipline::crypto {

namespace detail {

// The stream state, the file key and one chunk of plaintext, in secure memory. In `detail` rather
// than an unnamed namespace: StoreFileWriter::State, which has external linkage, holds one.
class StoreFileWorkspace {
  public:
    StoreFileWorkspace()
        : buffer_(sizeof(detail::StreamState) + store_key_bytes + envelope_chunk_size) {}

    detail::StreamState* state() noexcept {
        return reinterpret_cast<detail::StreamState*>(buffer_.data());
    }
    unsigned char* file_key() noexcept { return buffer_.data() + sizeof(detail::StreamState); }
    std::span<unsigned char> chunk() noexcept {
        return {file_key() + store_key_bytes, envelope_chunk_size};
    }

    void derive_file_key(std::span<const unsigned char> store_key, StoreFileKind kind,
                         const StoreFileId& id) {
        if (store_key.size() != store_key_bytes) throw std::invalid_argument("store key size");
        crypto_generichash_state h;
        crypto_generichash_init(&h, store_key.data(), store_key.size(), store_key_bytes);
        const auto label = as_bytes(labels::store_file_key_label);
        crypto_generichash_update(&h, label.data(), label.size());
        const auto kind_byte = static_cast<unsigned char>(kind);
        crypto_generichash_update(&h, &kind_byte, 1);
        crypto_generichash_update(&h, id.data(), id.size());
        crypto_generichash_final(&h, file_key(), store_key_bytes);
        sodium_memzero(&h, sizeof h);
    }

  private:
    SecretBuffer buffer_;
};

}  // namespace detail
namespace {

constexpr std::size_t stream_header_bytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr std::size_t magic_size = 8;
constexpr std::size_t kind_offset = magic_size + 2;
constexpr std::size_t id_offset = kind_offset + 1;
constexpr std::size_t length_offset = id_offset + 16;
constexpr std::size_t stream_header_offset = length_offset + 8;
static_assert(store_file_header_size == stream_header_offset + stream_header_bytes);
static_assert(crypto_secretstream_xchacha20poly1305_KEYBYTES == store_key_bytes);

bool known_kind(unsigned char kind) noexcept {
    return kind == static_cast<unsigned char>(StoreFileKind::database) ||
           kind == static_cast<unsigned char>(StoreFileKind::attachment);
}

}  // namespace

SecretBuffer derive_store_key(const BoxKeyPair& identity) {
    ensure_sodium();
    if (identity.secret_key.size() != box_secret_key_bytes)
        throw std::invalid_argument("this key cannot decrypt, so it has no store key");
    SecretBuffer key(store_key_bytes);
    const auto label = as_bytes(labels::store_key_label);
    crypto_generichash(key.data(), key.size(), label.data(), label.size(),
                       identity.secret_key.data(), identity.secret_key.size());
    return key;
}

std::uint64_t store_file_size(std::uint64_t content_length) noexcept {
    const std::uint64_t padded = padded_length(envelope_length_prefix_size + content_length);
    const std::uint64_t chunks = (padded + envelope_chunk_size - 1) / envelope_chunk_size;
    return store_file_header_size + padded + chunks * envelope_chunk_overhead;
}

struct StoreFileWriter::State {
    State(std::uint64_t padded, ByteSink& out) : pusher(ws.state(), ws.chunk(), padded, out) {}
    detail::StoreFileWorkspace ws;
    detail::ChunkPusher pusher;
    std::uint64_t content_left = 0;
};

StoreFileWriter::StoreFileWriter(std::span<const unsigned char> store_key, StoreFileKind kind,
                                 const StoreFileId& id, std::uint64_t content_length, ByteSink& out)
    : state_(nullptr) {
    ensure_sodium();
    if (content_length > envelope_max_content_length)
        throw std::system_error(Error::invalid_argument);
    const std::uint64_t padded = padded_length(envelope_length_prefix_size + content_length);
    auto state = std::make_unique<State>(padded, out);
    state->content_left = content_length;
    state->ws.derive_file_key(store_key, kind, id);

    std::vector<unsigned char> header;
    header.reserve(store_file_header_size);
    put_bytes(header, labels::store_file_magic);
    put_u16(header, labels::store_file_version);
    put_u8(header, static_cast<std::uint8_t>(kind));
    put_bytes(header, id);
    put_u64(header, padded);
    header.resize(store_file_header_size);
    crypto_secretstream_xchacha20poly1305_init_push(
        state->ws.state(), header.data() + stream_header_offset, state->ws.file_key());
    out.write(header);

    unsigned char prefix[envelope_length_prefix_size];
    store_u64(std::span<unsigned char, 8>(prefix), content_length);
    state->pusher.write(prefix);
    state_ = state.release();
}

StoreFileWriter::~StoreFileWriter() { delete state_; }

void StoreFileWriter::write(std::span<const unsigned char> bytes) {
    if (bytes.size() > state_->content_left) throw std::system_error(Error::invalid_argument);
    state_->content_left -= bytes.size();
    state_->pusher.write(bytes);
}

std::error_code StoreFileWriter::finish() {
    if (state_->content_left != 0) return Error::truncated;
    state_->pusher.pad();
    return {};
}

std::error_code open_store_file(std::span<const unsigned char> store_key, StoreFileKind kind,
                                const StoreFileId& id, ByteSource& in, ByteSink& content) {
    ensure_sodium();
    unsigned char header[store_file_header_size];
    const auto magic = as_bytes(labels::store_file_magic);
    const std::size_t got = read_fully(in, std::span(header, magic_size));
    if (std::memcmp(header, magic.data(), got) != 0) return Error::malformed;
    if (got < magic_size) return Error::truncated;
    if (read_fully(in, std::span(header + magic_size, 2)) < 2) return Error::truncated;
    if (get_u16(std::span<const unsigned char, 2>(header + magic_size, 2)) !=
        labels::store_file_version) {
        return Error::unsupported_version;
    }
    if (read_fully(in, std::span(header + kind_offset, 1)) < 1) return Error::truncated;
    if (!known_kind(header[kind_offset])) return Error::malformed;
    if (read_fully(in, std::span(header + id_offset, 24)) < 24) return Error::truncated;
    const std::uint64_t padded =
        get_u64(std::span<const unsigned char, 8>(header + length_offset, 8));
    if (!is_padded_length(padded) || padded > envelope_max_padded_length) return Error::malformed;
    if (read_fully(in, std::span(header + stream_header_offset, stream_header_bytes)) <
        stream_header_bytes) {
        return Error::truncated;
    }
    if (header[kind_offset] != static_cast<unsigned char>(kind) ||
        std::memcmp(header + id_offset, id.data(), id.size()) != 0) {
        return Error::authentication_failed;  // another file of the store, or of another store
    }

    detail::StoreFileWorkspace ws;
    ws.derive_file_key(store_key, kind, id);
    if (crypto_secretstream_xchacha20poly1305_init_pull(ws.state(), header + stream_header_offset,
                                                        ws.file_key()) != 0) {
        return Error::authentication_failed;
    }
    return detail::pull_framed_payload(ws.state(), ws.chunk(), padded, in, content);
}

}  // namespace tipline::crypto
