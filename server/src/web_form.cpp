// The web form without JavaScript: the multipart body streams through the parser into a spool
// encrypted under a key that exists only in this process's memory, then into the tip's envelope.
// Plaintext exists only in small buffers in memory, which are wiped; the server generates the
// witness's receipt and shows it once, after the tip is durable.
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <variant>

#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/secret_buffer.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/crypto/utf8.hpp"
#include "tipline/server/multipart.hpp"
#include "tipline/server/web.hpp"
#include "tipline/server/write_ops.hpp"

namespace tipline::server {
namespace {

constexpr std::size_t spool_chunk = 64 * 1024;
constexpr std::string_view fallback_media_type = "application/octet-stream";
// Submissions sealed at once; more wait for none and get "busy", so memory stays bounded.
constexpr unsigned max_concurrent_submissions = 4;
std::atomic<unsigned> submissions_in_progress{0};

using StreamState = crypto_secretstream_xchacha20poly1305_state;

// Attachment bytes encrypted as they arrive, under a fresh key kept in secure memory, and read back
// once in order while the tip is sealed.
class Spool {
  public:
    Spool()
        : key_(crypto_secretstream_xchacha20poly1305_KEYBYTES),
          state_(sizeof(StreamState)),
          staged_(spool_chunk) {
        crypto_secretstream_xchacha20poly1305_keygen(key_.data());
        unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
        crypto_secretstream_xchacha20poly1305_init_push(state(), header, key_.data());
        stream_header_.assign(header, header + sizeof header);
    }

    void write(std::span<const unsigned char> bytes) {
        while (!bytes.empty()) {
            const std::size_t n = std::min(bytes.size(), spool_chunk - staged_size_);
            std::copy_n(bytes.begin(), n, staged_.data() + staged_size_);
            staged_size_ += n;
            bytes = bytes.subspan(n);
            if (staged_size_ == spool_chunk) push(0);
        }
    }

    // No more bytes: the last chunk carries the final tag, and the spool can be read.
    void close() { push(crypto_secretstream_xchacha20poly1305_TAG_FINAL); }

    // The next n plaintext bytes, in order; returns how many it gave.
    std::size_t read(std::span<unsigned char> out) {
        std::size_t given = 0;
        while (given < out.size()) {
            if (plain_at_ == plain_size_ && !pull()) break;
            const std::size_t n = std::min(out.size() - given, plain_size_ - plain_at_);
            std::copy_n(staged_.data() + plain_at_, n, out.data() + given);
            plain_at_ += n;
            given += n;
        }
        return given;
    }

  private:
    StreamState* state() { return reinterpret_cast<StreamState*>(state_.data()); }

    void push(unsigned char tag) {
        const std::size_t at = cipher_.size();
        cipher_.resize(at + staged_size_ + crypto_secretstream_xchacha20poly1305_ABYTES);
        crypto_secretstream_xchacha20poly1305_push(state(), cipher_.data() + at, nullptr,
                                                   staged_.data(), staged_size_, nullptr, 0, tag);
        sodium_memzero(staged_.data(), staged_size_);
        staged_size_ = 0;
    }

    bool pull() {
        if (read_at_ == 0) {
            crypto_secretstream_xchacha20poly1305_init_pull(state(), stream_header_.data(),
                                                            key_.data());
        }
        if (read_at_ >= cipher_.size()) return false;
        const std::size_t chunk = std::min(
            cipher_.size() - read_at_, spool_chunk + crypto_secretstream_xchacha20poly1305_ABYTES);
        unsigned long long n = 0;
        unsigned char tag = 0;
        if (crypto_secretstream_xchacha20poly1305_pull(state(), staged_.data(), &n, &tag,
                                                       cipher_.data() + read_at_, chunk, nullptr,
                                                       0) != 0) {
            throw std::runtime_error("the spool did not authenticate");
        }
        read_at_ += chunk;
        plain_size_ = static_cast<std::size_t>(n);
        plain_at_ = 0;
        return true;
    }

    crypto::SecretBuffer key_;
    crypto::SecretBuffer state_;
    crypto::SecretBuffer staged_;  // plaintext waiting to be pushed, then plaintext pulled
    std::size_t staged_size_ = 0;
    std::vector<unsigned char> stream_header_;
    std::vector<unsigned char> cipher_;
    std::size_t read_at_ = 0;
    std::size_t plain_size_ = 0, plain_at_ = 0;
};

// One attachment's bytes out of the shared spool, exactly its size.
class SpoolPart final : public crypto::ByteSource {
  public:
    SpoolPart(Spool& spool, std::uint64_t size) : spool_(spool), left_(size) {}
    std::size_t read(std::span<unsigned char> out) override {
        const std::size_t n = spool_.read(
            out.first(static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), left_))));
        left_ -= n;
        return n;
    }

  private:
    Spool& spool_;
    std::uint64_t left_;
};

// A browser's Content-Type as a tip's media type: the type and subtype only, lowercase, visible
// ASCII.
std::string media_type_of(std::string_view content_type) {
    std::string type(content_type.substr(0, content_type.find(';')));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool visible =
        std::all_of(type.begin(), type.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (type.empty() || type.size() > crypto::tip_max_media_type_size || !visible ||
        type.find('/') == std::string::npos) {
        return std::string(fallback_media_type);
    }
    return type;
}

constexpr std::size_t max_receipt_field = 200;

// What a post of the form asks: a new tip, the replies to a receipt, or more under a receipt.
enum class Mode { tip, check, follow_up };

class WebSubmission final : public StreamedBody, private FormHandler {
  public:
    WebSubmission(Mode mode, std::string boundary, std::string lang, const ServerInfo& info,
                  unsigned version, bool keep_alive)
        : mode_(mode),
          parser_(std::move(boundary), *this),
          lang_(std::move(lang)),
          info_(info),
          version_(version),
          keep_(keep_alive) {
        if (mode_ != Mode::check) message_.reserve(crypto::tip_max_message_size);
        if (mode_ == Mode::follow_up) language_ = lang_;
    }
    ~WebSubmission() override {
        wipe(message_);
        wipe(field_);
        wipe(receipt_);
        --submissions_in_progress;
    }

    bool write(std::span<const unsigned char> bytes) noexcept override {
        if (failure_) return false;
        try {
            parser_.write(bytes);
        } catch (const FormError&) {
            fail("error.bad_form", http::status::bad_request);
        } catch (const std::length_error&) {
            fail("error.too_large", http::status::payload_too_large);
        } catch (const std::exception&) {
            fail("error.bad_form", http::status::bad_request);
        }
        return !failure_;
    }

    Action finish() override {
        try {
            parser_.finish();
        } catch (const FormError&) {
            fail("error.bad_form", http::status::bad_request);
        }
        if (failure_) return refusal(Failure::refused);
        if (mode_ == Mode::check) return check_replies();
        if (message_.empty() && attachments_.empty()) {
            fail("error.empty", http::status::bad_request);
            return refusal(Failure::refused);
        }
        if (!crypto::is_valid_utf8(message_)) {
            fail("error.bad_form", http::status::bad_request);
            return refusal(Failure::refused);
        }
        // Without JavaScript there is no proof of work: a global budget bounds what the server
        // seals, counting only whole, well-formed submissions.
        if (!info_.web_forms->try_take()) {
            fail("error.busy", http::status::service_unavailable);
            return refusal(Failure::refused);
        }
        spool_.close();
        return mode_ == Mode::tip ? seal_and_store() : seal_follow_up();
    }

    Response refusal(Failure why) override {
        switch (why) {
            case Failure::too_large:
                return form_error_page(lang_, http::status::payload_too_large, "error.too_large",
                                       version_, form());
            case Failure::timeout:
                return form_error_page(lang_, http::status::request_timeout, "error.bad_form",
                                       version_, form());
            case Failure::malformed:
                return form_error_page(lang_, http::status::bad_request, "error.bad_form", version_,
                                       form());
            case Failure::refused:
                break;
        }
        return form_error_page(lang_, status_, failure_ ? failure_ : "error.bad_form", version_,
                               form());
    }

  private:
    enum class Field { none, message, language, file, receipt, token };

    WebTarget::Kind form() const {
        return mode_ == Mode::tip     ? WebTarget::submit
               : mode_ == Mode::check ? WebTarget::check
                                      : WebTarget::follow_up;
    }

    static void wipe(std::string& s) {
        if (!s.empty()) sodium_memzero(s.data(), s.size());
        s.clear();
    }

    void fail(const char* key, http::status status) {
        if (failure_) return;
        failure_ = key;
        status_ = status;
    }

    void on_part(const FormPart& part) override {
        field_.clear();
        const bool takes_receipt = mode_ != Mode::tip, takes_tip = mode_ != Mode::check;
        if (part.name == "receipt" && !part.filename && takes_receipt) {
            field_kind_ = Field::receipt;
        } else if (part.name == "message" && !part.filename && takes_tip) {
            field_kind_ = Field::message;
        } else if (part.name == "language" && !part.filename && mode_ == Mode::tip) {
            field_kind_ = Field::language;
        } else if (part.name == "form_token" && !part.filename && mode_ == Mode::tip) {
            field_kind_ = Field::token;  // kept where a receipt would be: it holds one, sealed
        } else if (part.name == "files" && part.filename && takes_tip) {
            field_kind_ = Field::file;
            if (attachments_.size() == crypto::tip_max_attachments)
                throw std::length_error("too many files");
            attachments_.push_back({*part.filename, media_type_of(part.content_type), 0});
        } else {
            field_kind_ = Field::none;  // unknown fields are ignored, not stored
        }
    }

    void on_data(std::span<const unsigned char> bytes) override {
        switch (field_kind_) {
            case Field::message:
                if (message_.size() + bytes.size() > crypto::tip_max_message_size) {
                    fail("error.message_too_long", http::status::payload_too_large);
                    throw std::length_error("message");
                }
                message_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
                break;
            case Field::language:
                if (field_.size() + bytes.size() > crypto::tip_max_language_size)
                    throw FormError("language");
                field_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
                break;
            case Field::receipt:
            case Field::token:
                if (receipt_.size() + bytes.size() > max_receipt_field) throw FormError("receipt");
                receipt_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
                break;
            case Field::file:
                attachments_.back().size += bytes.size();
                spool_.write(bytes);
                break;
            case Field::none:
                break;
        }
    }

    void on_part_end() override {
        if (field_kind_ == Field::language) {
            language_ = "und";
            for (const std::string& known : web_languages()) {
                if (field_ == known) language_ = known;
            }
        }
        if (field_kind_ == Field::file) {
            const crypto::AttachmentInfo& a = attachments_.back();
            // A file input left empty still sends a part, with no name and no bytes.
            if (a.name.empty() && a.size == 0) {
                attachments_.pop_back();
            } else if (a.name.empty() || a.name.size() > crypto::tip_max_name_size ||
                       !crypto::is_valid_utf8(a.name) || a.name.find('\0') != std::string::npos) {
                attachments_.back().name = "attachment";
            }
        }
        field_kind_ = Field::none;
    }

    std::optional<crypto::DeploymentSalt> salt() const {
        crypto::DeploymentSalt salt{};
        if (!crypto::from_hex(info_.salt_hex, salt)) return std::nullopt;
        return salt;
    }

    // The tip document of the form's fields, sealed to the responders; empty on failure.
    std::vector<unsigned char> seal(crypto::TipKind kind, const crypto::BoxPublicKey& reply_key) {
        std::vector<crypto::BoxPublicKey> recipients;
        for (const crypto::PublicIdentity& id : info_.recipients->current()->identities)
            recipients.push_back(id.box);
        crypto::TipHeader header;
        header.kind = kind;
        // The server's clock: in this mode the server sees the moment of arrival anyway.
        header.created_at = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        header.language = language_;
        header.reply_key = reply_key;
        header.message = message_;
        header.attachments = attachments_;
        std::vector<SpoolPart> parts;
        parts.reserve(attachments_.size());
        for (const auto& a : attachments_) parts.emplace_back(spool_, a.size);
        std::vector<crypto::ByteSource*> sources;
        for (SpoolPart& p : parts) sources.push_back(&p);
        crypto::VectorSink sink;
        const std::error_code sealed = crypto::seal_tip(recipients, header, sources, sink);
        wipe(header.message);
        wipe(message_);
        if (sealed) return {};
        return std::move(sink.bytes());
    }

    Action seal_and_store() {
        const auto deployment_salt = salt();
        if (!deployment_salt) return storage_failure();
        // The receipt comes from the form's token, so that the same form sent twice gets the same
        // receipt; without a token this process issued, it is made here, as a witness's tool would.
        auto redeemed = info_.form_tokens->redeem(receipt_);
        crypto::SecretBuffer digits = redeemed ? std::move(*redeemed) : crypto::generate_receipt();
        crypto::ReceiptKeys keys = crypto::derive_receipt_keys(digits.span(), *deployment_salt);
        crypto::SecretBuffer shown = crypto::format_receipt(digits.span());
        std::string receipt(reinterpret_cast<const char*>(shown.data()), shown.size());
        std::vector<unsigned char> envelope = seal(crypto::TipKind::tip, keys.reply.public_key);
        if (envelope.empty()) {
            wipe(receipt);
            return storage_failure();
        }
        const NewMailbox mailbox{crypto::mailbox_id(keys.reply.public_key),
                                 crypto::hash_mailbox_token(keys.mailbox_token.span())};
        const std::uint64_t size = envelope.size();
        return PendingWrite{
            store_envelope_op(std::move(envelope), mailbox), size,
            [lang = lang_, receipt = std::move(receipt), v = version_,
             keep = keep_](const WriteResult& r) mutable {
                // The mailbox exists: this form was sent before, and its tip stored then.
                const bool again = r.ec == IngestError::mailbox_taken;
                Response res = again ? receipt_page(lang, receipt, true, v, keep)
                               : r.ec == IngestError::full
                                   ? form_error_page(lang, http::status::insufficient_storage,
                                                     "error.storage", v)
                               : r.ec ? form_error_page(lang, http::status::service_unavailable,
                                                        "error.storage", v)
                                      : receipt_page(lang, receipt, false, v, keep);
                sodium_memzero(receipt.data(), receipt.size());
                return res;
            }};
    }

    Action storage_failure() {
        fail("error.storage", http::status::internal_server_error);
        return refusal(Failure::refused);
    }

    // The keys of the receipt the witness typed, or the page that refuses it.
    std::variant<std::shared_ptr<crypto::ReceiptKeys>, Response> receipt_keys() {
        const WebTarget::Kind back = form();
        if (!info_.mailbox_throttle->allow()) {
            Response res = form_error_page(lang_, http::status::too_many_requests,
                                           "check.throttled", version_, back);
            res.set(http::field::retry_after,
                    std::to_string(info_.mailbox_throttle->retry_after_seconds()));
            return res;
        }
        // The form's text field may end with the line break of a pasted line.
        std::string_view typed(receipt_);
        while (!typed.empty() && (typed.back() == '\n' || typed.back() == '\r'))
            typed.remove_suffix(1);
        if (crypto::parse_receipt(typed, digits_)) {
            return form_error_page(lang_, http::status::bad_request, "check.bad_receipt", version_,
                                   back);
        }
        const auto deployment_salt = salt();
        if (!deployment_salt)
            return form_error_page(lang_, http::status::internal_server_error, "error.storage",
                                   version_, back);
        return std::make_shared<crypto::ReceiptKeys>(
            crypto::derive_receipt_keys(digits_.span(), *deployment_salt));
    }

    // A wrong receipt, or storage that failed, as a page; the throttle counts wrong receipts.
    static Response mailbox_refusal(const WriteResult& r, const ServerInfo& info,
                                    const std::string& lang, unsigned v, WebTarget::Kind back) {
        if (r.ec == IngestError::mailbox_denied) {
            info.mailbox_throttle->take();
            return form_error_page(lang, http::status::not_found, "check.not_found", v, back);
        }
        if (r.ec == IngestError::full)
            return form_error_page(lang, http::status::insufficient_storage, "error.storage", v,
                                   back);
        return form_error_page(lang, http::status::service_unavailable, "error.storage", v, back);
    }

    Action check_replies() {
        auto keys = receipt_keys();
        if (auto* res = std::get_if<Response>(&keys)) return std::move(*res);
        auto k = std::get<0>(std::move(keys));
        const MailboxKey key = crypto::mailbox_id(k->reply.public_key);
        const TokenHash hash = crypto::hash_mailbox_token(k->mailbox_token.span());
        // The receipt goes back into the page's follow-up form, in the grouped form it was shown
        // in.
        const crypto::SecretBuffer grouped = crypto::format_receipt(digits_.span());
        return PendingWrite{
            read_replies_op(key, hash, info_.limits.response_bytes), 0,
            [k, &info = info_, lang = lang_, v = version_, keep = keep_,
             receipt = std::string(reinterpret_cast<const char*>(grouped.data()), grouped.size())](
                const WriteResult& r) {
                if (r.ec) return mailbox_refusal(r, info, lang, v, WebTarget::check);
                const crypto::BoxKeyPair* identities[] = {&k->reply};
                std::vector<crypto::OpenedMessage> replies;
                ReplyCounts counts;
                if (crypto::open_bundle_messages(
                        std::span(reinterpret_cast<const unsigned char*>(r.body.data()),
                                  r.body.size()),
                        identities, crypto::TipKind::reply, replies, counts.unreadable)) {
                    return form_error_page(lang, http::status::internal_server_error,
                                           "error.storage", v, WebTarget::check);
                }
                // Shown only when a responder on the current list signed it for this receipt.
                const auto current = info.recipients->current();
                std::vector<crypto::OpenedMessage> trusted;
                for (auto& m : replies) {
                    if (crypto::is_trusted_reply(m.header, current->identities,
                                                 k->reply.public_key)) {
                        trusted.push_back(std::move(m));
                    } else {
                        ++counts.unverified;
                        wipe(m.header.message);
                    }
                }
                Response res = replies_page(lang, receipt, trusted, counts, info, v, keep);
                for (auto& m : trusted) wipe(m.header.message);
                return res;
            }};
    }

    Action seal_follow_up() {
        auto keys = receipt_keys();
        if (auto* res = std::get_if<Response>(&keys)) return std::move(*res);
        auto k = std::get<0>(std::move(keys));
        std::vector<unsigned char> envelope = seal(crypto::TipKind::follow_up, k->reply.public_key);
        if (envelope.empty()) return storage_failure();
        const MailboxKey key = crypto::mailbox_id(k->reply.public_key);
        const TokenHash hash = crypto::hash_mailbox_token(k->mailbox_token.span());
        const std::uint64_t size = envelope.size();
        return PendingWrite{
            store_follow_up_op(std::move(envelope), key, hash), size,
            [&info = info_, lang = lang_, v = version_, keep = keep_](const WriteResult& r) {
                if (r.ec) return mailbox_refusal(r, info, lang, v, WebTarget::follow_up);
                return follow_up_sent_page(lang, v, keep);
            }};
    }

    Mode mode_;
    MultipartParser parser_;
    std::string lang_;
    const ServerInfo& info_;
    unsigned version_;
    bool keep_;
    Field field_kind_ = Field::none;
    std::string field_;
    std::string message_;
    std::string receipt_;
    crypto::SecretBuffer digits_;  // the typed receipt, once receipt_keys has read it
    std::string language_ = "und";
    std::vector<crypto::AttachmentInfo> attachments_;
    Spool spool_;
    const char* failure_ = nullptr;
    http::status status_ = http::status::bad_request;
};

// A submission that cannot be taken: its body is read and dropped, then a page says why.
class DeclinedSubmission final : public StreamedBody {
  public:
    DeclinedSubmission(std::string lang, http::status status, const char* key, unsigned version,
                       WebTarget::Kind form)
        : lang_(std::move(lang)), status_(status), key_(key), version_(version), form_(form) {}
    bool write(std::span<const unsigned char>) noexcept override { return true; }
    Action finish() override { return form_error_page(lang_, status_, key_, version_, form_); }
    Response refusal(Failure) override {
        return form_error_page(lang_, status_, key_, version_, form_);
    }

  private:
    std::string lang_;
    http::status status_;
    const char* key_;
    unsigned version_;
    WebTarget::Kind form_;
};

}  // namespace

std::unique_ptr<StreamedBody> streamed_body_for(const RequestHeader& header,
                                                const ServerInfo& info) {
    if (header.method() != http::verb::post) return nullptr;
    const auto target =
        web_target(std::string_view(header.target().data(), header.target().size()));
    if (!target || target->kind == WebTarget::home || target->kind == WebTarget::file)
        return nullptr;
    const Mode mode = target->kind == WebTarget::submit  ? Mode::tip
                      : target->kind == WebTarget::check ? Mode::check
                                                         : Mode::follow_up;
    const auto type = header.find(http::field::content_type);
    const auto boundary =
        type == header.end()
            ? std::nullopt
            : form_boundary(std::string_view(type->value().data(), type->value().size()));
    if (!boundary) {
        return std::make_unique<DeclinedSubmission>(target->lang, http::status::bad_request,
                                                    "error.bad_form", header.version(),
                                                    target->kind);
    }
    if (++submissions_in_progress > max_concurrent_submissions) {
        --submissions_in_progress;
        return std::make_unique<DeclinedSubmission>(target->lang, http::status::service_unavailable,
                                                    "error.busy", header.version(), target->kind);
    }
    return std::make_unique<WebSubmission>(mode, *boundary, target->lang, info, header.version(),
                                           wants_keep_alive(header));
}

}  // namespace tipline::server
