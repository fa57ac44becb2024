// The real tipline-submit against a hostile source API: extra, swapped and listed keys, rolled
// back, expired and forged lists, terminal escapes in everything the server says, and planted
// replies.
#include "hostile_source.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "support.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/crypto/utf8.hpp"

using namespace tipline::test;
namespace crypto = tipline::crypto;
namespace fs = std::filesystem;

namespace {

// The tool's documented exit codes (README.md, "Exit codes").
constexpr int exit_ok = 0;
constexpr int exit_refused = 1;
constexpr int exit_usage = 2;

constexpr std::uint64_t small_inline_bytes =
    4096;  // below any envelope with a file: forces an upload
constexpr std::uint64_t small_chunk_bytes = 4096;  // several chunks for one small envelope
constexpr std::size_t attachment_bytes = 20000;    // about five chunks of small_chunk_bytes
constexpr std::uint64_t older_serial = 4;
constexpr std::uint64_t current_serial = 5;
constexpr std::uint64_t newer_serial = 6;
constexpr std::int64_t list_lifetime_days = 90;  // a list the NGO signed recently, valid for months
constexpr std::size_t message_shown_bytes =
    200;  // how much of a server's error message the tool shows
constexpr std::size_t flipped_list_byte =
    crypto::recipient_list_fixed_size + 3;  // inside the first entry's box key
constexpr std::int64_t reply_written_at =
    1700000000;  // any time: the tool shows the server's day instead
constexpr std::size_t long_message_padding = 1000;  // far past what the tool shows of a message
constexpr std::size_t receipt_group_spaces =
    crypto::receipt_digit_count / crypto::receipt_group_size - 1;
// A deployment salt, as the server serves it; the tests derive receipts with it as the tool does.
constexpr crypto::DeploymentSalt deployment_salt = {0x28, 0xdc, 0x71, 0xfa, 0x9f, 0x75, 0x8f, 0xb4,
                                                    0x38, 0x16, 0x27, 0xfa, 0xdd, 0x7a, 0x78, 0x3a};

// Byte values a terminal acts on (ECMA-48): C0 controls below space, DEL, and C1 controls, which
// UTF-8 writes as 0xC2 followed by 0x80..0x9F; 0x9B alone is the 8-bit CSI.
constexpr unsigned char first_printable = 0x20;
constexpr unsigned char delete_char = 0x7F;
constexpr unsigned char c1_lead_byte = 0xC2;
constexpr unsigned char c1_first = 0x80;
constexpr unsigned char c1_last = 0x9F;
constexpr unsigned char csi_8bit = 0x9B;
const std::string right_to_left_override = "\xe2\x80\xae";  // U+202E

const std::string message_text = "There are two women held at the farm past the river.\n";

// Terminal attacks: clear the screen, set the window title, carriage return, backspace, the 8-bit
// CSI (U+009B) starting a colour, and a right-to-left override.
const std::string hostile_text =
    "\x1b[2J\x1b]0;owned\x07\r\b\xc2\x9b"
    "31m\xe2\x80\xae";
// The same as the tool shows it (client/src/display_text.cpp).
const std::string hostile_shown = "\\u{1B}[2J\\u{1B}]0;owned\\u{7}\\u{D}\\u{8}\\u{9B}31m\\u{202E}";

// A shell argument in single quotes (test strings hold none).
std::string arg(const std::string& text) { return "'" + text + "'"; }

std::string fp(const crypto::SecretIdentity& responder) {
    return crypto::fingerprint(responder.public_identity);
}
crypto::OrganisationKey org_key(const crypto::SecretIdentity& org) {
    return {org.public_identity.sign};
}
std::string org_fp(const crypto::SecretIdentity& org) {
    return crypto::organisation_fingerprint(org_key(org));
}

// Whether a terminal would act on any byte: C0 controls but newline and tab, DEL, C1 controls (the
// raw 0x9B byte too), or the right-to-left override.
bool has_terminal_controls(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c < first_printable && c != '\n' && c != '\t') || c == delete_char || c == csi_8bit)
            return true;
        const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
        if (c == c1_lead_byte && next >= c1_first && next <= c1_last) return true;
    }
    return text.find(right_to_left_override) != std::string::npos;
}

// The same for text in any script, which must be valid UTF-8: decoded first, so that a byte inside
// a Korean or Chinese character (0x9B is one) is not taken for the 8-bit CSI.
bool has_terminal_controls_decoded(const std::string& text) {
    if (!crypto::is_valid_utf8(text)) return true;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        char32_t c = length == 1 ? lead : lead & (0x7Fu >> length);
        for (std::size_t k = 1; k < length; ++k)
            c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
        if ((c < first_printable && c != '\n' && c != '\t') || (c >= delete_char && c <= c1_last) ||
            c == U'\u202E')
            return true;
        i += length;
    }
    return false;
}

std::size_t longest_run(const std::string& text, char c) {
    std::size_t best = 0, run = 0;
    for (const char t : text) {
        run = t == c ? run + 1 : 0;
        best = std::max(best, run);
    }
    return best;
}

// The NGO's responders A and B, the attacker's own key X, the NGO's organisation key and another
// one.
struct Cast {
    crypto::SecretIdentity a = crypto::SecretIdentity::generate();
    crypto::SecretIdentity b = crypto::SecretIdentity::generate();
    crypto::SecretIdentity x = crypto::SecretIdentity::generate();
    crypto::SecretIdentity org = crypto::SecretIdentity::generate_organisation();
    crypto::SecretIdentity other_org = crypto::SecretIdentity::generate_organisation();
};

Bytes signed_list(const crypto::SecretIdentity& org, std::uint64_t serial, std::int64_t expires_day,
                  std::initializer_list<const crypto::SecretIdentity*> members) {
    crypto::RecipientList list;
    list.organisation = org_key(org);
    list.serial = serial;
    list.expires_day = static_cast<std::uint32_t>(expires_day);
    for (const auto* m : members) list.recipients.push_back(m->public_identity);
    return crypto::sign_recipient_list(list, org);
}

std::int64_t valid_until() { return crypto::current_day() + list_lifetime_days; }

KeysAnswer listing(std::initializer_list<const crypto::SecretIdentity*> listed,
                   std::optional<Bytes> list = std::nullopt) {
    KeysAnswer k;
    for (const auto* id : listed) k.recipients.push_back(id->public_identity);
    k.salt = deployment_salt;
    k.recipient_list = std::move(list);
    return k;
}

// A witness's folder with a message to send.
struct Witness {
    TempDir dir;
    fs::path message = dir / "message.txt";
    Witness() { write_file(message, message_text); }
};

CommandResult run_tool(const std::string& command, const HostileSource& server,
                       const std::string& args) {
    return run_command(submit() + " " + command + " --server " + server.url() + " " + args);
}

// A tip line whose inline limit is small, and a witness's file larger than it: the tool uploads.
// Returns the file's text.
std::string serve_for_upload(HostileSource& server, KeysAnswer keys, const Witness& w) {
    keys.inline_bytes = small_inline_bytes;
    keys.upload_chunk_bytes = small_chunk_bytes;
    server.serve_tip_line(keys);
    std::string notes;
    while (notes.size() < attachment_bytes) notes += "names, places and dates of the transfers\n";
    write_file(w.dir / "notes.txt", notes);
    return notes;
}

CommandResult send_upload(const HostileSource& server, const Witness& w, const std::string& pin) {
    return run_tool("send", server,
                    "--expect " + arg(pin) + " --message-file " + q(w.message) + " --file " +
                        q(w.dir / "notes.txt"));
}

// Checks one envelope: as many stanzas as trusted keys, opens with each of them and with none of
// the attacker's keys. Returns the document's header, and its attachments.
crypto::TipHeader check_sealed_to(const Bytes& envelope,
                                  std::initializer_list<const crypto::SecretIdentity*> trusted,
                                  std::initializer_list<const crypto::SecretIdentity*> attackers,
                                  std::vector<Bytes>* attachments = nullptr) {
    crypto::MemorySource head_in(envelope);
    crypto::EnvelopeHeader head;
    REQUIRE_FALSE(crypto::read_envelope_header(head_in, head));
    CHECK(head.recipient_count == trusted.size());
    Bytes document;
    for (const auto* id : trusted) {
        crypto::MemorySource in(envelope);
        crypto::VectorSink out;
        const crypto::BoxKeyPair* keys[] = {&id->box};
        INFO("a trusted responder, " << fp(*id) << ", cannot open the envelope");
        CHECK_FALSE(crypto::open_envelope(keys, in, out));
        document = out.bytes();
    }
    for (const auto* id : attackers) {
        crypto::MemorySource in(envelope);
        crypto::VectorSink out;
        const crypto::BoxKeyPair* keys[] = {&id->box};
        INFO("the attacker's key " << fp(*id) << " must not open the envelope");
        CHECK(crypto::open_envelope(keys, in, out) == crypto::Error::no_matching_key);
        CHECK(out.bytes().empty());
    }
    crypto::TipHeader header;
    std::vector<Bytes> files;
    REQUIRE_FALSE(crypto::parse_tip_document(document, header, files));
    if (attachments != nullptr) *attachments = std::move(files);
    return header;
}

// Every envelope the server received, each checked as check_sealed_to does; returns their headers.
std::vector<crypto::TipHeader> check_all_sealed_to(
    const HostileSource& server, std::size_t expected_envelopes,
    std::initializer_list<const crypto::SecretIdentity*> trusted,
    std::initializer_list<const crypto::SecretIdentity*> attackers) {
    const std::vector<Bytes> envelopes = sent_envelopes(server.requests());
    REQUIRE(envelopes.size() == expected_envelopes);
    std::vector<crypto::TipHeader> headers;
    for (const Bytes& e : envelopes) headers.push_back(check_sealed_to(e, trusted, attackers));
    return headers;
}

void check_nothing_sent(const HostileSource& server) {
    const auto sent = submissions(server.requests());
    INFO(
        "the tool sent " << sent.size() << " POST or PUT request(s); the first: "
                         << (sent.empty() ? std::string() : sent[0].method + " " + sent[0].target));
    CHECK(sent.empty());
}

// Whether any request carried needle in its target, a header or its body.
bool any_request_holds(const std::vector<RecordedRequest>& requests, const std::string& needle) {
    return std::any_of(requests.begin(), requests.end(), [&](const RecordedRequest& r) {
        const bool in_headers = std::any_of(r.headers.begin(), r.headers.end(), [&](const auto& h) {
            return contains(h.second, needle);
        });
        return contains(r.target, needle) || in_headers || contains(as_text(r.body), needle);
    });
}

// A receipt saved for --receipt-file, and what it derives with the tip line's salt.
struct Receipt {
    fs::path file;
    std::string digits;  // 20 ASCII digits, as the tool must never send them
    crypto::ReceiptKeys keys;
};

Receipt make_receipt(const fs::path& file, const crypto::DeploymentSalt& salt) {
    const crypto::SecretBuffer digits = crypto::generate_receipt();
    const crypto::SecretBuffer shown = crypto::format_receipt(digits.span());
    write_file(file, std::string(reinterpret_cast<const char*>(shown.data()), shown.size()) + "\n");
    return {file, std::string(reinterpret_cast<const char*>(digits.data()), digits.size()),
            crypto::derive_receipt_keys(digits.span(), salt)};
}

// A reply to the witness whose reply key is to, that claims to answer the reply key answers; signed
// by signer, or unsigned (document version 1) without one.
Bytes reply_envelope(const crypto::BoxPublicKey& to, const crypto::BoxPublicKey& answers,
                     const std::string& text, const crypto::SecretIdentity* signer) {
    crypto::TipHeader h;
    h.kind = crypto::TipKind::reply;
    h.created_at = reply_written_at;
    h.language = "en";
    h.reply_key = answers;
    h.message = text;
    const crypto::BoxPublicKey recipients[] = {to};
    crypto::VectorSink out;
    const std::error_code ec = signer != nullptr
                                   ? crypto::seal_signed_reply(recipients, h, {}, *signer, out)
                                   : crypto::seal_tip(recipients, h, {}, out);
    REQUIRE_FALSE(ec);
    return std::move(out.bytes());
}

// fp's five groups joined by separator.
std::string regroup(const std::string& fingerprint, const std::string& separator) {
    std::string out;
    for (char c : fingerprint) out += c == ' ' ? separator : std::string(1, c);
    return out;
}

// ASCII digits as full-width digits (U+FF10..U+FF19), everything else kept.
std::string full_width(const std::string& text) {
    constexpr unsigned char full_width_zero_last_byte = 0x90;  // U+FF10 is EF BC 90
    std::string out;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            out += "\xef\xbc";
            out += static_cast<char>(full_width_zero_last_byte + (c - '0'));
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("a key the server adds to the NGO's gets no copy of a tip", "[hostile_source][pinning]") {
    Cast cast;
    Witness w;
    HostileSource server;
    server.serve_tip_line(listing({&cast.a, &cast.x}));
    const auto r =
        run_tool("send", server, "--expect " + arg(fp(cast.a)) + " --message-file " + q(w.message));
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == exit_ok);
    CHECK(r.out == std::string(fake_tip_id) + "\n");
    CHECK(contains(r.err, "sealing to " + fp(cast.a)));
    CHECK_FALSE(contains(r.err, "sealing to " + fp(cast.x)));
    CHECK(contains(r.err, "lists a key you did not pin, " + fp(cast.x) + ": it gets no copy"));
    const auto headers = check_all_sealed_to(server, 1, {&cast.a}, {&cast.x});
    CHECK(headers[0].kind == crypto::TipKind::tip);
    CHECK(headers[0].message == message_text);

    // The receipt shown to the witness never travels; only the mailbox's name and token hash do.
    const auto at = r.err.find("Your receipt:  ");
    REQUIRE(at != std::string::npos);
    std::string receipt = r.err.substr(at + std::string("Your receipt:  ").size(),
                                       crypto::receipt_digit_count + receipt_group_spaces);
    receipt.erase(std::remove(receipt.begin(), receipt.end(), ' '), receipt.end());
    REQUIRE(receipt.size() == crypto::receipt_digit_count);
    CHECK_FALSE(any_request_holds(server.requests(), receipt));
    const auto tips = submissions(server.requests());
    REQUIRE(tips.size() == 1);
    CHECK(tips[0].header("Tipline-Mailbox").size() == 2 * crypto::MailboxId{}.size());
    CHECK(tips[0].header("Tipline-Mailbox-Token-Hash").size() ==
          2 * crypto::MailboxTokenHash{}.size());
}

TEST_CASE("a key the server adds gets no copy of a tip sent as a resumable upload",
          "[hostile_source][pinning][upload]") {
    Cast cast;
    Witness w;
    HostileSource server;
    const std::string notes = serve_for_upload(server, listing({&cast.a, &cast.x}), w);
    const auto r = send_upload(server, w, fp(cast.a));
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == exit_ok);
    CHECK(r.out == std::string(fake_upload_tip_id) + "\n");
    CHECK(contains(r.err, fp(cast.x) + ": it gets no copy"));

    const auto requests = server.requests();
    const auto count = [&](const std::string& method, const std::string& prefix) {
        return std::count_if(requests.begin(), requests.end(), [&](const RecordedRequest& req) {
            return req.method == method && req.target.starts_with(prefix);
        });
    };
    CHECK(count("POST", "/api/v1/tips") == 0);
    CHECK(count("POST", "/api/v1/uploads") == 2);  // the start and the finish
    CHECK(count("PUT", "/api/v1/uploads/") > 1);
    const std::vector<Bytes> envelopes = sent_envelopes(requests);
    REQUIRE(envelopes.size() == 1);
    const auto start =
        std::find_if(requests.begin(), requests.end(), [](const RecordedRequest& req) {
            return req.method == "POST" && req.target == "/api/v1/uploads";
        });
    REQUIRE(start != requests.end());
    CHECK(start->header("Upload-Length") == std::to_string(envelopes[0].size()));
    std::vector<Bytes> files;
    const crypto::TipHeader header = check_sealed_to(envelopes[0], {&cast.a}, {&cast.x}, &files);
    REQUIRE(files.size() == 1);
    CHECK(as_text(files[0]) == notes);
    CHECK(header.message == message_text);
}

TEST_CASE("an upload the server never stores stops instead of going on forever",
          "[hostile_source][upload]") {
    Cast cast;
    Witness w;
    HostileSource server;
    serve_for_upload(server, listing({&cast.a}), w);
    // Every chunk is answered as if it were stored, while the offset never moves.
    server.answer("PUT", "/api/v1/uploads/" + std::string(fake_upload_key),
                  {200, "{\"offset\":0}"});
    const auto r = send_upload(server, w, fp(cast.a));
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == exit_usage);
    CHECK(contains(r.err, "the server stores none of the chunks it is sent"));
    const auto requests = server.requests();
    const auto puts = std::count_if(requests.begin(), requests.end(),
                                    [](const RecordedRequest& req) { return req.method == "PUT"; });
    CHECK(puts == 12);  // the tool's limit of consecutive attempts that did not move the upload on
    CHECK(r.out.empty());
}

TEST_CASE("a key the server adds gets no copy of a follow-up",
          "[hostile_source][pinning][mailbox]") {
    Cast cast;
    Witness w;
    HostileSource server;
    const KeysAnswer keys = listing({&cast.x, &cast.a});
    server.serve_tip_line(keys);
    const Receipt receipt = make_receipt(w.dir / "receipt.txt", keys.salt);

    const auto r = run_tool("reply", server,
                            "--expect " + arg(fp(cast.a)) + " --receipt-file " + q(receipt.file) +
                                " --message-file " + q(w.message));
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == exit_ok);
    CHECK(r.out == std::string(fake_follow_up_id) + "\n");
    CHECK(contains(r.err, fp(cast.x) + ": it gets no copy"));
    const auto headers = check_all_sealed_to(server, 1, {&cast.a}, {&cast.x});
    CHECK(headers[0].kind == crypto::TipKind::follow_up);
    CHECK(headers[0].reply_key == receipt.keys.reply.public_key);
    CHECK(headers[0].message == message_text);
    const auto posted = submissions(server.requests());
    REQUIRE(posted.size() == 1);
    CHECK(posted[0].target == "/api/v1/mailbox/messages");
    CHECK(posted[0].header("Tipline-Mailbox") ==
          crypto::to_hex(crypto::mailbox_id(receipt.keys.reply.public_key)));
    CHECK(posted[0].header("Tipline-Mailbox-Token") ==
          crypto::to_hex(receipt.keys.mailbox_token.span()));
    CHECK_FALSE(any_request_holds(server.requests(), receipt.digits));
}

TEST_CASE("a key swapped for the server's own is refused before anything is sent",
          "[hostile_source][pinning]") {
    Cast cast;
    Witness w;
    HostileSource server;
    const std::string expect = "--expect " + arg(fp(cast.a)) + " --message-file " + q(w.message);

    SECTION("the server lists only its key") { server.serve_tip_line(listing({&cast.x})); }
    SECTION("the server lists only its key, with the NGO's fingerprint beside it") {
        KeysAnswer keys = listing({&cast.x});
        keys.shown_fingerprints = {fp(cast.a)};  // the tool must compute fingerprints itself
        server.serve_tip_line(keys);
    }
    const auto r = run_tool("send", server, expect);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == exit_refused);
    CHECK(
        contains(r.err, "none of the keys the tip line lists is one you pinned; nothing was sent"));
    CHECK(contains(r.err, "the keys may have been replaced: do not send"));
    // Before it refuses, the tool says what it found: the pinned key missing, the server's key left
    // out.
    CHECK(contains(r.err, "no key the tip line lists has the fingerprint " + fp(cast.a)));
    CHECK(contains(r.err, "you did not pin, " + fp(cast.x)));
    CHECK(r.out.empty());
    check_nothing_sent(server);
    CHECK_FALSE(server.requests().empty());  // it did ask for the keys
}

TEST_CASE("a list signed by the pinned organisation seals to exactly the responders it names",
          "[hostile_source][list]") {
    Cast cast;
    Witness w;
    HostileSource server;
    // X is listed beside A and B in the JSON, but the signed list names only A and B.
    server.serve_tip_line(
        listing({&cast.a, &cast.x, &cast.b},
                signed_list(cast.org, current_serial, valid_until(), {&cast.a, &cast.b})));
    const auto r = run_tool(
        "send", server, "--expect " + arg(org_fp(cast.org)) + " --message-file " + q(w.message));
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == exit_ok);
    CHECK(contains(r.err, "the organisation you pinned vouches for 2 responder(s): list serial 5"));
    CHECK(contains(r.err, fp(cast.x) + ": it gets no copy"));
    CHECK(contains(r.err, "sealing to " + fp(cast.a)));
    CHECK(contains(r.err, "sealing to " + fp(cast.b)));
    CHECK_FALSE(contains(r.err, "sealing to " + fp(cast.x)));
    check_all_sealed_to(server, 1, {&cast.a, &cast.b}, {&cast.x});

    SECTION("the JSON lists only the attacker's key: the signed list brings its own") {
        server.forget_requests();
        server.answer("GET", "/api/v1/keys",
                      {200, listing({&cast.x}, signed_list(cast.org, current_serial, valid_until(),
                                                           {&cast.a, &cast.b}))
                                .json()});
        const auto again =
            run_tool("send", server,
                     "--expect " + arg(org_fp(cast.org)) + " --message-file " + q(w.message));
        INFO("second stderr: " << again.err);
        REQUIRE(again.exit_code == exit_ok);
        CHECK(contains(again.err, fp(cast.x) + ": it gets no copy"));
        check_all_sealed_to(server, 1, {&cast.a, &cast.b}, {&cast.x});
    }
    SECTION("a follow-up is sealed to the same two") {
        server.forget_requests();
        const Receipt receipt = make_receipt(w.dir / "receipt.txt", deployment_salt);
        const auto f = run_tool("reply", server,
                                "--expect " + arg(org_fp(cast.org)) + " --receipt-file " +
                                    q(receipt.file) + " --message-file " + q(w.message));
        INFO("reply stderr: " << f.err);
        REQUIRE(f.exit_code == exit_ok);
        check_all_sealed_to(server, 1, {&cast.a, &cast.b}, {&cast.x});
    }
}

TEST_CASE("a list rolled back to an older serial is refused with --remember",
          "[hostile_source][list]") {
    Cast cast;
    Witness w;
    HostileSource server;
    const fs::path memory = w.dir / "serials";
    const std::string pin = "--expect " + arg(org_fp(cast.org)) + " --message-file " + q(w.message);
    const std::string remembered_line = crypto::encode_organisation_key(org_key(cast.org)) + " ";

    // The current list: sent, and its serial remembered in a new file only the witness can read.
    server.serve_tip_line(
        listing({&cast.a, &cast.b},
                signed_list(cast.org, current_serial, valid_until(), {&cast.a, &cast.b})));
    const auto first = run_tool("send", server, pin + " --remember " + q(memory));
    INFO("first stderr: " << first.err);
    REQUIRE(first.exit_code == exit_ok);
    check_all_sealed_to(server, 1, {&cast.a, &cast.b}, {&cast.x});
    REQUIRE(fs::exists(memory));
    CHECK(fs::status(memory).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
    CHECK(as_text(read_file(memory)) == remembered_line + std::to_string(current_serial) + "\n");

    // An older list the organisation really signed, naming the attacker's key: the server lost the
    // current one, or pretends to.
    server.answer(
        "GET", "/api/v1/keys",
        {200,
         listing({&cast.x}, signed_list(cast.org, older_serial, valid_until(), {&cast.x})).json()});
    server.forget_requests();
    const auto rolled = run_tool("send", server, pin + " --remember " + q(memory));
    INFO("rolled back stderr: " << rolled.err);
    CHECK(rolled.exit_code == exit_refused);
    CHECK(contains(rolled.err, "(serial 4) is older than one seen before (serial 5)"));
    CHECK(contains(rolled.err, "nothing was sent"));
    check_nothing_sent(server);
    CHECK(as_text(read_file(memory)) == remembered_line + std::to_string(current_serial) + "\n");

    // The known limit (FORMAT.md 18.3): without --remember the tool cannot tell an older list that
    // has not expired from the current one, and seals to whom it names. Lists should expire within
    // months.
    server.forget_requests();
    const auto forgetful = run_tool("send", server, pin);
    INFO("without --remember stderr: " << forgetful.err);
    CHECK(forgetful.exit_code == exit_ok);
    check_all_sealed_to(server, 1, {&cast.x}, {&cast.a, &cast.b});

    // A newer list raises the remembered serial.
    server.answer(
        "GET", "/api/v1/keys",
        {200,
         listing({&cast.a}, signed_list(cast.org, newer_serial, valid_until(), {&cast.a})).json()});
    server.forget_requests();
    const auto newer = run_tool("send", server, pin + " --remember " + q(memory));
    INFO("newer stderr: " << newer.err);
    CHECK(newer.exit_code == exit_ok);
    check_all_sealed_to(server, 1, {&cast.a}, {&cast.b, &cast.x});
    CHECK(as_text(read_file(memory)) == remembered_line + std::to_string(newer_serial) + "\n");
}

TEST_CASE("an expired list is refused, pinned or not", "[hostile_source][list]") {
    Cast cast;
    Witness w;
    HostileSource server;
    const std::int64_t yesterday = crypto::current_day() - 1;
    // The JSON lists the same responders, so falling back to it would send.
    server.serve_tip_line(listing(
        {&cast.a, &cast.b}, signed_list(cast.org, current_serial, yesterday, {&cast.a, &cast.b})));
    std::string pin;
    SECTION("the organisation pinned") { pin = "--expect " + arg(org_fp(cast.org)); }
    SECTION("nothing pinned") {}
    const auto r = run_tool("send", server, pin + " --message-file " + q(w.message));
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == exit_refused);
    CHECK(contains(
        r.err, "the tip line's list of responders expired on " + crypto::format_day(yesterday)));
    CHECK(contains(r.err, "nothing was sent"));
    check_nothing_sent(server);
}

TEST_CASE("a list signed by another organisation, altered or withheld is refused",
          "[hostile_source][list]") {
    Cast cast;
    Witness w;
    HostileSource server;
    std::string words;
    std::string pin = "--expect " + arg(org_fp(cast.org));
    SECTION("signed by another organisation, naming the attacker's key") {
        server.serve_tip_line(listing(
            {&cast.x}, signed_list(cast.other_org, newer_serial, valid_until(), {&cast.x})));
        words =
            "is signed by organisation key " + org_fp(cast.other_org) + ", which you did not pin";
    }
    SECTION("one byte of an entry changed") {
        Bytes list = signed_list(cast.org, current_serial, valid_until(), {&cast.a, &cast.b});
        list[flipped_list_byte] ^= 1;
        server.serve_tip_line(listing({&cast.x}, list));
        words = "does not carry a valid signature: it was altered";
    }
    SECTION("one byte of an entry changed, nothing pinned") {
        Bytes list = signed_list(cast.org, current_serial, valid_until(), {&cast.a, &cast.b});
        list[flipped_list_byte] ^= 1;
        server.serve_tip_line(listing({&cast.a, &cast.b}, list));
        words = "does not carry a valid signature: it was altered";
        pin.clear();
    }
    SECTION("withheld, the NGO's responders listed without it") {
        // Without the list nothing vouches for A and B, whom the witness did not pin one by one.
        server.serve_tip_line(listing({&cast.a, &cast.b}));
        words = "none of the keys the tip line lists is one you pinned";
    }
    SECTION("not hex") {
        KeysAnswer keys = listing({&cast.a, &cast.b});
        keys.raw_list = hostile_text;
        server.serve_tip_line(keys);
        words = "is damaged or of a version this tool does not read";
    }
    const auto r = run_tool("send", server, pin + " --message-file " + q(w.message));
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == exit_refused);
    CHECK(contains(r.err, words));
    CHECK(contains(r.err, "nothing was sent"));
    CHECK_FALSE(has_terminal_controls(r.err));
    check_nothing_sent(server);
}

TEST_CASE("a tip id that is not 32 lowercase hex digits is refused and never printed",
          "[hostile_source][escapes]") {
    Cast cast;
    Witness w;
    HostileSource server;
    server.serve_tip_line(listing({&cast.a}));
    const std::string padded = std::string(fake_tip_id);
    std::string upper = padded;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    for (const std::string& id :
         {hostile_text, std::string("../../x"), padded.substr(1), upper, padded + "0",
          hostile_text + padded.substr(hostile_text.size())}) {
        INFO("id: " << id);
        server.answer("POST", "/api/v1/tips", id_answer(id));
        server.forget_requests();
        const auto r = run_tool("send", server,
                                "--expect " + arg(fp(cast.a)) + " --message-file " + q(w.message));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_usage);
        CHECK(contains(r.err, "the server's answer has an id that is not 32 hex digits"));
        CHECK(r.out.empty());
        CHECK_FALSE(has_terminal_controls(r.out + r.err));
        check_all_sealed_to(server, 1, {&cast.a}, {&cast.x});
    }
}

TEST_CASE("ids of follow-ups and finished uploads are held to the same rule",
          "[hostile_source][escapes]") {
    Cast cast;
    Witness w;
    HostileSource server;
    KeysAnswer keys = listing({&cast.a});
    SECTION("a follow-up") {
        server.serve_tip_line(keys);
        server.answer("POST", "/api/v1/mailbox/messages", id_answer(hostile_text));
        const Receipt receipt = make_receipt(w.dir / "receipt.txt", keys.salt);
        const auto r = run_tool("reply", server,
                                "--expect " + arg(fp(cast.a)) + " --receipt-file " +
                                    q(receipt.file) + " --message-file " + q(w.message));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_usage);
        CHECK(contains(r.err, "an id that is not 32 hex digits"));
        CHECK(r.out.empty());
        CHECK_FALSE(has_terminal_controls(r.out + r.err));
    }
    SECTION("a finished upload") {
        serve_for_upload(server, keys, w);
        server.answer("POST", "/api/v1/uploads/" + std::string(fake_upload_key) + "/finish",
                      id_answer("../../x"));
        const auto r = send_upload(server, w, fp(cast.a));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_usage);
        CHECK(contains(r.err, "an id that is not 32 hex digits"));
        CHECK(r.out.empty());
    }
    check_all_sealed_to(server, 1, {&cast.a}, {&cast.x});
}

TEST_CASE("an upload key that is not 32 lowercase hex digits stops the upload before any chunk",
          "[hostile_source][escapes][upload]") {
    Cast cast;
    Witness w;
    HostileSource server;
    serve_for_upload(server, listing({&cast.a}), w);
    for (const std::string& key :
         {hostile_text, std::string("../tips"), std::string("../../../api/v1/tips?x=")}) {
        INFO("upload key: " << key);
        server.answer("POST", "/api/v1/uploads", id_answer(key, "upload"));
        server.forget_requests();
        const auto r = send_upload(server, w, fp(cast.a));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_usage);
        CHECK(contains(r.err, "the server's answer has an upload that is not 32 hex digits"));
        CHECK_FALSE(has_terminal_controls(r.out + r.err));
        const auto sent = submissions(server.requests());
        REQUIRE(sent.size() == 1);  // the start, which carries no envelope
        CHECK(sent[0].target == "/api/v1/uploads");
        CHECK(sent[0].body.empty());
        CHECK(sent_envelopes(server.requests()).empty());
    }
}

TEST_CASE("a server's error message is shown escaped and cut short", "[hostile_source][escapes]") {
    Cast cast;
    Witness w;
    HostileSource server;
    server.serve_tip_line(listing({&cast.a}));
    const std::string message = hostile_text + std::string(long_message_padding, 'A');

    SECTION("refusing the keys: nothing is sent") {
        server.answer("GET", "/api/v1/keys", error_answer(503, "busy", message));
        const auto r = run_tool("send", server,
                                "--expect " + arg(fp(cast.a)) + " --message-file " + q(w.message));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_usage);
        CHECK(contains(r.err, "cannot fetch the responders' keys: the server answered 503: " +
                                  hostile_shown + "AAAA"));
        CHECK(longest_run(r.err, 'A') == message_shown_bytes - hostile_text.size());
        CHECK_FALSE(has_terminal_controls(r.out + r.err));
        check_nothing_sent(server);
    }
    SECTION("refusing the tip") {
        server.answer("POST", "/api/v1/tips", error_answer(400, "envelope_malformed", message));
        const auto r = run_tool("send", server,
                                "--expect " + arg(fp(cast.a)) + " --message-file " + q(w.message));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_usage);
        CHECK(contains(
            r.err, "the tip was not accepted: the server answered 400: " + hostile_shown + "AAAA"));
        CHECK(longest_run(r.err, 'A') == message_shown_bytes - hostile_text.size());
        CHECK_FALSE(has_terminal_controls(r.out + r.err));
        check_all_sealed_to(server, 1, {&cast.a}, {&cast.x});
    }
    SECTION("a raw 8-bit CSI, which is not UTF-8, in the JSON") {
        server.answer("POST", "/api/v1/tips",
                      {400,
                       "{\"error\":{\"code\":\"envelope_malformed\",\"message\":\"\x9b"
                       "2Jcleared\"}}"});
        const auto r = run_tool("send", server,
                                "--expect " + arg(fp(cast.a)) + " --message-file " + q(w.message));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_usage);
        CHECK(contains(r.err, "the tip was not accepted: the server answered 400"));
        CHECK_FALSE(has_terminal_controls(r.out + r.err));
    }
}

TEST_CASE("a trusted reply is shown with its escape sequences escaped and its lines kept",
          "[hostile_source][escapes][mailbox]") {
    Cast cast;
    Witness w;
    HostileSource server;
    const KeysAnswer keys = listing({&cast.a});
    server.serve_tip_line(keys);
    const Receipt receipt = make_receipt(w.dir / "receipt.txt", keys.salt);
    const std::string text =
        "first line" + hostile_text + "\nsecond line\tcolumn\nnot an escape: \\u{1B}\n";
    const crypto::BoxPublicKey& own = receipt.keys.reply.public_key;
    server.answer("GET", "/api/v1/mailbox",
                  bundle_answer({reply_envelope(own, own, text, &cast.a)}));

    const auto r = run_tool("check", server,
                            "--expect " + arg(fp(cast.a)) + " --receipt-file " + q(receipt.file));
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == exit_ok);
    CHECK(contains(r.out, "--- reply 1 (" + crypto::format_day(crypto::current_day()) +
                              "), from the NGO, signed by responder " + fp(cast.a) + "\n"));
    CHECK(contains(r.out, "first line" + hostile_shown +
                              "\nsecond line\tcolumn\nnot an escape: \\u{5C}u{1B}\n"));
    CHECK_FALSE(has_terminal_controls(r.out + r.err));
    const auto requests = server.requests();
    CHECK(submissions(requests).empty());
    CHECK_FALSE(any_request_holds(requests, receipt.digits));
    const auto read =
        std::find_if(requests.begin(), requests.end(),
                     [](const RecordedRequest& req) { return req.target == "/api/v1/mailbox"; });
    REQUIRE(read != requests.end());
    CHECK(read->header("Tipline-Mailbox") == crypto::to_hex(crypto::mailbox_id(own)));
    CHECK(read->header("Tipline-Mailbox-Token") ==
          crypto::to_hex(receipt.keys.mailbox_token.span()));
}

TEST_CASE("what the server says is escaped the same way when the tool speaks Korean",
          "[hostile_source][escapes][language]") {
    Cast cast;
    Witness w;
    HostileSource server;
    const KeysAnswer keys = listing({&cast.a});
    server.serve_tip_line(keys);
    const std::string korean = "LANG=ko_KR.UTF-8 ";

    SECTION("a trusted reply: the header is translated, the reply's text is not") {
        const Receipt receipt = make_receipt(w.dir / "receipt.txt", keys.salt);
        const std::string text = "first line" + hostile_text + "\nsecond line\tcolumn\n";
        const crypto::BoxPublicKey& own = receipt.keys.reply.public_key;
        server.answer("GET", "/api/v1/mailbox",
                      bundle_answer({reply_envelope(own, own, text, &cast.a)}));
        const std::string args = " check --server " + server.url() + " --expect " +
                                 arg(fp(cast.a)) + " --receipt-file " + q(receipt.file);
        const auto english = run_command(submit() + args);
        const auto ko = run_command(korean + submit() + args);
        INFO("stdout: " << ko.out << "\nstderr: " << ko.err);
        REQUIRE(english.exit_code == exit_ok);
        REQUIRE(ko.exit_code == exit_ok);
        const std::string day = crypto::format_day(crypto::current_day());
        const std::string shown = "first line" + hostile_shown + "\nsecond line\tcolumn\n";
        CHECK(ko.out ==
              "--- 답장 1 (" + day + "), 단체에서 보냄, 담당자 " + fp(cast.a) + " 서명\n" + shown);
        CHECK(english.out == "--- reply 1 (" + day + "), from the NGO, signed by responder " +
                                 fp(cast.a) + "\n" + shown);
        CHECK_FALSE(has_terminal_controls_decoded(ko.out + ko.err));
    }
    SECTION("an error message: the tool's words are translated, the server's are escaped") {
        server.answer("GET", "/api/v1/keys", error_answer(503, "busy", hostile_text));
        const auto r =
            run_command(korean + submit() + " send --server " + server.url() + " --expect " +
                        arg(fp(cast.a)) + " --message-file " + q(w.message));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_usage);
        CHECK(r.err ==
              "tipline-submit: 오류: 담당자들의 키를 받아 올 수 없습니다: 서버가 503 코드로 "
              "응답했습니다: " +
                  hostile_shown + "\n");
        CHECK_FALSE(has_terminal_controls_decoded(r.out + r.err));
        check_nothing_sent(server);
    }
}

TEST_CASE("replies planted in the mailbox are counted and never shown",
          "[hostile_source][mailbox]") {
    Cast cast;
    Witness w;
    HostileSource server;
    const crypto::BoxKeyPair stranger =
        crypto::BoxKeyPair::generate();  // another witness's reply key

    SECTION("beside a reply from the pinned responder") {
        const KeysAnswer keys = listing({&cast.a, &cast.x});
        server.serve_tip_line(keys);
        const Receipt receipt = make_receipt(w.dir / "receipt.txt", keys.salt);
        const crypto::BoxPublicKey& own = receipt.keys.reply.public_key;
        server.answer(
            "GET", "/api/v1/mailbox",
            bundle_answer(
                {reply_envelope(own, own, "PLANTED unsigned: come to the bridge", nullptr),
                 reply_envelope(own, own, "the real answer: stay where you are safe", &cast.a),
                 reply_envelope(own, own, "PLANTED by the server's key", &cast.x),
                 reply_envelope(own, stranger.public_key, "PLANTED for another witness",
                                &cast.a)}));
        const auto r = run_tool(
            "check", server, "--expect " + arg(fp(cast.a)) + " --receipt-file " + q(receipt.file));
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        REQUIRE(r.exit_code == exit_ok);
        CHECK(contains(r.out, "--- reply 1 ("));
        CHECK(contains(r.out, "signed by responder " + fp(cast.a) +
                                  "\nthe real answer: stay where you are safe\n"));
        CHECK_FALSE(contains(r.out, "--- reply 2"));
        CHECK_FALSE(contains(r.out + r.err, "PLANTED"));
        CHECK(
            contains(r.err, "3 message(s) in the mailbox are not signed by a responder you trust"));
    }
    SECTION("beside a reply from a responder the pinned organisation lists") {
        const KeysAnswer keys =
            listing({&cast.a, &cast.b, &cast.x},
                    signed_list(cast.org, current_serial, valid_until(), {&cast.a, &cast.b}));
        server.serve_tip_line(keys);
        const Receipt receipt = make_receipt(w.dir / "receipt.txt", keys.salt);
        const crypto::BoxPublicKey& own = receipt.keys.reply.public_key;
        server.answer(
            "GET", "/api/v1/mailbox",
            bundle_answer({reply_envelope(own, own, "PLANTED by the server's key", &cast.x),
                           reply_envelope(own, own, "an answer from B", &cast.b)}));
        const auto r =
            run_tool("check", server,
                     "--expect " + arg(org_fp(cast.org)) + " --receipt-file " + q(receipt.file));
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        REQUIRE(r.exit_code == exit_ok);
        CHECK(contains(r.out, "signed by responder " + fp(cast.b) + "\nan answer from B\n"));
        CHECK_FALSE(contains(r.out + r.err, "PLANTED"));
        CHECK(
            contains(r.err, "1 message(s) in the mailbox are not signed by a responder you trust"));
    }
    SECTION("with nothing but planted replies") {
        const KeysAnswer keys = listing({&cast.a, &cast.x});
        server.serve_tip_line(keys);
        const Receipt receipt = make_receipt(w.dir / "receipt.txt", keys.salt);
        const crypto::BoxPublicKey& own = receipt.keys.reply.public_key;
        server.answer(
            "GET", "/api/v1/mailbox",
            bundle_answer({reply_envelope(own, own, "PLANTED by the server's key", &cast.x),
                           reply_envelope(own, own, "PLANTED unsigned", nullptr)}));
        const auto r = run_tool(
            "check", server, "--expect " + arg(fp(cast.a)) + " --receipt-file " + q(receipt.file));
        INFO("stdout: " << r.out << "\nstderr: " << r.err);
        REQUIRE(r.exit_code == exit_ok);
        CHECK(contains(r.out, "no replies yet that a responder you trust signed"));
        CHECK_FALSE(contains(r.out + r.err, "PLANTED"));
        CHECK(
            contains(r.err, "2 message(s) in the mailbox are not signed by a responder you trust"));
    }
    check_nothing_sent(server);
}

TEST_CASE("a fingerprint pins its key in any spelling a person types",
          "[hostile_source][fingerprint]") {
    Cast cast;
    Witness w;
    HostileSource server;
    server.serve_tip_line(listing({&cast.a, &cast.x}));
    const std::string canonical = fp(cast.a);
    const std::string digits = regroup(canonical, "");
    const std::string en_dash = "\xe2\x80\x93";
    const std::string ideographic_space = "\xe3\x80\x80";
    const std::string minus_sign = "\xe2\x88\x92";
    const std::string no_break_space = "\xc2\xa0";
    const std::string mixed = full_width(digits.substr(0, 5)) + en_dash + digits.substr(5, 2) +
                              " " + digits.substr(7, 3) + ideographic_space +
                              full_width(digits.substr(10, 5)) + minus_sign + digits.substr(15, 5) +
                              no_break_space + "-" + full_width(digits.substr(20, 5));
    for (const std::string& typed :
         {canonical, digits, regroup(canonical, "-"), regroup(canonical, en_dash),
          full_width(canonical), full_width(digits), mixed}) {
        INFO("typed: " << typed);
        server.forget_requests();
        const auto r =
            run_tool("send", server, "--expect " + arg(typed) + " --message-file " + q(w.message));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_ok);
        CHECK_FALSE(contains(r.err, "no key the tip line lists has the fingerprint"));
        check_all_sealed_to(server, 1, {&cast.a}, {&cast.x});
    }
}

TEST_CASE("anything but 25 digits is a usage error before any request",
          "[hostile_source][fingerprint]") {
    Cast cast;
    Witness w;
    HostileSource server;
    server.serve_tip_line(listing({&cast.a}));
    const std::string canonical = fp(cast.a);
    const std::string digits = regroup(canonical, "");
    for (const std::string& typed : {canonical.substr(0, canonical.size() - 1), canonical + "0",
                                     digits + "0", canonical.substr(0, canonical.size() - 1) + "a",
                                     std::string("abcde fghij klmno pqrst uvwxy"),
                                     crypto::encode_public_key(cast.a.public_identity),
                                     std::string(), canonical + "\n" + canonical}) {
        INFO("typed: " << typed);
        const auto r =
            run_tool("send", server, "--expect " + arg(typed) + " --message-file " + q(w.message));
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == exit_usage);
        CHECK(contains(r.err, "is not a fingerprint"));
        CHECK(server.requests().empty());
    }
    SECTION("in check and reply too") {
        const Receipt receipt = make_receipt(w.dir / "receipt.txt", deployment_salt);
        const std::string receipt_arg = " --receipt-file " + q(receipt.file);
        for (const std::string& args :
             {"check" + receipt_arg, "reply" + receipt_arg + " --message-file " + q(w.message)}) {
            INFO(args);
            const auto r = run_command(submit() + " " + args + " --server " + server.url() +
                                       " --expect 12345");
            CHECK(r.exit_code == exit_usage);
            CHECK(contains(r.err, "is not a fingerprint"));
            CHECK(server.requests().empty());
        }
    }
}

TEST_CASE("a damaged --remember file is a usage error before any request",
          "[hostile_source][list]") {
    Cast cast;
    Witness w;
    HostileSource server;
    server.serve_tip_line(
        listing({&cast.a, &cast.b},
                signed_list(cast.org, current_serial, valid_until(), {&cast.a, &cast.b})));
    const fs::path memory = w.dir / "serials";
    const std::string line = crypto::encode_organisation_key(org_key(cast.org));
    SECTION("a lowered serial written with a leading zero") { write_file(memory, line + " 09\n"); }
    SECTION("no final line break") { write_file(memory, line + " 9"); }
    SECTION("a responder's key in place of the organisation's") {
        write_file(memory, crypto::encode_public_key(cast.a.public_identity) + " 9\n");
    }
    SECTION("the same organisation twice") { write_file(memory, line + " 9\n" + line + " 1\n"); }
    const Bytes before = read_file(memory);
    const auto r = run_tool("send", server,
                            "--expect " + arg(org_fp(cast.org)) + " --remember " + q(memory) +
                                " --message-file " + q(w.message));
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == exit_usage);
    CHECK(contains(r.err, "is not a file of remembered list serials"));
    CHECK(server.requests().empty());
    CHECK(read_file(memory) == before);
}

TEST_CASE("limits that are not unsigned integers send nothing", "[hostile_source][json]") {
    Cast cast;
    Witness w;
    HostileSource server;
    server.serve_tip_line(listing({&cast.a}));
    const std::string keys = listing({&cast.a}).json();
    const std::string field = "\"inline_bytes\":" + std::to_string(default_inline_bytes);
    const auto at = keys.find(field);
    REQUIRE(at != std::string::npos);
    std::string value;
    SECTION("negative") { value = "-1"; }
    SECTION("a fraction") { value = "1.5"; }
    SECTION("past 64 bits") { value = "18446744073709551616"; }
    server.answer("GET", "/api/v1/keys",
                  {200, std::string(keys).replace(at, field.size(), "\"inline_bytes\":" + value)});
    const auto r =
        run_tool("send", server, "--expect " + arg(fp(cast.a)) + " --message-file " + q(w.message));
    INFO("exit " << r.exit_code << ", stderr: " << r.err);
    CHECK(r.exit_code == exit_usage);
    CHECK(contains(r.err, "the server sent limits that are not valid"));
    CHECK(r.out.empty());
    check_nothing_sent(server);
}
