// Source API calls with strict checking of what the server sends back.
#include "tipline/client/source_api.hpp"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "server_answer.hpp"
#include "tipline/client/display_text.hpp"
#include "tipline/client/interrupt.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/protocol/names.hpp"
#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys
namespace {

namespace json = boost::json;

std::string id_of(const HttpResponse& r, std::string_view field = "id") {
    return item_id_member(parse_answer(r), field);
}

ProofState proof_state_of(const json::object& body) {
    ProofState state;
    const auto* required = body.if_contains("required");
    state.required = required != nullptr && required->is_bool() && required->as_bool();
    if (!state.required) return state;
    const auto* text = body.if_contains("challenge");
    if (text != nullptr && text->is_string()) {
        state.challenge = crypto::parse_pow_challenge(
            std::string_view(text->as_string().data(), text->as_string().size()));
    }
    if (!state.challenge)
        io_error(tr("the server sent a proof-of-work challenge that is not valid"));
    state.size_base_bytes = unsigned_member(body, "size_base_bytes").value_or(0);
    return state;
}

ProofState fetch_challenge(HttpClient& http) {
    const HttpResponse r = http.get(protocol::challenge_path);
    if (r.status != 200)
        io_error(tr("cannot fetch a proof-of-work challenge: {error}",
                    {{"error", describe_server_error(r)}}));
    return proof_state_of(parse_answer(r));
}

// Tries nonces from a random start, so two clients given one challenge by mistake do not race.
std::string solve(const crypto::PowChallenge& challenge, unsigned extra_bits) {
    std::uint64_t start = 0;
    randombytes_buf(&start, sizeof start);
    const auto nonce = crypto::pow_solve(
        challenge, start >> 1,
        [](std::uint64_t) {
            stop_if_interrupted();
            return true;
        },
        extra_bits);
    return crypto::pow_proof_text(challenge, *nonce);
}

}  // namespace

MailboxAccess MailboxAccess::from_receipt(std::span<const unsigned char> digits,
                                          const crypto::DeploymentSalt& salt,
                                          crypto::ReceiptKdf kdf) {
    crypto::ReceiptKeys keys = crypto::derive_receipt_keys(digits, salt, kdf);
    return MailboxAccess{crypto::mailbox_id(keys.reply.public_key), std::move(keys.mailbox_token),
                         std::move(keys.reply)};
}

std::vector<std::string> MailboxAccess::opening_headers() const {
    return {header_line(protocol::mailbox_header, crypto::to_hex(name)),
            header_line(protocol::mailbox_token_hash_header,
                        crypto::to_hex(crypto::hash_mailbox_token(token.span())))};
}

std::vector<std::string> MailboxAccess::access_headers() const {
    // The token goes only into this header line, which libcurl sends and then drops.
    return {header_line(protocol::mailbox_header, crypto::to_hex(name)),
            header_line(protocol::mailbox_token_header, crypto::to_hex(token.span()))};
}

namespace {

// GET: the replies, or nothing when no mailbox matches. HEAD: an empty body when one does.
std::optional<std::vector<unsigned char>> replies_if_found(HttpClient& http,
                                                           const MailboxAccess& mailbox,
                                                           const std::string& verb = "GET") {
    const HttpResponse r = http.request(verb, protocol::mailbox_path, {}, mailbox.access_headers());
    if (r.status == 404) return std::nullopt;
    if (r.status == 429) {
        io_error(tr("the tip line is refusing mailbox requests for a while"),
                 {tr("wait a few minutes and try again")});
    }
    if (r.status != 200)
        io_error(tr("cannot fetch replies: {error}", {{"error", describe_server_error(r)}}));
    return std::vector<unsigned char>(r.body.begin(), r.body.end());
}

[[noreturn]] void no_mailbox() {
    throw ToolError(
        exit_verification_failure, tr("no replies can be found with this receipt"),
        {tr("check the receipt's 20 digits; a tip sent without a receipt has no mailbox")});
}

}  // namespace

OpenedMailbox open_mailbox(HttpClient& http, std::span<const unsigned char> digits,
                           const crypto::DeploymentSalt& salt) {
    for (const crypto::ReceiptKdf kdf : crypto::receipt_kdfs_to_try) {
        MailboxAccess access = MailboxAccess::from_receipt(digits, salt, kdf);
        if (auto replies = replies_if_found(http, access))
            return OpenedMailbox{std::move(access), std::move(*replies)};
    }
    no_mailbox();
}

MailboxAccess find_mailbox(HttpClient& http, std::span<const unsigned char> digits,
                           const crypto::DeploymentSalt& salt) {
    for (const crypto::ReceiptKdf kdf : crypto::receipt_kdfs_to_try) {
        MailboxAccess access = MailboxAccess::from_receipt(digits, salt, kdf);
        if (replies_if_found(http, access, "HEAD")) return access;
    }
    no_mailbox();
}

std::string send_follow_up(HttpClient& http, const MailboxAccess& mailbox,
                           std::span<const unsigned char> envelope, ProofState& proof) {
    auto headers = mailbox.access_headers();
    headers.push_back("Content-Type: application/octet-stream");
    const HttpResponse r =
        post_with_proof(http, std::string(protocol::mailbox_messages_path), envelope, headers,
                        proof, crypto::pow_size_extra_bits(envelope.size(), proof.size_base_bytes));
    if (r.status == 404) {
        throw ToolError(exit_verification_failure, tr("no mailbox matches this receipt"),
                        {tr("check the receipt's 20 digits")});
    }
    if (r.status != 201)
        io_error(
            tr("the follow-up was not accepted: {error}", {{"error", describe_server_error(r)}}));
    return id_of(r);
}

ServerKeys fetch_server_keys(HttpClient& http) {
    const HttpResponse r = http.get(protocol::keys_path);
    if (r.status != 200)
        io_error(tr("cannot fetch the responders' keys: {error}",
                    {{"error", describe_server_error(r)}}));
    const json::object body = parse_answer(r);
    ServerKeys keys;
    const auto* list = body.if_contains("recipients");
    if (list == nullptr || !list->is_array() || list->as_array().empty())
        io_error(tr("the server lists no responder keys"));
    for (const json::value& entry : list->as_array()) {
        const auto* key = entry.is_object() ? entry.as_object().if_contains("key") : nullptr;
        crypto::PublicIdentity id;
        if (key == nullptr || !key->is_string() ||
            crypto::decode_public_key(std::string(key->as_string().c_str()), id)) {
            io_error(tr("the server sent a responder key that is not valid"));
        }
        keys.recipients.push_back(id);
    }
    if (const auto* signed_list = body.if_contains("recipient_list"); signed_list != nullptr) {
        // Kept as served; bytes that are not hex of a possible list are refused by
        // choose_recipients.
        std::vector<unsigned char> bytes;
        const std::string_view hex =
            signed_list->is_string()
                ? std::string_view(signed_list->as_string().data(), signed_list->as_string().size())
                : std::string_view();
        if (hex.size() <= 2 * crypto::recipient_list_max_size && hex.size() % 2 == 0) {
            bytes.resize(hex.size() / 2);
            if (!crypto::from_hex(hex, bytes)) bytes.clear();
        }
        keys.recipient_list = std::move(bytes);
    }
    const auto* salt = body.if_contains("salt");
    if (salt == nullptr || !salt->is_string() ||
        !crypto::from_hex(std::string_view(salt->as_string().data(), salt->as_string().size()),
                          keys.salt)) {
        io_error(tr("the server sent no valid deployment salt"));
    }
    if (const auto* limits = body.if_contains("limits"); limits != nullptr && limits->is_object()) {
        const auto inline_bytes = unsigned_member(limits->as_object(), "inline_bytes");
        const auto chunk_bytes = unsigned_member(limits->as_object(), "upload_chunk_bytes");
        if (!inline_bytes || !chunk_bytes || *chunk_bytes == 0)
            io_error(tr("the server sent limits that are not valid"));
        keys.inline_bytes = *inline_bytes;
        keys.upload_chunk_bytes = *chunk_bytes;
        keys.envelope_bytes = unsigned_member(limits->as_object(), "envelope_bytes").value_or(0);
    }
    if (const auto* pow = body.if_contains("proof_of_work"); pow != nullptr && pow->is_object()) {
        keys.proof = proof_state_of(pow->as_object());
    }
    return keys;
}

HttpResponse post_with_proof(HttpClient& http, const std::string& path,
                             std::span<const unsigned char> body, std::vector<std::string> headers,
                             ProofState& proof, unsigned extra_bits) {
    constexpr int max_solves = 4;
    for (int solves = 1;; ++solves) {
        std::vector<std::string> sent = headers;
        if (proof.required && !proof.challenge) proof = fetch_challenge(http);
        if (proof.challenge) {
            sent.push_back(
                header_line(protocol::proof_header, solve(*proof.challenge, extra_bits)));
            proof.challenge.reset();  // each challenge is accepted once
        }
        HttpResponse r = http.request("POST", path, body, sent);
        const std::string code = r.status == 403 ? server_error_code(r) : std::string();
        const bool solve_again = code == "proof_required" || code == "proof_stale" ||
                                 code == "proof_too_weak" || code == "proof_spent" ||
                                 code == "proof_too_weak_for_size";
        if (!solve_again || solves == max_solves) return r;
        if (code == "proof_too_weak_for_size") {
            // The server counts differently from the rule it published: take its figure, within
            // reason (each bit doubles the work).
            const auto named = unsigned_member(parse_answer(r), "extra_bits");
            if (!named || *named > crypto::pow_max_bits)
                io_error(tr("the server asks an impossible proof of work for this upload"));
            extra_bits = static_cast<unsigned>(*named);
        }
        proof.required = true;
    }
}

std::string submit_envelope(HttpClient& http, std::span<const unsigned char> envelope,
                            const std::vector<std::string>& headers, ProofState& proof) {
    auto all = headers;
    all.push_back("Content-Type: application/octet-stream");
    const HttpResponse r =
        post_with_proof(http, std::string(protocol::tips_path), envelope, all, proof,
                        crypto::pow_size_extra_bits(envelope.size(), proof.size_base_bytes));
    if (r.status != 201)
        io_error(tr("the tip was not accepted: {error}", {{"error", describe_server_error(r)}}));
    return id_of(r);
}

std::string upload_envelope(HttpClient& http, const UploadJob& job) {
    constexpr int max_attempts = 12;  // consecutive failures before giving up
    constexpr int max_backoff_s = 30;
    std::string key = job.key;
    std::uint64_t offset = 0;
    if (key.empty()) {
        auto headers = job.start_headers;
        headers.push_back(header_line(protocol::upload_length_header, std::to_string(job.length)));
        ProofState none;
        ProofState& proof = job.proof ? *job.proof : none;
        const HttpResponse created =
            post_with_proof(http, std::string(protocol::uploads_path), {}, headers, proof,
                            crypto::pow_size_extra_bits(job.length, proof.size_base_bytes));
        if (created.status != 201)
            io_error(tr("the server refused the upload: {error}",
                        {{"error", describe_server_error(created)}}));
        key = id_of(created, "upload");  // it goes into request paths and the resume file
        if (job.on_started) job.on_started(key);
    }
    const std::string path = std::string(protocol::uploads_path) + "/" + key;
    const auto stored_offset = [&]() -> std::optional<std::uint64_t> {
        const HttpResponse s = http.get(path);
        if (s.status == 404) {
            throw ToolError(
                exit_verification_failure, tr("the server no longer has this upload"),
                {tr("an upload that stores nothing for some hours is deleted; send the tip "
                    "again")});
        }
        if (s.status != 200) return std::nullopt;
        return unsigned_member(parse_answer(s), "offset");
    };
    if (!job.key.empty()) {
        offset = stored_offset().value_or(0);
        if (job.progress) job.progress({offset, job.length});
    }

    std::vector<unsigned char> chunk;
    int failures = 0, stalls = 0;
    while (offset < job.length) {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(job.chunk_bytes, job.length - offset));
        chunk.resize(n);
        if (::pread(job.fd, chunk.data(), n, static_cast<off_t>(job.file_offset + offset)) !=
            static_cast<ssize_t>(n)) {
            io_error(tr("cannot read the sealed tip back"));
        }
        try {
            const HttpResponse r =
                http.request("PUT", path, chunk,
                             {header_line(protocol::upload_offset_header, std::to_string(offset)),
                              "Content-Type: application/octet-stream"});
            if (r.status == 200 || r.status == 409) {
                const auto confirmed = unsigned_member(parse_answer(r), "offset");
                if (!confirmed)
                    io_error(tr("the server's answer has no {field}", {{"field", "offset"}}));
                if (*confirmed > job.length)
                    io_error(tr("the server confirmed more bytes than were sent"));
                // A server that never stores a chunk would have the upload sent forever.
                stalls = *confirmed > offset ? 0 : stalls + 1;
                if (stalls == max_attempts)
                    io_error(tr("the server stores none of the chunks it is sent"));
                offset = *confirmed;
                failures = 0;
                if (job.progress) job.progress({offset, job.length});
                continue;
            }
            io_error(tr("the server refused part of the upload: {error}",
                        {{"error", describe_server_error(r)}}));
        } catch (const TransportError&) {
            if (++failures == max_attempts) throw;
            std::this_thread::sleep_for(
                std::chrono::seconds(std::min(max_backoff_s, 1 << std::min(failures, 5))));
            try {  // ask where to go on from; the next PUT corrects a stale answer with 409 anyway
                if (const auto at = stored_offset()) offset = *at;
            } catch (const TransportError&) {
            }
        }
    }
    const HttpResponse finished =
        http.request("POST", path + std::string(protocol::upload_finish_suffix), {}, {});
    if (finished.status != 201)
        io_error(tr("the server did not accept the finished upload: {error}",
                    {{"error", describe_server_error(finished)}}));
    return id_of(finished);
}

}  // namespace tipline::client
