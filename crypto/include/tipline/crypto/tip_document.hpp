// The tip document: the plaintext inside an envelope, a structured header followed by the
// attachment bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/stream.hpp"

namespace tipline::crypto {

inline constexpr std::size_t tip_max_header_size = 2 * 1024 * 1024;
inline constexpr std::size_t tip_max_message_size = 1024 * 1024;
inline constexpr std::size_t tip_max_attachments = 256;
inline constexpr std::size_t tip_max_name_size = 255;
inline constexpr std::size_t tip_max_media_type_size = 127;
inline constexpr std::size_t tip_max_language_size = 35;
inline constexpr std::size_t tip_preamble_size = 8 + 2 + 4;  // magic, version, header length
inline constexpr std::size_t tip_signature_size =
    64;  // Ed25519, after the last attachment of version 2

// team_state: triage changes one responder shares with the team (FORMAT.md 9.6); always signed.
enum class TipKind : std::uint8_t { tip = 1, follow_up = 2, reply = 3, team_state = 4 };

struct AttachmentInfo {
    std::string name;        // as the witness's device named it; sanitize before using as a path
    std::string media_type;  // e.g. "image/jpeg"
    std::uint64_t size = 0;
    bool operator==(const AttachmentInfo&) const = default;
};

struct TipHeader {
    TipKind kind = TipKind::tip;
    std::int64_t created_at =
        0;  // client clock, seconds since the Unix epoch; exists only inside ciphertext
    std::string language = "und";
    // A tip's or follow-up's: where the witness receives replies, when it can. A reply's: the
    // witness's key it answers, which a signed reply must name.
    std::optional<BoxPublicKey> reply_key;
    std::string message;
    std::vector<AttachmentInfo> attachments;
    // A signed reply's or team state's responder (version 2). When a parsed document has one, its
    // signature verified.
    std::optional<PublicIdentity> signer;
    bool operator==(const TipHeader&) const = default;
};

// Checks every field against FORMAT.md's limits; Error::invalid_argument names no field, so keep
// inputs sane.
std::error_code validate_tip_header(const TipHeader& header);

// Preamble and header body; the attachment bytes follow it in the document.
std::error_code encode_tip_header(const TipHeader& header, std::vector<unsigned char>& out);

// Total document length: encoded header, every attachment size and, when signed, the signature.
std::uint64_t tip_document_length(std::size_t encoded_header_size,
                                  const TipHeader& header) noexcept;

// Seals the header and attachment i read from attachments[i], which must yield exactly its declared
// size.
std::error_code seal_tip(std::span<const BoxPublicKey> recipients, const TipHeader& header,
                         std::span<ByteSource* const> attachments, ByteSink& out);

// As seal_tip, for a reply signed by the responder who writes it (document version 2): header must
// be a reply naming the witness's reply key; its signer is set to signer's public identity.
std::error_code seal_signed_reply(std::span<const BoxPublicKey> recipients, TipHeader header,
                                  std::span<ByteSource* const> attachments,
                                  const SecretIdentity& signer, ByteSink& out);

// The team's state (FORMAT.md 9.6), signed by the responder who writes it: header must be of kind
// team_state, with no reply key and no attachment.
std::error_code seal_team_state(std::span<const BoxPublicKey> recipients, TipHeader header,
                                const SecretIdentity& signer, ByteSink& out);

// Receives a document as it is parsed. Nothing here is final until open_tip returns success.
class TipReceiver {
  public:
    virtual ~TipReceiver() = default;
    virtual void on_header(const TipHeader& header) = 0;
    virtual void on_attachment_data(std::size_t index, std::span<const unsigned char> bytes) = 0;
};

// Streaming parser: a ByteSink that buffers only the header. write() throws std::system_error
// carrying Error::malformed on bad input; finish() reports a document that ended early, and for a
// signed reply checks its signature (Error::authentication_failed).
class TipDocumentParser final : public ByteSink {
  public:
    explicit TipDocumentParser(TipReceiver& receiver) : receiver_(receiver) {}
    ~TipDocumentParser() override;  // wipes a partly received header
    TipDocumentParser(const TipDocumentParser&) = delete;
    TipDocumentParser& operator=(const TipDocumentParser&) = delete;
    void write(std::span<const unsigned char> bytes) override;
    std::error_code finish() const;

  private:
    void parse_header();

    TipReceiver& receiver_;
    std::vector<unsigned char> pending_;
    std::size_t header_size_ = 0;  // 0 until the preamble has been read
    bool header_done_ = false;
    std::vector<std::uint64_t> sizes_;
    std::size_t current_ = 0;
    std::uint64_t current_left_ = 0;
    // Version 2: the hash of every byte before the signature, the signer, the kind (which chooses
    // the signature's label) and the signature's bytes.
    bool signed_ = false;
    TipKind kind_ = TipKind::tip;
    alignas(64) std::array<unsigned char, 384> hash_state_{};  // a crypto_generichash_state
    SignPublicKey signer_{};
    std::vector<unsigned char> signature_;
};

// Parses a whole in-memory document (used by tests and the vector walker).
std::error_code parse_tip_document(std::span<const unsigned char> document, TipHeader& header,
                                   std::vector<std::vector<unsigned char>>& attachments);

// Opens an envelope and parses its document into receiver; envelope and document errors alike.
std::error_code open_tip(std::span<const BoxKeyPair* const> identities, ByteSource& in,
                         TipReceiver& receiver);

// One message of a bundle, opened: the day the server received it and its header (attachment
// bytes are not kept).
struct OpenedMessage {
    std::uint32_t day = 0;
    TipHeader header;
};

// Whether a witness may show this reply as the NGO's (FORMAT.md 9.5): it is signed (its signature
// verified when it was parsed), it answers this reply key, and its signer is one of the trusted
// keys.
bool is_trusted_reply(const TipHeader& reply, std::span<const PublicIdentity> trusted,
                      const BoxPublicKey& own_reply_key);

// Opens every envelope of a whole bundle in memory (a mailbox's replies) with these identities,
// in order, keeping those of kind want. Envelopes that do not open, or are of another kind, are
// counted in unreadable. A damaged bundle is Error::malformed or Error::truncated.
std::error_code open_bundle_messages(std::span<const unsigned char> bundle,
                                     std::span<const BoxKeyPair* const> identities, TipKind want,
                                     std::vector<OpenedMessage>& out, std::size_t& unreadable);

}  // namespace tipline::crypto
