// The pieces of the web form without JavaScript (web_form.hpp), private to the server library: the
// fields a post carries (web_form_fields.cpp), sealing them into a tip or a follow-up
// (web_form_seal.cpp), and opening the replies of a receipt (web_form_check.cpp).
#pragma once

#include <sodium.h>

#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/secret_buffer.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/server/action.hpp"
#include "tipline/server/multipart.hpp"
#include "tipline/server/server_info.hpp"
#include "tipline/server/web.hpp"

namespace tipline::server::web_form {

// What a post of the form asks: a new tip, the replies to a receipt, or more under a receipt.
enum class Mode { tip, check, follow_up };

// The page a refusal sends the witness back to.
WebTarget::Kind form_of(Mode mode);

// Zeroes a string that held plaintext or a receipt, then empties it.
void wipe(std::string& s);

// Attachment bytes encrypted as they arrive, under a fresh key kept in secure memory, and read back
// once in order while the tip is sealed.
class Spool {
  public:
    Spool();
    void write(std::span<const unsigned char> bytes);
    // No more bytes: the last chunk carries the final tag, and the spool can be read.
    void close();
    // The next plaintext bytes, in order; returns how many it gave.
    std::size_t read(std::span<unsigned char> out);

  private:
    using StreamState = crypto_secretstream_xchacha20poly1305_state;
    StreamState* state() { return reinterpret_cast<StreamState*>(state_.data()); }
    void push(unsigned char tag);
    bool pull();

    crypto::SecretBuffer key_;
    crypto::SecretBuffer state_;
    crypto::SecretBuffer staged_;  // plaintext waiting to be pushed, then plaintext pulled
    std::size_t staged_size_ = 0;
    std::vector<unsigned char> stream_header_;
    std::vector<unsigned char> cipher_;
    std::size_t read_at_ = 0;
    std::size_t plain_size_ = 0, plain_at_ = 0;
};

// The fields of one post as the multipart parser releases them. Fields the mode does not take, and
// unknown fields, are dropped unread. The first problem found is kept for the refusal page.
class Fields final : public FormHandler {
  public:
    explicit Fields(Mode mode);
    ~Fields() override;
    Fields(const Fields&) = delete;
    Fields& operator=(const Fields&) = delete;

    // Records a problem; only the first one counts.
    void fail(const char* key, http::status status);
    const char* failure() const noexcept { return failure_; }
    http::status failure_status() const noexcept { return status_; }

    const Mode mode;
    std::string message;  // the tip's text
    // The receipt as typed (check, follow-up), or the form's token (tip): either way short.
    std::string receipt;
    std::string language = "und";  // a tag of web_languages(), or "und"
    // Follow-up: the receipt's version (FORMAT.md 10.3) as the check that showed the form found
    // it; version 2 when the field is missing or not 1.
    crypto::ReceiptKdf receipt_kdf = crypto::current_receipt_kdf;
    std::vector<crypto::AttachmentInfo> attachments;
    Spool spool;

  private:
    enum class Field { none, message, language, file, receipt, receipt_version };
    void on_part(const FormPart& part) override;
    void on_data(std::span<const unsigned char> bytes) override;
    void on_part_end() override;

    Field field_ = Field::none;
    std::string field_text_;
    const char* failure_ = nullptr;
    http::status status_ = http::status::bad_request;
};

// Where a post is answered: its page's language, and the HTTP version and keep-alive to answer
// with.
struct Reply {
    std::string lang;
    unsigned version = 11;
    bool keep_alive = false;
};

// Seals a whole, well-formed tip and stores it with a fresh mailbox; the page shows the receipt
// once the tip is durable.
// A stored tip spends one of the circuit's web-form budget.
Action store_tip(Fields& fields, const ServerInfo& info, Circuit& circuit, const Reply& reply);

// A receipt the witness typed: its digits and the keys they give.
struct TypedReceipt {
    std::shared_ptr<crypto::SecretBuffer> digits;
    std::shared_ptr<crypto::ReceiptKeys> keys;
};
// The typed receipt with its keys of version kdf, or the page that refuses it.
std::variant<TypedReceipt, Response> typed_receipt(const Fields& fields, const ServerInfo& info,
                                                   const Reply& reply, crypto::ReceiptKdf kdf);

// Seals a follow-up under the typed receipt and stores it in that receipt's mailbox.
// A stored follow-up spends one of the circuit's web-form budget; a wrong receipt does not.
Action store_follow_up(Fields& fields, const ServerInfo& info, Circuit& circuit,
                       const Reply& reply);

// The page for a mailbox write or read that failed: a wrong receipt, which spends one of the
// circuit's failed-mailbox budget (past it: 429), or storage that failed; back is the form to
// return to.
Response mailbox_refusal(const WriteResult& result, Circuit& circuit, const Reply& reply,
                         WebTarget::Kind back);

// The deployment's salt for receipts, or nullopt when the data folder's is damaged.
std::optional<crypto::DeploymentSalt> deployment_salt(const ServerInfo& info);

// Opens the replies in the typed receipt's mailbox and shows the ones a current responder signed.
// A right receipt is always answered, whatever its circuit spent.
Action check_replies(Fields& fields, const ServerInfo& info, Circuit& circuit, const Reply& reply);

}  // namespace tipline::server::web_form
