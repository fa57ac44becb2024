// Tip document encoding, validation and streaming parsing, and the seal_tip/open_tip pair over
// envelopes.
#include "tipline/crypto/tip_document.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/utf8.hpp"

namespace tipline::crypto {
namespace {

[[noreturn]] void fail(Error e) { throw std::system_error(make_error_code(e)); }

bool valid_language(std::string_view tag) {
    return !tag.empty() && tag.size() <= tip_max_language_size &&
           std::all_of(tag.begin(), tag.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-';
           });
}

bool valid_media_type(std::string_view type) {
    return !type.empty() && type.size() <= tip_max_media_type_size &&
           std::all_of(type.begin(), type.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

bool valid_name(std::string_view name) {
    return !name.empty() && name.size() <= tip_max_name_size && is_valid_utf8(name) &&
           name.find('\0') == std::string_view::npos;
}

std::string take_string(ByteReader& r, std::size_t length) {
    auto bytes = r.take(length);
    if (!bytes) fail(Error::malformed);
    return {reinterpret_cast<const char*>(bytes->data()), bytes->size()};
}

template <typename T>
T need(std::optional<T> v) {
    if (!v) fail(Error::malformed);
    return *v;
}

using HashState = crypto_generichash_state;
static_assert(sizeof(HashState) == 384 && alignof(HashState) <= 64);

// The message a signed document's signature covers: the label of its kind, then the hash of the
// document before it.
std::vector<unsigned char> signing_message(HashState& state, TipKind kind) {
    std::array<unsigned char, 32> hash{};
    crypto_generichash_final(&state, hash.data(), hash.size());
    std::vector<unsigned char> m;
    put_bytes(m, kind == TipKind::team_state ? labels::signed_team_state_label
                                             : labels::signed_reply_label);
    put_bytes(m, hash);
    return m;
}

// The document as one stream: the encoded header, then each attachment cut to its declared size,
// then, for a signed document, the signature over everything before it.
class DocumentSource final : public ByteSource {
  public:
    DocumentSource(std::span<const unsigned char> header, const TipHeader& tip,
                   std::span<ByteSource* const> parts, const SecretBuffer* sign_secret)
        : header_(header), tip_(tip), parts_(parts), sign_secret_(sign_secret) {
        if (sign_secret_) crypto_generichash_init(&hash_, nullptr, 0, 32);
    }

    std::size_t read(std::span<unsigned char> out) override {
        std::size_t filled = header_.read(out);
        while (filled < out.size() && index_ < parts_.size()) {
            const std::uint64_t size = tip_.attachments[index_].size;
            const auto n = static_cast<std::size_t>(
                std::min<std::uint64_t>(out.size() - filled, size - done_));
            const std::size_t got = read_fully(*parts_[index_], out.subspan(filled, n));
            filled += got;
            done_ += got;
            if (got < n)
                return hashed(
                    out.first(filled));  // shorter than declared: the sealer reports truncation
            if (done_ == size) ++index_, done_ = 0;
        }
        hashed(out.first(filled));
        if (sign_secret_ && filled < out.size()) filled += read_signature(out.subspan(filled));
        return filled;
    }

  private:
    std::size_t hashed(std::span<const unsigned char> bytes) {
        if (sign_secret_ && !signature_made_)
            crypto_generichash_update(&hash_, bytes.data(), bytes.size());
        return bytes.size();
    }

    std::size_t read_signature(std::span<unsigned char> out) {
        if (!signature_made_) {
            const auto message = signing_message(hash_, tip_.kind);
            crypto_sign_detached(signature_.data(), nullptr, message.data(), message.size(),
                                 sign_secret_->data());
            signature_made_ = true;
        }
        const std::size_t n = std::min(out.size(), signature_.size() - signature_given_);
        std::memcpy(out.data(), signature_.data() + signature_given_, n);
        signature_given_ += n;
        return n;
    }

    MemorySource header_;
    const TipHeader& tip_;
    std::span<ByteSource* const> parts_;
    std::size_t index_ = 0;
    std::uint64_t done_ = 0;
    const SecretBuffer* sign_secret_;
    HashState hash_{};
    std::array<unsigned char, tip_signature_size> signature_{};
    bool signature_made_ = false;
    std::size_t signature_given_ = 0;
};

class CollectingReceiver final : public TipReceiver {
  public:
    CollectingReceiver(TipHeader& header, std::vector<std::vector<unsigned char>>& attachments)
        : header_(header), attachments_(attachments) {}
    void on_header(const TipHeader& header) override {
        header_ = header;
        attachments_.assign(header.attachments.size(), {});
    }
    void on_attachment_data(std::size_t index, std::span<const unsigned char> bytes) override {
        attachments_[index].insert(attachments_[index].end(), bytes.begin(), bytes.end());
    }

  private:
    TipHeader& header_;
    std::vector<std::vector<unsigned char>>& attachments_;
};

}  // namespace

std::error_code validate_tip_header(const TipHeader& h) {
    const auto kind = static_cast<std::uint8_t>(h.kind);
    if (kind < 1 || kind > 4 || !valid_language(h.language) ||
        h.message.size() > tip_max_message_size || !is_valid_utf8(h.message) ||
        h.attachments.size() > tip_max_attachments) {
        return Error::invalid_argument;
    }
    for (const AttachmentInfo& a : h.attachments) {
        if (!valid_name(a.name) || !valid_media_type(a.media_type) ||
            a.size > envelope_max_content_length) {
            return Error::invalid_argument;
        }
    }
    // A signed reply names the witness it answers, so it cannot be passed to another. The team's
    // state is always signed, concerns no witness and carries no file.
    if (h.kind == TipKind::team_state)
        return h.signer && !h.reply_key && h.attachments.empty() ? std::error_code{}
                                                                 : Error::invalid_argument;
    if (h.signer && (h.kind != TipKind::reply || !h.reply_key)) return Error::invalid_argument;
    return {};
}

std::error_code encode_tip_header(const TipHeader& h, std::vector<unsigned char>& out) {
    if (auto ec = validate_tip_header(h)) return ec;
    std::vector<unsigned char> body;
    put_u8(body, static_cast<std::uint8_t>(h.kind));
    put_u64(body, static_cast<std::uint64_t>(h.created_at));
    put_u8(body, static_cast<std::uint8_t>(h.language.size()));
    put_bytes(body, h.language);
    put_u8(body, h.reply_key ? 1 : 0);
    if (h.reply_key) put_bytes(body, *h.reply_key);
    put_u32(body, static_cast<std::uint32_t>(h.message.size()));
    put_bytes(body, h.message);
    put_u16(body, static_cast<std::uint16_t>(h.attachments.size()));
    for (const AttachmentInfo& a : h.attachments) {
        put_u16(body, static_cast<std::uint16_t>(a.name.size()));
        put_bytes(body, a.name);
        put_u8(body, static_cast<std::uint8_t>(a.media_type.size()));
        put_bytes(body, a.media_type);
        put_u64(body, a.size);
    }
    if (h.signer) {
        put_bytes(body, h.signer->box);
        put_bytes(body, h.signer->sign);
    }
    out.clear();
    put_bytes(out, labels::tip_document_magic);
    put_u16(out, h.signer ? labels::tip_document_signed_version : labels::tip_document_version);
    put_u32(out, static_cast<std::uint32_t>(body.size()));
    put_bytes(out, body);
    return {};
}

std::uint64_t tip_document_length(std::size_t encoded_header_size,
                                  const TipHeader& header) noexcept {
    std::uint64_t total = encoded_header_size;
    for (const AttachmentInfo& a : header.attachments) total += a.size;
    return total + (header.signer ? tip_signature_size : 0);
}

namespace {

std::error_code seal_document(std::span<const BoxPublicKey> recipients, const TipHeader& header,
                              std::span<ByteSource* const> attachments,
                              const SecretBuffer* sign_secret, ByteSink& out) {
    if (attachments.size() != header.attachments.size()) return Error::invalid_argument;
    std::vector<unsigned char> encoded;
    if (auto ec = encode_tip_header(header, encoded)) return ec;
    const std::uint64_t total = tip_document_length(encoded.size(), header);
    if (total > envelope_max_content_length) return Error::invalid_argument;
    DocumentSource source(encoded, header, attachments, sign_secret);
    return seal_envelope(recipients, total, source, out);
}

}  // namespace

std::error_code seal_tip(std::span<const BoxPublicKey> recipients, const TipHeader& header,
                         std::span<ByteSource* const> attachments, ByteSink& out) {
    if (header.signer) return Error::invalid_argument;  // only the signed sealers sign
    return seal_document(recipients, header, attachments, nullptr, out);
}

namespace {

std::error_code seal_signed(std::span<const BoxPublicKey> recipients, TipHeader header,
                            std::span<ByteSource* const> attachments, const SecretIdentity& signer,
                            ByteSink& out) {
    if (signer.contents == KeyFileContents::organisation ||
        signer.sign_secret.size() != crypto_sign_SECRETKEYBYTES) {
        return Error::invalid_argument;
    }
    header.signer = signer.public_identity;
    return seal_document(recipients, header, attachments, &signer.sign_secret, out);
}

}  // namespace

std::error_code seal_signed_reply(std::span<const BoxPublicKey> recipients, TipHeader header,
                                  std::span<ByteSource* const> attachments,
                                  const SecretIdentity& signer, ByteSink& out) {
    if (header.kind != TipKind::reply) return Error::invalid_argument;
    return seal_signed(recipients, std::move(header), attachments, signer, out);
}

std::error_code seal_team_state(std::span<const BoxPublicKey> recipients, TipHeader header,
                                const SecretIdentity& signer, ByteSink& out) {
    if (header.kind != TipKind::team_state) return Error::invalid_argument;
    return seal_signed(recipients, std::move(header), {}, signer, out);
}

TipDocumentParser::~TipDocumentParser() {
    if (!pending_.empty()) sodium_memzero(pending_.data(), pending_.size());
}

void TipDocumentParser::write(std::span<const unsigned char> bytes) {
    auto* hash = reinterpret_cast<HashState*>(hash_state_.data());
    while (!bytes.empty()) {
        if (!header_done_) {
            const std::size_t want =
                (header_size_ == 0 ? tip_preamble_size : header_size_) - pending_.size();
            const std::size_t n = std::min(want, bytes.size());
            pending_.insert(pending_.end(), bytes.begin(),
                            bytes.begin() + static_cast<std::ptrdiff_t>(n));
            bytes = bytes.subspan(n);
            if (n < want) return;
            if (signed_) crypto_generichash_update(hash, pending_.data(), pending_.size());
            if (header_size_ == 0) {
                ByteReader r(pending_);
                if (std::memcmp(need(r.take(8)).data(), labels::tip_document_magic.data(), 8) !=
                    0) {
                    fail(Error::malformed);
                }
                const std::uint16_t version = need(r.take_u16());
                if (version != labels::tip_document_version &&
                    version != labels::tip_document_signed_version) {
                    fail(Error::unsupported_version);
                }
                header_size_ = need(r.take_u32());
                if (header_size_ == 0 || header_size_ > tip_max_header_size) fail(Error::malformed);
                signed_ = version == labels::tip_document_signed_version;
                if (signed_) {
                    crypto_generichash_init(hash, nullptr, 0, 32);
                    crypto_generichash_update(hash, pending_.data(), pending_.size());
                }
                pending_.clear();
                pending_.reserve(header_size_);  // one buffer, so no stale copy of header plaintext
                                                 // is left behind
            } else {
                parse_header();
            }
            continue;
        }
        while (current_ < sizes_.size() && current_left_ == 0) {
            if (++current_ < sizes_.size()) current_left_ = sizes_[current_];
        }
        if (current_ >=
            sizes_.size()) {  // past the last attachment: a signature, or bytes too many
            if (!signed_ || signature_.size() + bytes.size() > tip_signature_size)
                fail(Error::malformed);
            signature_.insert(signature_.end(), bytes.begin(), bytes.end());
            return;
        }
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), current_left_));
        if (signed_) crypto_generichash_update(hash, bytes.data(), n);
        receiver_.on_attachment_data(current_, bytes.first(n));
        current_left_ -= n;
        bytes = bytes.subspan(n);
    }
}

void TipDocumentParser::parse_header() {
    ByteReader r(pending_);
    TipHeader h;
    const std::uint8_t kind = need(r.take_u8());
    h.kind = static_cast<TipKind>(kind);
    h.created_at = static_cast<std::int64_t>(need(r.take_u64()));
    h.language = take_string(r, need(r.take_u8()));
    const std::uint8_t has_reply = need(r.take_u8());
    if (has_reply > 1) fail(Error::malformed);
    if (has_reply == 1) {
        BoxPublicKey key{};
        std::memcpy(key.data(), need(r.take(key.size())).data(), key.size());
        h.reply_key = key;
    }
    h.message = take_string(r, need(r.take_u32()));
    const std::uint16_t count = need(r.take_u16());
    if (count > tip_max_attachments) fail(Error::malformed);
    for (std::uint16_t i = 0; i < count; ++i) {
        AttachmentInfo a;
        a.name = take_string(r, need(r.take_u16()));
        a.media_type = take_string(r, need(r.take_u8()));
        a.size = need(r.take_u64());
        h.attachments.push_back(std::move(a));
    }
    if (signed_) {
        PublicIdentity signer;
        std::memcpy(signer.box.data(), need(r.take(signer.box.size())).data(), signer.box.size());
        std::memcpy(signer.sign.data(), need(r.take(signer.sign.size())).data(),
                    signer.sign.size());
        h.signer = signer;
        signer_ = signer.sign;
    }
    kind_ = h.kind;
    if (r.remaining() != 0 || validate_tip_header(h)) fail(Error::malformed);

    sodium_memzero(pending_.data(), pending_.size());
    pending_.clear();
    pending_.shrink_to_fit();
    header_done_ = true;
    for (const AttachmentInfo& a : h.attachments) sizes_.push_back(a.size);
    if (!sizes_.empty()) current_left_ = sizes_[0];
    receiver_.on_header(h);
}

std::error_code TipDocumentParser::finish() const {
    if (!header_done_) return Error::malformed;
    std::size_t index = current_;
    if (index < sizes_.size() && current_left_ > 0) return Error::malformed;
    for (++index; index < sizes_.size(); ++index) {
        if (sizes_[index] > 0) return Error::malformed;
    }
    if (!signed_) return {};
    if (signature_.size() != tip_signature_size) return Error::malformed;
    HashState hash;
    std::memcpy(&hash, hash_state_.data(), sizeof hash);
    const auto message = signing_message(hash, kind_);
    if (crypto_sign_verify_detached(signature_.data(), message.data(), message.size(),
                                    signer_.data()) != 0) {
        return Error::authentication_failed;
    }
    return {};
}

std::error_code parse_tip_document(std::span<const unsigned char> document, TipHeader& header,
                                   std::vector<std::vector<unsigned char>>& attachments) {
    CollectingReceiver receiver(header, attachments);
    TipDocumentParser parser(receiver);
    try {
        parser.write(document);
    } catch (const std::system_error& e) {
        if (e.code().category() == error_category()) return e.code();
        throw;
    }
    return parser.finish();
}

std::error_code open_tip(std::span<const BoxKeyPair* const> identities, ByteSource& in,
                         TipReceiver& receiver) {
    TipDocumentParser parser(receiver);
    try {
        if (auto ec = open_envelope(identities, in, parser)) return ec;
    } catch (const std::system_error& e) {
        if (e.code().category() == error_category()) return e.code();
        throw;
    }
    return parser.finish();
}

namespace {

class HeaderKeeper final : public TipReceiver {
  public:
    void on_header(const TipHeader& header) override { header_ = header; }
    void on_attachment_data(std::size_t, std::span<const unsigned char>) override {}
    TipHeader& header() { return header_; }

  private:
    TipHeader header_;
};

}  // namespace

bool is_trusted_reply(const TipHeader& reply, std::span<const PublicIdentity> trusted,
                      const BoxPublicKey& own_reply_key) {
    return reply.kind == TipKind::reply && reply.signer && reply.reply_key == own_reply_key &&
           std::find(trusted.begin(), trusted.end(), *reply.signer) != trusted.end();
}

std::error_code open_bundle_messages(std::span<const unsigned char> bundle,
                                     std::span<const BoxKeyPair* const> identities, TipKind want,
                                     std::vector<OpenedMessage>& out, std::size_t& unreadable) {
    MemorySource in(bundle);
    std::vector<BundleEntry> entries;
    if (const auto ec = read_bundle_manifest(in, bundle.size(), entries)) return ec;
    for (const BundleEntry& e : entries) {
        LimitedSource envelope(in, e.size);
        HeaderKeeper keeper;
        const std::error_code ec = open_tip(identities, envelope, keeper);
        if (!envelope.skip_rest()) return Error::truncated;
        if (ec || keeper.header().kind != want) {
            ++unreadable;
            continue;
        }
        out.push_back({e.day, std::move(keeper.header())});
    }
    return {};
}

}  // namespace tipline::crypto
