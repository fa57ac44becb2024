// Sealing a post of the web form without JavaScript: the tip document of its fields, sealed to the
// responders in memory and stored as a tip with a fresh mailbox, or as a follow-up in the mailbox
// of the typed receipt. Photos are cleaned of their metadata first, as the witness's tool would.
// The server generates the witness's receipt and shows it once the tip is durable.
#include <chrono>
#include <stdexcept>

#include "tipline/client/image_metadata.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/server/write_ops.hpp"
#include "web_form_parts.hpp"

namespace tipline::server::web_form {
namespace {

// The attachments as they will be sealed: read out of the spool in order, each photo cleaned of
// its metadata with the witness's tool's code. Plaintext, so wiped once sealed.
struct Prepared {
    std::vector<std::vector<unsigned char>> files;
    std::vector<crypto::AttachmentInfo> infos;
    Cleaned cleaned;
    bool refused = false;  // a photo that could not be cleaned: nothing may be sealed
    ~Prepared() {
        for (auto& f : files) sodium_memzero(f.data(), f.size());
    }
};

void prepare_attachments(Fields& fields, Prepared& out) {
    out.infos = fields.attachments;
    out.files.reserve(fields.attachments.size());
    for (crypto::AttachmentInfo& info : out.infos) {
        std::vector<unsigned char> bytes(static_cast<std::size_t>(info.size));
        std::size_t at = 0;
        while (at < bytes.size()) {
            const std::size_t n = fields.spool.read(std::span(bytes).subspan(at));
            if (n == 0) throw std::runtime_error("the spool ended early");
            at += n;
        }
        if (client::detect_image_format(bytes) != client::ImageFormat::not_an_image) {
            client::CleanedImage clean;
            const std::error_code failed = client::strip_image_metadata(bytes, clean);
            sodium_memzero(bytes.data(), bytes.size());
            if (failed) {
                out.refused = true;
                return;
            }
            if (clean.report.found_any()) {
                out.cleaned.names.push_back(info.name);
                out.cleaned.place |= clean.report.exif_gps || clean.report.xmp_gps;
            }
            bytes = std::move(clean.bytes);
            info.size = bytes.size();
        }
        out.files.push_back(std::move(bytes));
    }
}

// The tip document of the form's fields, photos cleaned, sealed to the responders; an empty
// envelope on failure, or prepared.refused. The message is wiped once sealed.
std::vector<unsigned char> seal(Fields& fields, crypto::TipKind kind,
                                const crypto::BoxPublicKey& reply_key, const ServerInfo& info,
                                Prepared& prepared) {
    prepare_attachments(fields, prepared);
    if (prepared.refused) {
        wipe(fields.message);
        return {};
    }
    std::vector<crypto::BoxPublicKey> recipients;
    for (const crypto::PublicIdentity& id : info.recipients->current()->identities)
        recipients.push_back(id.box);
    crypto::TipHeader header;
    header.kind = kind;
    // The server's clock: in this mode the server sees the moment of arrival anyway.
    header.created_at = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    header.language = fields.language;
    header.reply_key = reply_key;
    header.message = fields.message;
    header.attachments = prepared.infos;
    std::vector<crypto::MemorySource> parts;
    parts.reserve(prepared.files.size());
    for (const auto& f : prepared.files) parts.emplace_back(f);
    std::vector<crypto::ByteSource*> sources;
    for (crypto::MemorySource& p : parts) sources.push_back(&p);
    crypto::VectorSink sink;
    const std::error_code sealed = crypto::seal_tip(recipients, header, sources, sink);
    wipe(header.message);
    wipe(fields.message);
    if (sealed) return {};
    return std::move(sink.bytes());
}

// A photo the server could not clean: nothing is sealed, and the page says why.
Response unclean_photo(const Fields& fields, const Reply& reply) {
    return form_error_page(reply.lang, http::status::unprocessable_entity, "error.unclean_photo",
                           reply.version, form_of(fields.mode));
}

Response storage_failure(const Fields& fields, const Reply& reply) {
    return form_error_page(reply.lang, http::status::internal_server_error, "error.storage",
                           reply.version, form_of(fields.mode));
}

}  // namespace

Action store_tip(Fields& fields, const ServerInfo& info, Circuit& circuit, const Reply& reply) {
    const auto salt = deployment_salt(info);
    if (!salt) return storage_failure(fields, reply);
    // The receipt comes from the form's token, so that the same form sent twice gets the same
    // receipt; without a token this process issued, it is made here, as a witness's tool would.
    auto redeemed = info.form_tokens->redeem(fields.receipt);
    crypto::SecretBuffer digits = redeemed ? std::move(*redeemed) : crypto::generate_receipt();
    crypto::ReceiptKeys keys = crypto::derive_receipt_keys(digits.span(), *salt);
    crypto::SecretBuffer shown = crypto::format_receipt(digits.span());
    std::string receipt(reinterpret_cast<const char*>(shown.data()), shown.size());
    Prepared prepared;
    std::vector<unsigned char> envelope =
        seal(fields, crypto::TipKind::tip, keys.reply.public_key, info, prepared);
    if (envelope.empty()) {
        wipe(receipt);
        return prepared.refused ? unclean_photo(fields, reply) : storage_failure(fields, reply);
    }
    const NewMailbox mailbox{crypto::mailbox_id(keys.reply.public_key),
                             crypto::hash_mailbox_token(keys.mailbox_token.span())};
    const std::uint64_t size = envelope.size();
    return PendingWrite{
        store_envelope_op(std::move(envelope), mailbox), size,
        [lang = reply.lang, receipt = std::move(receipt), v = reply.version,
         keep = reply.keep_alive, cleaned = std::move(prepared.cleaned),
         &circuit](const WriteResult& r) mutable {
            if (!r.ec) circuit.web_forms.take();
            // The mailbox exists: this form was sent before, and its tip stored then.
            const bool again = r.ec == IngestError::mailbox_taken;
            Response res =
                again ? receipt_page(lang, receipt, true, v, keep)
                : r.ec == IngestError::full
                    ? form_error_page(lang, http::status::insufficient_storage, "error.storage", v)
                : r.ec
                    ? form_error_page(lang, http::status::service_unavailable, "error.storage", v)
                    : receipt_page(lang, receipt, false, v, keep, cleaned);
            sodium_memzero(receipt.data(), receipt.size());
            return res;
        }};
}

Action store_follow_up(Fields& fields, const ServerInfo& info, Circuit& circuit,
                       const Reply& reply) {
    auto typed = typed_receipt(fields, info, reply, fields.receipt_kdf);
    if (auto* res = std::get_if<Response>(&typed)) return std::move(*res);
    const auto& k = std::get<TypedReceipt>(typed).keys;
    Prepared prepared;
    std::vector<unsigned char> envelope =
        seal(fields, crypto::TipKind::follow_up, k->reply.public_key, info, prepared);
    if (envelope.empty())
        return prepared.refused ? unclean_photo(fields, reply) : storage_failure(fields, reply);
    const MailboxKey key = crypto::mailbox_id(k->reply.public_key);
    const TokenHash hash = crypto::hash_mailbox_token(k->mailbox_token.span());
    const std::uint64_t size = envelope.size();
    return PendingWrite{
        store_follow_up_op(std::move(envelope), key, hash), size,
        [&circuit, reply, cleaned = std::move(prepared.cleaned)](const WriteResult& r) {
            if (r.ec) return mailbox_refusal(r, circuit, reply, WebTarget::follow_up);
            circuit.web_forms.take();
            return follow_up_sent_page(reply.lang, reply.version, reply.keep_alive, cleaned);
        },
        Room::conversation};
}

}  // namespace tipline::server::web_form
