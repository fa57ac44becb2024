// Envelope v1 sealing and opening: box_seal stanzas, a header MAC, and a chunked secretstream
// payload.
#include "tipline/crypto/envelope.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "payload_stream.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/padding.hpp"

namespace tipline::crypto {
namespace {

constexpr std::size_t file_key_bytes = crypto_secretstream_xchacha20poly1305_KEYBYTES;
constexpr std::size_t stream_header_bytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr std::size_t magic_size = 8;

static_assert(file_key_bytes == 32);
static_assert(stream_header_bytes == 24);
static_assert(crypto_secretstream_xchacha20poly1305_ABYTES == envelope_chunk_overhead);
static_assert(crypto_box_SEALBYTES + file_key_bytes == envelope_stanza_size);
static_assert(envelope_fixed_header_size == magic_size + 2 + 1 + 8 + stream_header_bytes);
static_assert(min_padded_length >= envelope_length_prefix_size);

using detail::StreamState;

// Every secret of one seal or open in a single sodium_malloc region: each allocation costs several
// system calls (mmap, mprotect, mlock), which dominated sealing small tips.
class Workspace {
  public:
    Workspace() : buffer_(sizeof(StreamState) + 3 * subkey_bytes + envelope_chunk_size) {}

    StreamState* state() noexcept { return reinterpret_cast<StreamState*>(buffer_.data()); }
    unsigned char* file_key() noexcept { return buffer_.data() + sizeof(StreamState); }
    unsigned char* payload_key() noexcept { return file_key() + subkey_bytes; }
    unsigned char* mac_key() noexcept { return payload_key() + subkey_bytes; }
    std::span<unsigned char> chunk() noexcept {
        return {mac_key() + subkey_bytes, envelope_chunk_size};
    }

    // Derives the payload and header MAC keys from the file key.
    void derive_subkeys() noexcept {
        derive(labels::payload_key_label, payload_key());
        derive(labels::header_mac_key_label, mac_key());
    }

    void header_mac(std::span<const unsigned char> header, unsigned char* out) noexcept {
        crypto_generichash(out, envelope_mac_size, header.data(), header.size(), mac_key(),
                           subkey_bytes);
    }

  private:
    static constexpr std::size_t subkey_bytes = 32;
    static_assert(file_key_bytes == subkey_bytes);

    void derive(std::string_view label, unsigned char* out) noexcept {
        crypto_generichash(out, subkey_bytes, as_bytes(label).data(), label.size(), file_key(),
                           file_key_bytes);
    }

    SecretBuffer buffer_;
};

// The framed plaintext: 8-byte content length, the content, then zeros up to the padded length.
class FramedContent final : public ByteSource {
  public:
    FramedContent(std::uint64_t content_length, std::uint64_t padded, ByteSource& content)
        : content_length_(content_length), padded_(padded), content_(content) {
        store_u64(std::span<unsigned char, 8>(prefix_), content_length);
    }

    std::size_t read(std::span<unsigned char> out) override {
        std::size_t filled = 0;
        while (filled < out.size() && position_ < padded_) {
            auto rest = out.subspan(filled);
            std::size_t n = 0;
            if (position_ < envelope_length_prefix_size) {
                n = std::min<std::size_t>(rest.size(), envelope_length_prefix_size - position_);
                std::memcpy(rest.data(), prefix_ + position_, n);
            } else if (position_ < envelope_length_prefix_size + content_length_) {
                const std::uint64_t left =
                    envelope_length_prefix_size + content_length_ - position_;
                n = static_cast<std::size_t>(std::min<std::uint64_t>(rest.size(), left));
                const std::size_t got = read_fully(content_, rest.first(n));
                if (got < n)
                    return filled + got;  // content ended early: the sealer reports truncation
            } else {
                n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(rest.size(), padded_ - position_));
                std::memset(rest.data(), 0, n);
            }
            filled += n;
            position_ += n;
        }
        return filled;
    }

  private:
    std::uint64_t content_length_;
    std::uint64_t padded_;
    ByteSource& content_;
    std::uint64_t position_ = 0;
    unsigned char prefix_[envelope_length_prefix_size]{};
};

// Reads the header up to and including the MAC; raw receives every header byte.
std::error_code read_header(ByteSource& in, EnvelopeHeader& out, std::vector<unsigned char>& raw) {
    raw.assign(envelope_fixed_header_size, 0);
    const auto magic = as_bytes(labels::envelope_magic);
    std::size_t got = read_fully(in, std::span(raw).first(magic_size));
    if (std::memcmp(raw.data(), magic.data(), got) != 0) return Error::malformed;
    if (got < magic_size) return Error::truncated;

    if (read_fully(in, std::span(raw).subspan(magic_size, 2)) < 2) return Error::truncated;
    if (get_u16(std::span(raw).subspan<magic_size, 2>()) != labels::envelope_version) {
        return Error::unsupported_version;
    }
    if (read_fully(in, std::span(raw).subspan(magic_size + 2, 1)) < 1) return Error::truncated;
    const std::size_t count = raw[magic_size + 2];
    if (count < 1 || count > envelope_max_recipients) return Error::malformed;
    if (read_fully(in, std::span(raw).subspan(magic_size + 3, 8)) < 8) return Error::truncated;
    const std::uint64_t padded = get_u64(std::span(raw).subspan<magic_size + 3, 8>());
    if (!is_padded_length(padded) || padded > envelope_max_padded_length) return Error::malformed;

    out.recipient_count = count;
    out.padded_length = padded;
    const std::size_t rest = stream_header_bytes + count * envelope_stanza_size + envelope_mac_size;
    raw.resize(envelope_fixed_header_size - stream_header_bytes + rest);
    if (read_fully(in, std::span(raw).last(rest)) < rest) return Error::truncated;
    return {};
}

}  // namespace

std::uint64_t EnvelopeHeader::header_size() const noexcept {
    return envelope_fixed_header_size + recipient_count * envelope_stanza_size + envelope_mac_size;
}

std::uint64_t EnvelopeHeader::chunk_count() const noexcept {
    return (padded_length + envelope_chunk_size - 1) / envelope_chunk_size;
}

std::uint64_t EnvelopeHeader::total_size() const noexcept {
    return header_size() + padded_length + chunk_count() * envelope_chunk_overhead;
}

std::uint64_t envelope_size(std::uint64_t content_length, std::size_t recipient_count) noexcept {
    if (content_length > envelope_max_content_length || recipient_count > envelope_max_recipients) {
        return std::numeric_limits<std::uint64_t>::max();
    }
    EnvelopeHeader h{recipient_count, padded_length(envelope_length_prefix_size + content_length)};
    return h.total_size();
}

std::error_code read_envelope_header(ByteSource& in, EnvelopeHeader& out) {
    std::vector<unsigned char> raw;
    return read_header(in, out, raw);
}

std::error_code seal_envelope(std::span<const BoxPublicKey> recipients,
                              std::uint64_t content_length, ByteSource& content, ByteSink& out) {
    if (content_length > envelope_max_content_length) return Error::invalid_argument;
    const std::uint64_t padded = padded_length(envelope_length_prefix_size + content_length);
    FramedContent framed(content_length, padded, content);
    return seal_padded_payload(recipients, padded, framed, out);
}

std::error_code seal_padded_payload(std::span<const BoxPublicKey> recipients,
                                    std::uint64_t padded_length, ByteSource& padded_plaintext,
                                    ByteSink& out) {
    ensure_sodium();
    if (recipients.empty() || recipients.size() > envelope_max_recipients)
        return Error::invalid_argument;
    if (padded_length < envelope_length_prefix_size || padded_length > envelope_max_padded_length) {
        return Error::invalid_argument;
    }

    Workspace ws;
    crypto_secretstream_xchacha20poly1305_keygen(ws.file_key());
    ws.derive_subkeys();

    std::vector<unsigned char> header;
    header.reserve(envelope_fixed_header_size + recipients.size() * envelope_stanza_size +
                   envelope_mac_size);
    put_bytes(header, labels::envelope_magic);
    put_u16(header, labels::envelope_version);
    put_u8(header, static_cast<std::uint8_t>(recipients.size()));
    put_u64(header, padded_length);
    header.resize(header.size() + stream_header_bytes);
    crypto_secretstream_xchacha20poly1305_init_push(
        ws.state(), header.data() + header.size() - stream_header_bytes, ws.payload_key());
    for (const BoxPublicKey& recipient : recipients) {
        header.resize(header.size() + envelope_stanza_size);
        if (crypto_box_seal(header.data() + header.size() - envelope_stanza_size, ws.file_key(),
                            file_key_bytes, recipient.data()) != 0) {
            return Error::invalid_argument;  // libsodium rejects some low-order public keys
        }
    }
    header.resize(header.size() + envelope_mac_size);
    ws.header_mac(std::span(header).first(header.size() - envelope_mac_size),
                  header.data() + header.size() - envelope_mac_size);
    out.write(header);

    detail::ChunkPusher pusher(ws.state(), ws.chunk(), padded_length, out);
    while (!pusher.done()) {
        const std::span<unsigned char> space = pusher.space();
        const std::size_t got = read_fully(padded_plaintext, space);
        if (got < space.size()) return Error::truncated;
        pusher.commit(got);
    }
    return {};
}

std::error_code open_envelope(std::span<const BoxKeyPair* const> identities, ByteSource& in,
                              ByteSink& content) {
    ensure_sodium();
    EnvelopeHeader header;
    std::vector<unsigned char> raw;
    if (auto ec = read_header(in, header, raw)) return ec;

    Workspace ws;
    bool found = false;
    const unsigned char* stanzas = raw.data() + envelope_fixed_header_size;
    for (std::size_t i = 0; i < header.recipient_count && !found; ++i) {
        for (const BoxKeyPair* id : identities) {
            if (id->secret_key.size() != box_secret_key_bytes)
                continue;  // e.g. from a sign-only key file
            if (crypto_box_seal_open(ws.file_key(), stanzas + i * envelope_stanza_size,
                                     envelope_stanza_size, id->public_key.data(),
                                     id->secret_key.data()) == 0) {
                found = true;
                break;
            }
        }
    }
    if (!found) return Error::no_matching_key;

    ws.derive_subkeys();
    unsigned char mac[envelope_mac_size];
    ws.header_mac(std::span(raw).first(raw.size() - envelope_mac_size), mac);
    if (sodium_memcmp(mac, raw.data() + raw.size() - envelope_mac_size, envelope_mac_size) != 0) {
        return Error::authentication_failed;
    }

    if (crypto_secretstream_xchacha20poly1305_init_pull(
            ws.state(), raw.data() + envelope_fixed_header_size - stream_header_bytes,
            ws.payload_key()) != 0) {
        return Error::authentication_failed;
    }

    return detail::pull_framed_payload(ws.state(), ws.chunk(), header.padded_length, in, content);
}

}  // namespace tipline::crypto
