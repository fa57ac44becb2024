// Receipts typed into the web form without JavaScript: the keys they give, and the replies in their
// mailbox, shown only when a responder on the current list signed them for this receipt.
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/server/write_ops.hpp"
#include "web_form_parts.hpp"

namespace tipline::server::web_form {

std::optional<crypto::DeploymentSalt> deployment_salt(const ServerInfo& info) {
    crypto::DeploymentSalt salt{};
    if (!crypto::from_hex(info.salt_hex, salt)) return std::nullopt;
    return salt;
}

std::variant<TypedReceipt, Response> typed_receipt(const Fields& fields, const ServerInfo& info,
                                                   const Reply& reply, crypto::ReceiptKdf kdf) {
    const WebTarget::Kind back = form_of(fields.mode);
    // The form's text field may end with the line break of a pasted line.
    std::string_view typed(fields.receipt);
    while (!typed.empty() && (typed.back() == '\n' || typed.back() == '\r')) typed.remove_suffix(1);
    auto digits = std::make_shared<crypto::SecretBuffer>();
    if (crypto::parse_receipt(typed, *digits)) {
        return form_error_page(reply.lang, http::status::bad_request, "check.bad_receipt",
                               reply.version, back);
    }
    const auto salt = deployment_salt(info);
    if (!salt) {
        return form_error_page(reply.lang, http::status::internal_server_error, "error.storage",
                               reply.version, back);
    }
    return TypedReceipt{digits, std::make_shared<crypto::ReceiptKeys>(
                                    crypto::derive_receipt_keys(digits->span(), *salt, kdf))};
}

Response mailbox_refusal(const WriteResult& r, Circuit& circuit, const Reply& reply,
                         WebTarget::Kind back) {
    if (r.ec == IngestError::mailbox_denied) {
        if (!circuit.mailbox_failures.try_take()) {
            Response res = form_error_page(reply.lang, http::status::too_many_requests,
                                           "check.throttled", reply.version, back);
            res.set(http::field::retry_after,
                    std::to_string(circuit.mailbox_failures.retry_after_seconds()));
            return res;
        }
        return form_error_page(reply.lang, http::status::not_found, "check.not_found",
                               reply.version, back);
    }
    if (r.ec == IngestError::full) {
        return form_error_page(reply.lang, http::status::insufficient_storage, "error.storage",
                               reply.version, back);
    }
    return form_error_page(reply.lang, http::status::service_unavailable, "error.storage",
                           reply.version, back);
}

Action check_replies(Fields& fields, const ServerInfo& info, Circuit& circuit, const Reply& reply) {
    // A receipt does not say its version: the newest is derived first, and an older one's
    // mailbox is looked for in the same write (one miss however many versions are tried).
    auto typed = typed_receipt(fields, info, reply, crypto::receipt_kdfs_to_try[0]);
    if (auto* res = std::get_if<Response>(&typed)) return std::move(*res);
    const TypedReceipt& first = std::get<TypedReceipt>(typed);
    std::vector<std::shared_ptr<crypto::ReceiptKeys>> versions{first.keys};
    for (std::size_t i = 1; i < std::size(crypto::receipt_kdfs_to_try); ++i) {
        versions.push_back(std::make_shared<crypto::ReceiptKeys>(crypto::derive_receipt_keys(
            first.digits->span(), *deployment_salt(info), crypto::receipt_kdfs_to_try[i])));
    }
    std::vector<MailboxCredentials> candidates;
    for (const auto& k : versions) {
        candidates.push_back({crypto::mailbox_id(k->reply.public_key),
                              crypto::hash_mailbox_token(k->mailbox_token.span())});
    }
    // The receipt goes back into the page's follow-up form, in the grouped form it was shown in.
    const crypto::SecretBuffer grouped = crypto::format_receipt(first.digits->span());
    return PendingWrite{
        read_replies_op(std::move(candidates), info.limits.response_bytes), 0,
        [versions, &info, &circuit, reply,
         receipt = std::string(reinterpret_cast<const char*>(grouped.data()), grouped.size())](
            const WriteResult& r) {
            if (r.ec) return mailbox_refusal(r, circuit, reply, WebTarget::check);
            const auto& k = versions.at(r.value);
            const auto kdf = crypto::receipt_kdfs_to_try[r.value];
            const crypto::BoxKeyPair* identities[] = {&k->reply};
            std::vector<crypto::OpenedMessage> replies;
            ReplyCounts counts;
            if (crypto::open_bundle_messages(
                    std::span(reinterpret_cast<const unsigned char*>(r.body.data()), r.body.size()),
                    identities, crypto::TipKind::reply, replies, counts.unreadable)) {
                return form_error_page(reply.lang, http::status::internal_server_error,
                                       "error.storage", reply.version, WebTarget::check);
            }
            // Shown only when a responder on the current list signed it for this receipt.
            const auto current = info.recipients->current();
            std::vector<crypto::OpenedMessage> trusted;
            for (auto& m : replies) {
                if (crypto::is_trusted_reply(m.header, current->identities, k->reply.public_key)) {
                    trusted.push_back(std::move(m));
                } else {
                    ++counts.unverified;
                    wipe(m.header.message);
                }
            }
            Response res = replies_page(reply.lang, receipt, kdf, trusted, counts, info,
                                        reply.version, reply.keep_alive);
            for (auto& m : trusted) wipe(m.header.message);
            return res;
        }};
}

}  // namespace tipline::server::web_form
