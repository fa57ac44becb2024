// Writes every test vector in tests/vectors/ from a fixed seed, so the committed files can be
// regenerated exactly.
#include <sodium.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "hex.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/padding.hpp"
#include "tipline/crypto/proof_of_work.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/crypto/request_auth.hpp"
#include "tipline/crypto/store_file.hpp"
#include "tipline/crypto/tip_document.hpp"

namespace {

namespace fs = std::filesystem;
namespace c = tipline::crypto;
using Bytes = std::vector<unsigned char>;

// Deterministic randombytes: ChaCha20 keystream under a fixed key, a fresh nonce per call.
unsigned char rng_key[crypto_stream_chacha20_KEYBYTES] = "tipline test vectors fixed seed";
std::uint64_t rng_counter = 0;

void rng_buf(void* out, size_t size) {
    unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
    std::memcpy(nonce, &rng_counter, sizeof rng_counter);
    ++rng_counter;
    crypto_stream_chacha20(static_cast<unsigned char*>(out), size, nonce, rng_key);
}

uint32_t rng_random() {
    uint32_t v = 0;
    rng_buf(&v, sizeof v);
    return v;
}

const char* rng_name() { return "tipline-vectors"; }

randombytes_implementation deterministic = {rng_name, rng_random, nullptr,
                                            nullptr,  rng_buf,    nullptr};

using tipline::test::hex;
using tipline::test::sha256_hex;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

struct Vector {
    std::string name;
    std::string expect;
    std::string comment;
    std::vector<std::pair<std::string, std::string>> headers;
    Bytes body;
};

class Writer {
  public:
    explicit Writer(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }
    void add(const Vector& v) {
        std::ofstream f(dir_ / v.name, std::ios::binary | std::ios::trunc);
        f << "expect: " << v.expect << "\n"
          << "comment: " << v.comment << "\n";
        for (const auto& [k, val] : v.headers) f << k << ": " << val << "\n";
        f << "\n";
        f.write(reinterpret_cast<const char*>(v.body.data()),
                static_cast<std::streamsize>(v.body.size()));
        if (!f) throw std::runtime_error("cannot write " + v.name);
        ++count_;
    }
    int count() const { return count_; }

  private:
    fs::path dir_;
    int count_ = 0;
};

Bytes seal(const std::vector<c::BoxPublicKey>& to, const Bytes& content) {
    c::MemorySource src(content);
    c::VectorSink sink;
    if (c::seal_envelope(to, content.size(), src, sink)) throw std::runtime_error("seal failed");
    return sink.bytes();
}

// Seals a hand-built framed plaintext, to make envelopes whose inner framing is wrong.
Bytes seal_framed(const c::BoxPublicKey& to, const Bytes& framed) {
    c::MemorySource src(framed);
    c::VectorSink sink;
    const c::BoxPublicKey keys[] = {to};
    if (c::seal_padded_payload(keys, framed.size(), src, sink))
        throw std::runtime_error("seal failed");
    return sink.bytes();
}

Bytes framed(std::uint64_t declared_length, const Bytes& content, std::size_t padded,
             unsigned char pad) {
    Bytes out;
    c::put_u64(out, declared_length);
    c::put_bytes(out, content);
    out.resize(padded, pad);
    return out;
}

std::pair<std::string, std::string> identity(const c::BoxKeyPair& k) {
    return {"identity", hex(k.secret_key.span())};
}

Bytes patched(Bytes b, std::size_t at, unsigned char xor_mask) {
    b.at(at) ^= xor_mask;
    return b;
}

void envelope_vectors(Writer& w) {
    const auto alice = c::BoxKeyPair::generate();
    const auto bob = c::BoxKeyPair::generate();
    const auto carol = c::BoxKeyPair::generate();
    const auto outsider = c::BoxKeyPair::generate();
    const Bytes text =
        bytes_of("Tipline test vector: the quick brown fox jumps over the lazy dog.\n");
    auto ok = [&](std::string name, std::string comment, const Bytes& env, const c::BoxKeyPair& id,
                  const Bytes& content) {
        w.add({std::move(name),
               "success",
               std::move(comment),
               {identity(id),
                {"content-length", std::to_string(content.size())},
                {"content-sha256", sha256_hex(content)}},
               env});
    };
    auto bad = [&](std::string name, std::string expect, std::string comment, const Bytes& env,
                   const c::BoxKeyPair& id) {
        w.add({std::move(name), std::move(expect), std::move(comment), {identity(id)}, env});
    };

    const Bytes one = seal({alice.public_key}, text);
    ok("envelope_success_one_recipient",
       "one recipient, a short text padded to the 4096-byte minimum", one, alice, text);
    ok("envelope_success_empty_content",
       "zero bytes of content still make one full minimum-size chunk", seal({alice.public_key}, {}),
       alice, {});
    ok("envelope_success_second_of_three", "three stanzas; the identity opens the second",
       seal({alice.public_key, bob.public_key, carol.public_key}, text), bob, text);

    std::vector<c::BoxPublicKey> sixteen;
    std::vector<c::BoxKeyPair> others;
    for (int i = 0; i < 15; ++i) others.push_back(c::BoxKeyPair::generate());
    for (const auto& k : others) sixteen.push_back(k.public_key);
    sixteen.push_back(carol.public_key);
    ok("envelope_success_sixteen_recipients",
       "the maximum of sixteen stanzas; the identity opens the last", seal(sixteen, text), carol,
       text);

    Bytes big(100000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<unsigned char>(i * 31 + 7);
    const Bytes multi = seal({alice.public_key}, big);
    ok("envelope_success_two_chunks",
       "100000 content bytes pad to 100352 and span two payload chunks", multi, alice, big);

    const std::size_t stream_header_at = 19, stanza_at = 43, mac_at = 43 + 80,
                      payload_at = 43 + 80 + 32;
    bad("envelope_wrong_key", "no_matching_key", "sealed to someone else", one, outsider);
    bad("envelope_stanza_flipped", "no_matching_key", "one bit of the only stanza flipped",
        patched(one, stanza_at + 40, 0x01), alice);
    bad("envelope_stream_header_flipped", "authentication_failed",
        "one bit of the secretstream header flipped; the MAC catches it",
        patched(one, stream_header_at + 5, 0x01), alice);
    bad("envelope_mac_flipped", "authentication_failed", "one bit of the header MAC flipped",
        patched(one, mac_at + 31, 0x80), alice);
    bad("envelope_payload_flipped", "authentication_failed",
        "one bit of the first payload chunk flipped", patched(one, payload_at + 100, 0x04), alice);
    Bytes other_length = one;
    other_length[18] = 0x00,
    other_length[17] = 0x12;  // 4608: a valid Padmé length, but not the one the MAC covers
    bad("envelope_length_changed", "authentication_failed",
        "padded length changed to another valid length (4608)", other_length, alice);
    Bytes not_padme = one;
    not_padme[18] = 0x01;  // 4097
    bad("envelope_length_not_padme", "malformed", "padded length 4097 is not a Padmé value",
        not_padme, alice);
    Bytes v2 = one;
    v2[9] = 0x02;
    bad("envelope_unknown_version", "unsupported_version", "version field 2", v2, alice);
    Bytes zero = one;
    zero[10] = 0;
    bad("envelope_recipients_zero", "malformed", "recipient count 0", zero, alice);
    Bytes seventeen = one;
    seventeen[10] = 17;
    bad("envelope_recipients_seventeen", "malformed", "recipient count 17", seventeen, alice);
    bad("envelope_bad_magic", "malformed", "magic TIPLNENW instead of TIPLNENV",
        patched(one, 7, 0x01), alice);
    bad("envelope_truncated_magic", "truncated", "only the first five bytes",
        Bytes(one.begin(), one.begin() + 5), alice);
    bad("envelope_truncated_header", "truncated", "ends inside the stanza",
        Bytes(one.begin(), one.begin() + 80), alice);
    bad("envelope_truncated_payload", "truncated", "the last byte of the final chunk is missing",
        Bytes(one.begin(), one.end() - 1), alice);
    bad("envelope_truncated_second_chunk", "truncated",
        "the whole final chunk of a two-chunk envelope is missing",
        Bytes(multi.begin(), multi.begin() + static_cast<std::ptrdiff_t>(payload_at + 65536 + 17)),
        alice);
    Bytes trailing = one;
    trailing.push_back(0);
    bad("envelope_trailing_byte", "malformed", "one zero byte after the final chunk", trailing,
        alice);

    bad("envelope_padding_nonzero", "malformed",
        "authentic payload whose padding holds a non-zero byte",
        seal_framed(alice.public_key, framed(text.size(), text, 4096, 0x01)), alice);
    bad("envelope_length_prefix_too_large", "malformed",
        "authentic payload whose content length exceeds the padded length",
        seal_framed(alice.public_key, framed(5000, text, 4096, 0x00)), alice);
    bad("envelope_length_prefix_noncanonical", "malformed",
        "authentic payload padded to 8192 although its content needs only the 4096 minimum",
        seal_framed(alice.public_key, framed(text.size(), text, 8192, 0x00)), alice);
}

Bytes document(const c::TipHeader& h, const std::vector<Bytes>& parts) {
    Bytes out;
    if (c::encode_tip_header(h, out)) throw std::runtime_error("bad tip header");
    for (const Bytes& p : parts) c::put_bytes(out, p);
    return out;
}

void tipdoc_vectors(Writer& w) {
    c::TipHeader h;
    h.kind = c::TipKind::tip;
    h.created_at = 1796083200;  // 2026-12-01 00:00:00 UTC
    h.language = "ko";
    h.reply_key = c::BoxKeyPair::generate().public_key;
    h.message = "두만강 근처에서 본 일을 알립니다.\n";
    const Bytes photo = bytes_of("not really a jpeg");
    const Bytes note = bytes_of("second attachment\n");
    h.attachments = {{"사진.jpg", "image/jpeg", photo.size()},
                     {"note.txt", "text/plain", note.size()}};
    const Bytes doc = document(h, {photo, note});
    auto ok = [&](std::string name, std::string comment, const c::TipHeader& th,
                  const Bytes& body) {
        w.add({std::move(name),
               "success",
               std::move(comment),
               {{"language", th.language},
                {"attachments", std::to_string(th.attachments.size())},
                {"message-sha256", sha256_hex(bytes_of(th.message))}},
               body});
    };
    auto bad = [&](std::string name, std::string expect, std::string comment, Bytes body) {
        w.add({std::move(name), std::move(expect), std::move(comment), {}, std::move(body)});
    };
    ok("tipdoc_success_two_attachments", "Korean message, a reply key and two attachments", h, doc);

    c::TipHeader minimal;
    minimal.message.clear();
    ok("tipdoc_success_minimal", "empty message, no attachments, no reply key", minimal,
       document(minimal, {}));

    c::TipHeader hostile;
    hostile.language = "zh-Hans";
    hostile.message = "<script>alert(1)</script>";
    const std::vector<std::string> names = {"../../etc/passwd",   "/abs", "CON", "a\nb",
                                            "photo\u202Egpj.exe", "dup",  "dup"};
    std::vector<Bytes> parts;
    for (const std::string& n : names) {
        hostile.attachments.push_back({n, "application/octet-stream", 1});
        parts.push_back(Bytes{'x'});
    }
    ok("tipdoc_success_hostile_names",
       "names a reader must sanitize before use; the document itself is valid", hostile,
       document(hostile, parts));

    const std::size_t header_body_at = c::tip_preamble_size;
    Bytes trailing = doc;
    trailing.push_back('!');
    bad("tipdoc_trailing_byte", "malformed", "one byte after the last attachment", trailing);
    bad("tipdoc_attachment_short", "malformed", "the last attachment is one byte short",
        Bytes(doc.begin(), doc.end() - 1));
    bad("tipdoc_bad_magic", "malformed", "magic TIPLNDOX", patched(doc, 7, 0x1b));
    Bytes v9 = doc;
    v9[9] = 9;
    bad("tipdoc_unknown_version", "unsupported_version", "version field 9", v9);
    Bytes zero_len = doc;
    std::memset(zero_len.data() + 10, 0, 4);
    bad("tipdoc_header_length_zero", "malformed", "header length 0", zero_len);
    bad("tipdoc_bad_kind", "malformed", "kind 5 is not defined",
        patched(doc, header_body_at, 0x04));
    // language is at body offset 9 (kind 1 + created_at 8): length byte, then "ko"
    Bytes lang = doc;
    lang[header_body_at + 10] = '_';
    bad("tipdoc_language_bad_char", "malformed",
        "language tag _o has a character outside [A-Za-z0-9-]", lang);
    c::TipHeader bad_utf8 = minimal;
    bad_utf8.message = "ok";
    Bytes utf8 = document(bad_utf8, {});
    utf8[utf8.size() - 4] = 0xC0;  // message "ok" sits just before the 2-byte attachment count
    bad("tipdoc_message_invalid_utf8", "malformed",
        "message bytes C0 6B: an invalid UTF-8 sequence", utf8);
    c::TipHeader nul = minimal;
    nul.attachments = {{"ab", "text/plain", 0}};
    Bytes nul_doc = document(nul, {});
    const std::size_t name_at =
        nul_doc.size() - (2 + 1 + 10 + 8);  // "ab", type length, "text/plain", size
    nul_doc[name_at + 1] = 0;
    bad("tipdoc_name_with_nul", "malformed", "attachment name a\\0 holds a NUL byte", nul_doc);
}

void keyfile_vectors(Writer& w) {
    const std::string pass = "correct horse battery staple";
    const c::KdfLimits cheap{1, 1 << 20};  // keeps the walker fast; real keys use MODERATE
    const auto id = c::SecretIdentity::generate();
    const Bytes full =
        c::seal_secret_key_file(id, c::KeyFileContents::decrypt_and_sign, c::as_bytes(pass), cheap);
    const Bytes sign =
        c::seal_secret_key_file(id, c::KeyFileContents::sign_only, c::as_bytes(pass), cheap);
    const std::string pub = c::encode_public_key(id.public_identity);
    auto add = [&](std::string name, std::string expect, std::string comment, Bytes body,
                   std::string passphrase) {
        std::vector<std::pair<std::string, std::string>> headers = {{"passphrase", passphrase}};
        if (expect == "success") headers.emplace_back("public-key", pub);
        w.add({std::move(name), std::move(expect), std::move(comment), headers, std::move(body)});
    };
    add("keyfile_success", "success",
        "decryption and signing key, Argon2id with opslimit 1 and 1 MiB", full, pass);
    add("keyfile_success_sign_only", "success",
        "signing-only key: holds the X25519 public key, not the secret", sign, pass);
    add("keyfile_wrong_passphrase", "authentication_failed",
        "the passphrase differs in its last letter", full, "correct horse battery stapler");
    add("keyfile_truncated", "truncated", "the last byte of the tag is missing",
        Bytes(full.begin(), full.end() - 1), pass);
    Bytes trailing = full;
    trailing.push_back(0);
    add("keyfile_trailing_byte", "malformed", "one byte after the tag", trailing, pass);
    add("keyfile_opslimit_altered", "authentication_failed",
        "opslimit changed from 1 to 2; the header is associated data", patched(full, 15, 0x03),
        pass);
    Bytes memlimit = full;
    memlimit[16] = 0x10;  // 2^60 + 1 MiB
    add("keyfile_memlimit_absurd", "malformed", "memlimit above 4 GiB is refused before any work",
        memlimit, pass);
    add("keyfile_unknown_version", "unsupported_version", "version field 2", patched(full, 9, 0x03),
        pass);
    add("keyfile_bad_contents", "malformed", "contents byte 4 is not defined",
        patched(full, 10, 0x05), pass);
}

void pubkey_vectors(Writer& w) {
    const auto id = c::SecretIdentity::generate();
    const std::string pub = c::encode_public_key(id.public_identity);
    w.add({"pubkey_success",
           "success",
           "a responder public key",
           {{"fingerprint", c::fingerprint(id.public_identity)}},
           bytes_of(pub)});
    auto bad = [&](std::string name, std::string expect, std::string comment, std::string text) {
        w.add({std::move(name), std::move(expect), std::move(comment), {}, bytes_of(text)});
    };
    std::string sum = pub;
    sum[40] = sum[40] == 'A' ? 'B' : 'A';
    bad("pubkey_bad_checksum", "malformed", "one character of the X25519 key changed", sum);
    std::string v2 = pub;
    v2[10] = '2';
    bad("pubkey_unknown_version", "unsupported_version", "prefix tipline-pk2-", v2);
    // 68 bytes leave 2 unused bits in the last character; setting one keeps every data bit intact.
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string last = pub;
    last.back() = alphabet[alphabet.find(last.back()) | 1];
    bad("pubkey_noncanonical_base64", "malformed",
        "an unused bit of the last base64 character is set", last);
    bad("pubkey_damaged_prefix", "malformed",
        "prefix tipline-pk1 without its dash is damage, not a new version",
        "tipline-pk1" + pub.substr(12));
    bad("pubkey_padded", "malformed", "base64 padding is not allowed", pub + "=");
    bad("pubkey_short", "malformed", "one character missing", pub.substr(0, pub.size() - 1));
    bad("pubkey_other_text", "malformed", "not a tipline key at all", "ssh-ed25519 AAAA");
    // A byte outside the alphabet in place of '_': some base64 decoders read 0x80 to 0xFF as '_'.
    std::string high = pub;
    high[high.find('_', 12)] = '\xA9';
    bad("pubkey_outside_alphabet", "malformed", "byte 0xA9 in place of an underscore", high);
}

void receipt_vectors(Writer& w, c::ReceiptKdf kdf = c::ReceiptKdf::v1,
                     const std::string& prefix = "receipt_") {
    const std::string version = std::to_string(static_cast<int>(kdf));
    c::DeploymentSalt salt{};
    randombytes_buf(salt.data(), salt.size());
    const c::SecretBuffer digits = c::generate_receipt();
    const c::SecretBuffer shown = c::format_receipt(digits.span());
    const auto keys = c::derive_receipt_keys(digits.span(), salt, kdf);
    const std::vector<std::pair<std::string, std::string>> derived = {
        {"salt", hex(salt)},
        {"receipt-kdf", version},
        {"mailbox-token", hex(keys.mailbox_token.span())},
        {"mailbox-token-hash", hex(c::hash_mailbox_token(keys.mailbox_token.span()))},
        {"reply-public-key", hex(keys.reply.public_key)},
        {"mailbox-name", hex(c::mailbox_id(keys.reply.public_key))}};
    const std::string typed(reinterpret_cast<const char*>(shown.data()), shown.size());
    w.add({prefix + "success", "success", "a receipt as shown, in groups of four", derived,
           bytes_of(typed)});
    std::string wide;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && i % 4 == 0) wide += '-';
        wide += "\xEF\xBC";  // U+FF10..U+FF19 are EF BC 90..99
        wide += static_cast<char>(0x90 + (digits.data()[i] - '0'));
    }
    w.add({prefix + "success_fullwidth", "success",
           "the same receipt typed with full-width digits and hyphens", derived, bytes_of(wide)});
    const std::vector<std::pair<std::string, std::string>> salt_only = {{"salt", hex(salt)},
                                                                        {"receipt-kdf", version}};
    w.add({prefix + "too_short", "malformed", "nineteen digits", salt_only,
           bytes_of(typed.substr(0, typed.size() - 1))});
    std::string letter = typed;
    letter[0] = 'O';
    w.add({prefix + "letter", "malformed", "a letter O where a zero belongs", salt_only,
           bytes_of(letter)});
}

void bundle_vectors(Writer& w) {
    const auto key = c::BoxKeyPair::generate();
    const Bytes a = seal({key.public_key}, bytes_of("first")),
                b = seal({key.public_key}, bytes_of("second"));
    auto entry = [](unsigned char tag, std::uint32_t day, std::uint64_t size) {
        c::BundleEntry e;
        e.id.fill(tag);
        e.day = day;
        e.size = size;
        return e;
    };
    auto bundle = [](std::vector<c::BundleEntry> entries, const std::vector<Bytes>& envelopes) {
        c::VectorSink sink;
        c::write_bundle_manifest(sink, entries);
        for (const Bytes& e : envelopes) sink.write(e);
        return std::move(sink.bytes());
    };
    const std::uint32_t day = 20783;  // 2026-11-26
    const Bytes two = bundle({entry(0xA1, day, a.size()), entry(0xB2, day, b.size())}, {a, b});
    w.add({"bundle_success_two_tips",
           "success",
           "two envelopes with their manifest",
           {{"entries", "2"}, {"ids", hex(Bytes(16, 0xA1)) + "," + hex(Bytes(16, 0xB2))}},
           two});
    w.add({"bundle_success_empty",
           "success",
           "an export with nothing to export",
           {{"entries", "0"}, {"ids", ""}},
           bundle({}, {})});
    auto bad = [&](std::string name, std::string expect, std::string comment, Bytes body) {
        w.add({std::move(name), std::move(expect), std::move(comment), {}, std::move(body)});
    };
    bad("bundle_manifest_size_too_large", "truncated",
        "the manifest claims one byte more than the second envelope has",
        bundle({entry(0xA1, day, a.size()), entry(0xB2, day, b.size() + 1)}, {a, b}));
    bad("bundle_manifest_size_too_small", "malformed",
        "the manifest claims one byte less than the file holds",
        bundle({entry(0xA1, day, a.size()), entry(0xB2, day, b.size() - 1)}, {a, b}));
    bad("bundle_manifest_bomb", "malformed", "an entry declares 2^60 bytes",
        bundle({entry(0xA1, day, std::uint64_t{1} << 60)}, {a}));
    bad("bundle_duplicate_ids", "malformed", "two entries share one id",
        bundle({entry(0xA1, day, a.size()), entry(0xA1, day, b.size())}, {a, b}));
    bad("bundle_entry_too_small", "malformed", "an entry smaller than the smallest envelope",
        bundle({entry(0xA1, day, 100)}, {}));
    Bytes v2 = two;
    v2[9] = 2;
    bad("bundle_unknown_version", "unsupported_version", "version field 2", v2);
    Bytes many = two;
    many[10] = 0x7F;  // count 2130706434
    bad("bundle_count_too_large", "malformed", "a count above one million", many);
    bad("bundle_truncated_manifest", "truncated", "ends inside the second manifest entry",
        Bytes(two.begin(), two.begin() + 50));
}

void request_vectors(Writer& w) {
    const auto signer = c::SecretIdentity::generate();
    const auto other = c::SecretIdentity::generate();
    const std::string method = "POST", target = "/api/v1/responder/ack";
    const Bytes body = bytes_of("{\"refs\":[17,18],\"delete\":true}");
    c::RequestToSign r;
    r.method = method;
    r.target = target;
    r.body_hash = c::hash_request_body(body);
    r.timestamp = 1800000000;
    randombytes_buf(r.nonce.data(), r.nonce.size());
    const auto sig = c::sign_request(r, signer.sign_secret);
    auto headers = [&](const std::string& m, const std::string& t, std::uint64_t ts,
                       const c::PublicIdentity& who, std::span<const unsigned char> signature) {
        return std::vector<std::pair<std::string, std::string>>{
            {"method", m},
            {"target", t},
            {"timestamp", std::to_string(ts)},
            {"nonce", hex(r.nonce)},
            {"signer", c::encode_public_key(who)},
            {"signature", hex(signature)}};
    };
    auto ok = headers(method, target, r.timestamp, signer.public_identity, sig);
    ok.push_back({"body-hash", hex(r.body_hash)});
    w.add({"request_success", "success", "a signed acknowledgement", ok, body});
    w.add({"request_other_target", "authentication_failed",
           "the signature was made for another target",
           headers(method, "/api/v1/responder/bundle", r.timestamp, signer.public_identity, sig),
           body});
    w.add({"request_other_time", "authentication_failed", "the timestamp differs by one second",
           headers(method, target, r.timestamp + 1, signer.public_identity, sig), body});
    w.add({"request_other_signer", "authentication_failed",
           "a valid signature checked against another responder's key",
           headers(method, target, r.timestamp, other.public_identity, sig), body});
    Bytes changed = body;
    changed[10] = '9';
    w.add({"request_other_body", "authentication_failed", "one byte of the body changed",
           headers(method, target, r.timestamp, signer.public_identity, sig), changed});
    const std::string split_method = "POS", split_target = "T/api/v1/responder/ack";
    w.add({"request_fields_slid", "authentication_failed",
           "the same bytes split differently between method and target",
           headers(split_method, split_target, r.timestamp, signer.public_identity, sig), body});
}

void pow_vectors(Writer& w) {
    c::PowChallenge challenge{};
    challenge[0] = c::pow_version;
    challenge[1] = 16;
    randombytes_buf(challenge.data() + 2,
                    challenge.size() - 2);  // random and MAC: opaque to the client
    const std::uint64_t nonce = *c::pow_solve(challenge);
    auto solved = [](const c::PowChallenge& ch, std::uint64_t n) {
        return std::vector<std::pair<std::string, std::string>>{
            {"zero-bits", std::to_string(c::pow_zero_bits(ch, n))}};
    };
    auto text = [](const c::PowChallenge& ch, std::uint64_t n) {
        return bytes_of(c::pow_proof_text(ch, n));
    };
    w.add({"pow_success", "success", "a 16-bit challenge and the first nonce from 0 that meets it",
           solved(challenge, nonce), text(challenge, nonce)});
    c::PowChallenge free = challenge;
    free[1] = 0;
    w.add({"pow_success_zero_bits", "success", "a 0-bit challenge: every nonce meets it",
           solved(free, 7), text(free, 7)});
    std::uint64_t miss = 0;
    while (c::pow_zero_bits(challenge, miss) >= 16) ++miss;
    w.add({"pow_unsolved",
           "authentication_failed",
           "a nonce whose hash has fewer than 16 leading zero bits",
           {},
           text(challenge, miss)});
    c::PowChallenge v2 = challenge;
    v2[0] = 2;
    w.add(
        {"pow_unknown_version", "unsupported_version", "challenge version 2", {}, text(v2, nonce)});
    c::PowChallenge greedy = challenge;
    greedy[1] = c::pow_max_bits + 1;
    w.add({"pow_bits_too_large",
           "malformed",
           "a challenge asking for 41 bits",
           {},
           text(greedy, nonce)});
    std::string upper = c::pow_proof_text(challenge, nonce);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    w.add({"pow_uppercase", "malformed", "the same proof in uppercase hex", {}, bytes_of(upper)});
    std::string colon = c::pow_proof_text(challenge, nonce);
    colon[2 * c::pow_challenge_bytes] = ':';
    w.add({"pow_no_dot", "malformed", "a colon in place of the dot", {}, bytes_of(colon)});
    const std::string short_nonce = c::pow_proof_text(challenge, nonce);
    w.add({"pow_short_nonce",
           "malformed",
           "the nonce with 15 hex digits",
           {},
           bytes_of(short_nonce.substr(0, short_nonce.size() - 1))});
}

void replyfile_vectors(Writer& w) {
    const auto witness = c::BoxKeyPair::generate();
    const Bytes envelope = seal({witness.public_key}, bytes_of("a reply"));
    const c::MailboxId mailbox = c::mailbox_id(witness.public_key);
    auto file = [&](const Bytes& env, std::uint16_t version) {
        Bytes out;
        c::put_bytes(out, c::labels::reply_file_magic);
        c::put_u16(out, version);
        c::put_bytes(out, mailbox);
        c::put_bytes(out, env);
        return out;
    };
    const Bytes good = file(envelope, 1);
    w.add({"replyfile_success",
           "success",
           "a reply to one witness",
           {{"mailbox", hex(mailbox)}, {"envelope-length", std::to_string(envelope.size())}},
           good});
    auto bad = [&](std::string name, std::string expect, std::string comment, Bytes body) {
        w.add({std::move(name), std::move(expect), std::move(comment), {}, std::move(body)});
    };
    bad("replyfile_short_magic", "truncated", "the first five bytes of the magic",
        Bytes(good.begin(), good.begin() + 5));
    bad("replyfile_wrong_magic", "malformed", "the magic's last letter changed: TIPLNRPR",
        patched(good, 7, 'L' ^ 'R'));
    bad("replyfile_header_cut", "truncated", "ends inside the mailbox name",
        Bytes(good.begin(), good.begin() + 30));
    bad("replyfile_version_2", "unsupported_version", "version field 2", file(envelope, 2));
    Bytes longer = good;
    longer.push_back(0);
    bad("replyfile_trailing_byte", "malformed", "one byte after the envelope", longer);
    bad("replyfile_envelope_cut", "truncated", "the envelope's last byte is missing",
        Bytes(good.begin(), good.end() - 1));
}

// A key file whose body is given, encrypted exactly as FORMAT.md 7.3 says, for contents the writer
// refuses.
Bytes keyfile_with_body(std::uint8_t contents, const Bytes& body, const std::string& pass,
                        c::KdfLimits limits) {
    Bytes out;
    c::put_bytes(out, c::labels::secret_key_magic);
    c::put_u16(out, c::labels::secret_key_version);
    c::put_u8(out, contents);
    c::put_u8(out, 1);
    c::put_u32(out, limits.opslimit);
    c::put_u64(out, limits.memlimit);
    out.resize(out.size() + 16 + 24);
    randombytes_buf(out.data() + 24, 16 + 24);
    unsigned char key[32];
    if (crypto_pwhash(key, sizeof key, pass.data(), pass.size(), out.data() + 24, limits.opslimit,
                      limits.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::runtime_error("Argon2id failed");
    }
    out.resize(64 + body.size() + 16);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + 64, nullptr, body.data(), body.size(),
                                               out.data(), 64, nullptr, out.data() + 40, key);
    return out;
}

void organisation_vectors(Writer& w) {
    const std::string pass = "organisation passphrase";
    const c::KdfLimits cheap{1, 1 << 20};
    const auto org = c::SecretIdentity::generate_organisation();
    const c::OrganisationKey org_key{org.public_identity.sign};
    const std::string text = c::encode_organisation_key(org_key);
    const Bytes file =
        c::seal_secret_key_file(org, c::KeyFileContents::organisation, c::as_bytes(pass), cheap);
    w.add({"keyfile_success_organisation",
           "success",
           "an organisation key: 32 zero bytes, then the Ed25519 seed",
           {{"passphrase", pass}, {"organisation-key", text}},
           file});
    Bytes body(64, 0);
    body[5] = 1;
    crypto_sign_ed25519_sk_to_seed(body.data() + 32, org.sign_secret.data());
    w.add({"keyfile_organisation_box_not_zero",
           "malformed",
           "contents 3 (organisation) whose first 32 body bytes are not all zero; found only after "
           "decryption",
           {{"passphrase", pass}},
           keyfile_with_body(3, body, pass, cheap)});

    w.add({"orgkey_success",
           "success",
           "an organisation public key",
           {{"fingerprint", c::organisation_fingerprint(org_key)}},
           bytes_of(text)});
    auto bad = [&](std::string name, std::string expect, std::string comment, std::string t) {
        w.add({std::move(name), std::move(expect), std::move(comment), {}, bytes_of(t)});
    };
    std::string sum = text;
    sum[20] = sum[20] == 'A' ? 'B' : 'A';
    bad("orgkey_bad_checksum", "malformed", "one character of the key changed", sum);
    std::string v2 = text;
    v2[11] = '2';
    bad("orgkey_unknown_version", "unsupported_version", "prefix tipline-org2-", v2);
    bad("orgkey_responder_key", "malformed", "a responder's public key is not an organisation key",
        c::encode_public_key(c::SecretIdentity::generate().public_identity));
    bad("orgkey_short", "malformed", "one character missing", text.substr(0, text.size() - 1));
}

// A list signed over whatever bytes it is given, as FORMAT.md 18.2 says, for lists the writer
// refuses.
Bytes signed_list_bytes(Bytes body, const c::SecretIdentity& org) {
    Bytes message;
    c::put_bytes(message, c::labels::recipient_list_signature_label);
    c::put_bytes(message, body);
    unsigned char sig[64];
    crypto_sign_detached(sig, nullptr, message.data(), message.size(), org.sign_secret.data());
    body.insert(body.end(), sig, sig + sizeof sig);
    return body;
}

void list_vectors(Writer& w) {
    const auto org = c::SecretIdentity::generate_organisation();
    const auto other = c::SecretIdentity::generate_organisation();
    const c::OrganisationKey org_key{org.public_identity.sign};
    const c::OrganisationKey other_key{other.public_identity.sign};
    c::RecipientList list;
    list.organisation = org_key;
    list.serial = 7;
    list.expires_day = 20818;  // 2026-12-31
    for (int i = 0; i < 3; ++i)
        list.recipients.push_back(c::SecretIdentity::generate().public_identity);
    const Bytes good = c::sign_recipient_list(list, org);
    const std::string today = "20790";  // 2026-12-03
    std::string fingerprints;
    for (const auto& r : list.recipients)
        fingerprints += (fingerprints.empty() ? "" : ",") + c::fingerprint(r);
    auto ok = [&](std::string name, std::string comment,
                  std::vector<std::pair<std::string, std::string>> h) {
        h.emplace_back("organisation", c::organisation_fingerprint(org_key));
        h.emplace_back("serial", "7");
        h.emplace_back("expires", "2026-12-31");
        h.emplace_back("recipients", fingerprints);
        w.add({std::move(name), "success", std::move(comment), std::move(h), good});
    };
    ok("list_success", "three responders, serial 7, valid through 2026-12-31, no key pinned",
       {{"today", today}});
    ok("list_success_pinned", "the same list with its organisation key pinned",
       {{"today", today}, {"pinned", c::encode_organisation_key(org_key)}});
    ok("list_success_last_day", "read on 2026-12-31, its last valid day", {{"today", "20818"}});
    ok("list_success_same_serial", "serial 7 where 7 was the highest seen",
       {{"today", today}, {"remembered", "7"}});
    auto bad = [&](std::string name, std::string expect, std::string comment, Bytes body,
                   std::vector<std::pair<std::string, std::string>> h = {}) {
        if (h.empty() || h.front().first != "today") h.insert(h.begin(), {"today", today});
        w.add({std::move(name), std::move(expect), std::move(comment), std::move(h),
               std::move(body)});
    };
    bad("list_expired", "expired", "read on 2027-01-01, the day after its last", good,
        {{"today", "20819"}});
    w.add({"list_expired_checked_after_signer",
           "untrusted_key",
           "expired and signed by another organisation than the pinned one: the signer is checked "
           "first",
           {{"today", "20819"}, {"pinned", c::encode_organisation_key(other_key)}},
           good});
    bad("list_rolled_back", "rolled_back", "serial 7 where serial 8 was seen before", good,
        {{"remembered", "8"}});
    bad("list_wrong_signer", "untrusted_key",
        "a valid list signed by an organisation other than the pinned one", good,
        {{"pinned", c::encode_organisation_key(other_key)}});
    bad("list_tampered", "authentication_failed",
        "one byte of the second responder's X25519 key changed",
        patched(good, c::recipient_list_fixed_size + 64 + 3, 0x01));
    Bytes swapped = good;
    std::copy(other_key.key.begin(), other_key.key.end(), swapped.begin() + 10);
    bad("list_signer_swapped", "authentication_failed",
        "another organisation's key in place of the signer's", swapped);
    Bytes later = good;
    later[49] ^= 0x01;  // the last byte of the serial: 7 becomes 6
    bad("list_serial_altered", "authentication_failed", "serial changed after signing", later);
    bad("list_truncated", "truncated", "the signature's last byte is missing",
        Bytes(good.begin(), good.end() - 1));
    Bytes trailing = good;
    trailing.push_back(0);
    bad("list_trailing_byte", "malformed", "one byte after the signature", trailing);
    bad("list_short_magic", "truncated", "the first six bytes of the magic",
        Bytes(good.begin(), good.begin() + 6));
    bad("list_wrong_magic", "malformed", "the magic's sixth letter changed: TIPLNBST",
        patched(good, 5, 'L' ^ 'B'));
    bad("list_unknown_version", "unsupported_version", "version field 2", patched(good, 9, 0x03));
    Bytes unsigned_part(good.begin(), good.end() - 64);
    Bytes zero_count = unsigned_part;
    zero_count[54] = 0;
    zero_count.resize(c::recipient_list_fixed_size);
    bad("list_no_recipients", "malformed", "count 0, validly signed",
        signed_list_bytes(zero_count, org));
    Bytes seventeen = unsigned_part;
    seventeen[54] = 17;
    for (int i = 3; i < 17; ++i) c::put_bytes(seventeen, std::span(unsigned_part).subspan(55, 64));
    bad("list_seventeen_recipients", "malformed", "count 17, validly signed",
        signed_list_bytes(seventeen, org));
    Bytes twice = unsigned_part;
    std::copy(twice.begin() + 55, twice.begin() + 119, twice.begin() + 119);
    bad("list_duplicate_recipient", "malformed", "the first responder named twice, validly signed",
        signed_list_bytes(twice, org));
    Bytes serial_zero = unsigned_part;
    std::fill(serial_zero.begin() + 42, serial_zero.begin() + 50, 0);
    bad("list_serial_zero", "malformed", "serial 0, validly signed",
        signed_list_bytes(serial_zero, org));
}

// A version 2 document: the unsigned part as given, then its signature as FORMAT.md 9.5 says,
// under the label of a reply unless another is given.
Bytes with_reply_signature(Bytes document, const c::SecretIdentity& who,
                           std::string_view label = c::labels::signed_reply_label) {
    unsigned char hash[32];
    crypto_generichash(hash, sizeof hash, document.data(), document.size(), nullptr, 0);
    Bytes message;
    c::put_bytes(message, label);
    message.insert(message.end(), hash, hash + sizeof hash);
    unsigned char sig[64];
    crypto_sign_detached(sig, nullptr, message.data(), message.size(), who.sign_secret.data());
    document.insert(document.end(), sig, sig + sizeof sig);
    return document;
}

void signed_reply_vectors(Writer& w) {
    const auto responder = c::SecretIdentity::generate();
    c::TipHeader h;
    h.kind = c::TipKind::reply;
    h.created_at = 1796169600;  // 2026-12-02 00:00:00 UTC
    h.language = "zh-Hans";
    h.reply_key = c::BoxKeyPair::generate().public_key;
    h.message = "我们收到了您的消息。请保存好您的收据。\n";
    h.signer = responder.public_identity;
    const Bytes unsigned_part = document(h, {});
    const Bytes good = with_reply_signature(unsigned_part, responder);
    // The library's writer must give the same bytes as the construction from the text above.
    const auto box = c::BoxKeyPair::generate();
    c::VectorSink sealed;
    c::TipHeader plain = h;
    plain.signer.reset();
    const std::vector<c::BoxPublicKey> to = {box.public_key};
    if (c::seal_signed_reply(to, plain, {}, responder, sealed))
        throw std::runtime_error("seal failed");
    c::MemorySource in(sealed.bytes());
    c::VectorSink opened;
    const c::BoxKeyPair* keys[] = {&box};
    if (c::open_envelope(keys, in, opened) || opened.bytes() != good) {
        throw std::runtime_error("seal_signed_reply disagrees with FORMAT.md 9.5");
    }
    w.add({"tipdoc_signed_reply_success",
           "success",
           "a reply signed by its responder (document version 2)",
           {{"language", h.language},
            {"attachments", "0"},
            {"message-sha256", sha256_hex(bytes_of(h.message))},
            {"signer", c::fingerprint(responder.public_identity)}},
           good});
    auto bad = [&](std::string name, std::string expect, std::string comment, Bytes body) {
        w.add({std::move(name), std::move(expect), std::move(comment), {}, std::move(body)});
    };
    bad("tipdoc_signed_reply_bad_signature", "authentication_failed",
        "one bit of the signature changed", patched(good, good.size() - 1, 0x01));
    Bytes altered = unsigned_part;
    const std::size_t message_at =
        altered.size() - 2 - 64 - h.message.size();  // before count and signer
    altered[message_at + h.message.size() - 1] = '!';
    altered.insert(altered.end(), good.end() - 64, good.end());
    bad("tipdoc_signed_reply_altered", "authentication_failed",
        "the message's last byte changed after signing", altered);
    const auto impostor = c::SecretIdentity::generate();
    bad("tipdoc_signed_reply_other_signer", "authentication_failed",
        "signed by a key other than the signer the header names",
        with_reply_signature(unsigned_part, impostor));
    bad("tipdoc_signed_reply_no_signature", "malformed", "the 64 signature bytes are missing",
        unsigned_part);
    bad("tipdoc_signed_reply_short_signature", "malformed", "the signature's last byte is missing",
        Bytes(good.begin(), good.end() - 1));
    Bytes trailing = good;
    trailing.push_back(0);
    bad("tipdoc_signed_reply_trailing_byte", "malformed", "one byte after the signature", trailing);
    bad("tipdoc_signed_tip", "malformed", "version 2 with kind 1: only a reply is signed",
        with_reply_signature(patched(unsigned_part, c::tip_preamble_size, 0x02), responder));
    // Without a reply key: a version 1 reply's header, turned into version 2 with a signer.
    c::TipHeader loose = h;
    loose.reply_key.reset();
    loose.signer.reset();
    Bytes no_key = document(loose, {});
    no_key[9] = 2;
    c::put_bytes(no_key, responder.public_identity.box);
    c::put_bytes(no_key, responder.public_identity.sign);
    const std::uint32_t body_length =
        static_cast<std::uint32_t>(no_key.size() - c::tip_preamble_size);
    for (std::size_t i = 0; i < 4; ++i)
        no_key[10 + i] = static_cast<unsigned char>(body_length >> (24 - 8 * i));
    bad("tipdoc_signed_reply_no_reply_key", "malformed",
        "a signed reply must name the witness's reply key",
        with_reply_signature(no_key, responder));
}

// X25519 keys of small order: nothing sealed to one could be opened, so readers refuse them (6.2).
void low_order_vectors(Writer& w) {
    const auto responder = c::SecretIdentity::generate();
    // All zeros, and a point of order 8 (from the list of low-order Curve25519 points).
    const c::BoxPublicKey zero{};
    const c::BoxPublicKey order8 = {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae,
                                    0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
                                    0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd,
                                    0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00};
    for (const auto& [name, key] :
         {std::pair{"pubkey_low_order_zero", zero}, std::pair{"pubkey_low_order_point", order8}}) {
        c::PublicIdentity id = responder.public_identity;
        id.box = key;
        w.add({name,
               "malformed",
               "a valid checksum over an X25519 key of small order",
               {},
               bytes_of(c::encode_public_key(id))});
    }
    // A list that names one, validly signed: its entries are held to the same rule.
    const auto org = c::SecretIdentity::generate_organisation();
    Bytes body;
    c::put_bytes(body, c::labels::recipient_list_magic);
    c::put_u16(body, c::labels::recipient_list_version);
    c::put_bytes(body, org.public_identity.sign);
    c::put_u64(body, 1);
    c::put_u32(body, 20818);
    c::put_u8(body, 2);
    c::put_bytes(body, responder.public_identity.box);
    c::put_bytes(body, responder.public_identity.sign);
    c::put_bytes(body, order8);
    c::put_bytes(body, responder.public_identity.sign);
    w.add({"list_low_order_recipient",
           "malformed",
           "a validly signed list whose second X25519 key has small order",
           {{"today", "20790"}},
           signed_list_bytes(body, org)});
}

// An envelope built step by step from FORMAT.md 8.5 and 8.6, with the secretstream tag of each
// chunk chosen by the caller, for readers to refuse wrong tags (8.7 step 9.3).
Bytes seal_with_tags(const c::BoxPublicKey& to, const Bytes& framed_plaintext,
                     const std::vector<unsigned char>& tags) {
    unsigned char file_key[32], payload_key[32], mac_key[32];
    randombytes_buf(file_key, sizeof file_key);
    crypto_generichash(payload_key, 32,
                       reinterpret_cast<const unsigned char*>(c::labels::payload_key_label.data()),
                       c::labels::payload_key_label.size(), file_key, sizeof file_key);
    crypto_generichash(
        mac_key, 32, reinterpret_cast<const unsigned char*>(c::labels::header_mac_key_label.data()),
        c::labels::header_mac_key_label.size(), file_key, sizeof file_key);
    Bytes out;
    c::put_bytes(out, c::labels::envelope_magic);
    c::put_u16(out, c::labels::envelope_version);
    c::put_u8(out, 1);
    c::put_u64(out, framed_plaintext.size());
    crypto_secretstream_xchacha20poly1305_state st;
    unsigned char stream_header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&st, stream_header, payload_key);
    out.insert(out.end(), stream_header, stream_header + sizeof stream_header);
    unsigned char stanza[80];
    if (crypto_box_seal(stanza, file_key, sizeof file_key, to.data()) != 0)
        throw std::runtime_error("seal failed");
    out.insert(out.end(), stanza, stanza + sizeof stanza);
    unsigned char mac[32];
    crypto_generichash(mac, sizeof mac, out.data(), out.size(), mac_key, sizeof mac_key);
    out.insert(out.end(), mac, mac + sizeof mac);
    const std::size_t chunk = c::envelope_chunk_size;
    for (std::size_t j = 0, at = 0; at < framed_plaintext.size(); ++j, at += chunk) {
        const std::size_t n = std::min(chunk, framed_plaintext.size() - at);
        const std::size_t was = out.size();
        out.resize(was + n + crypto_secretstream_xchacha20poly1305_ABYTES);
        crypto_secretstream_xchacha20poly1305_push(&st, out.data() + was, nullptr,
                                                   framed_plaintext.data() + at, n, nullptr, 0,
                                                   tags.at(j));
    }
    return out;
}

// Cases an implementation written from the text alone could not settle before.
void outsider_vectors(Writer& w) {
    constexpr unsigned char message_tag = crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    constexpr unsigned char push_tag = crypto_secretstream_xchacha20poly1305_TAG_PUSH;
    constexpr unsigned char final_tag = crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    const auto reader = c::BoxKeyPair::generate();
    const auto other = c::BoxKeyPair::generate();
    const Bytes content = bytes_of("opened by whichever of its identities matches");
    w.add({"envelope_success_two_identities",
           "success",
           "the reader holds two identities; the envelope is sealed to the second",
           {identity(other),
            identity(reader),
            {"content-sha256", sha256_hex(content)},
            {"content-length", std::to_string(content.size())}},
           seal({reader.public_key}, content)});

    // Two chunks: L = 70000 gives P = 71680.
    const Bytes long_content(70000, 'x');
    const Bytes two =
        framed(long_content.size(), long_content, c::padded_length(8 + long_content.size()), 0);
    const Bytes one = framed(content.size(), content, c::padded_length(8 + content.size()), 0);
    w.add({"envelope_tag_final_first",
           "malformed",
           "two chunks; the first carries TAG_FINAL",
           {identity(reader)},
           seal_with_tags(reader.public_key, two, {final_tag, final_tag})});
    w.add({"envelope_tag_last_not_final",
           "malformed",
           "one chunk carrying TAG_MESSAGE: the stream never ends",
           {identity(reader)},
           seal_with_tags(reader.public_key, one, {message_tag})});
    w.add({"envelope_tag_push",
           "malformed",
           "two chunks; the first carries TAG_PUSH instead of TAG_MESSAGE",
           {identity(reader)},
           seal_with_tags(reader.public_key, two, {push_tag, final_tag})});

    // Receipts typed with every separator 10.2 ignores, and one digit too many.
    c::DeploymentSalt salt{};
    randombytes_buf(salt.data(), salt.size());
    const c::SecretBuffer digits = c::generate_receipt();
    const auto keys = c::derive_receipt_keys(digits.span(), salt, c::ReceiptKdf::v1);
    std::string spaced;
    const char* separators[] = {"\t", "\xE3\x80\x80", " ",
                                "-"};  // tab, ideographic space, space, hyphen
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && i % 4 == 0) spaced += separators[(i / 4) % 4];
        spaced += static_cast<char>(digits.data()[i]);
    }
    w.add({"receipt_success_tab_and_ideographic_space",
           "success",
           "groups separated by a tab, U+3000, a space and a hyphen",
           {{"salt", hex(salt)},
            {"receipt-kdf", "1"},
            {"mailbox-token", hex(keys.mailbox_token.span())},
            {"mailbox-token-hash", hex(c::hash_mailbox_token(keys.mailbox_token.span()))},
            {"reply-public-key", hex(keys.reply.public_key)},
            {"mailbox-name", hex(c::mailbox_id(keys.reply.public_key))}},
           bytes_of(spaced)});
    w.add({"receipt_too_long",
           "malformed",
           "twenty-one digits",
           {{"salt", hex(salt)}, {"receipt-kdf", "1"}},
           bytes_of(spaced + "7")});

    // A tip document that declares 257 attachments: the count is refused before any is read.
    c::TipHeader h;
    h.message = "x";
    Bytes doc = document(h, {});
    const std::size_t count_at = doc.size() - 2;  // no attachments: the count ends the header body
    doc[count_at] = 0x01;
    doc[count_at + 1] = 0x01;
    w.add({"tipdoc_too_many_attachments", "malformed", "attachment count 257", {}, doc});

    // Key file limits, each refused before any key derivation (7.4 step 7).
    const std::string pass = "limits";
    const auto id = c::SecretIdentity::generate();
    const Bytes file = c::seal_secret_key_file(id, c::KeyFileContents::decrypt_and_sign,
                                               c::as_bytes(pass), {1, 1 << 20});
    auto limit = [&](std::string name, std::string comment, std::uint32_t ops, std::uint64_t mem) {
        Bytes f = file;
        for (std::size_t i = 0; i < 4; ++i)
            f[12 + i] = static_cast<unsigned char>(ops >> (24 - 8 * i));
        for (std::size_t i = 0; i < 8; ++i)
            f[16 + i] = static_cast<unsigned char>(mem >> (56 - 8 * i));
        w.add({std::move(name), "malformed", std::move(comment), {{"passphrase", pass}}, f});
    };
    limit("keyfile_opslimit_zero", "opslimit 0", 0, 1 << 20);
    limit("keyfile_opslimit_65", "opslimit 65, one above the most", 65, 1 << 20);
    limit("keyfile_memlimit_too_small", "memlimit 4096, below 8192", 1, 4096);
    limit("keyfile_memlimit_not_kib", "memlimit 1048577, not a multiple of 1024", 1, (1 << 20) + 1);

    // A bundle that is only the first five bytes of its magic.
    w.add({"bundle_short_magic",
           "truncated",
           "only TIPLN, the first five bytes of the magic",
           {},
           bytes_of("TIPLN")});
}

// Tip documents inside envelopes: the envelope's checks and the document's run together, and the
// first failure in stream order is the one reported (FORMAT.md 9.4, last paragraph).
void tip_vectors(Writer& w) {
    const auto reader = c::BoxKeyPair::generate();
    const auto stranger = c::BoxKeyPair::generate();
    const std::vector<c::BoxPublicKey> to{reader.public_key};
    c::TipHeader h;
    h.created_at = 1796083200;
    h.language = "ko";
    h.message = std::string(70000, 'm');  // the document spans two payload chunks
    const Bytes note = bytes_of("an attachment\n");
    h.attachments = {{"note.txt", "text/plain", note.size()}};
    const Bytes doc = document(h, {note});
    const auto add = [&](std::string name, std::string expect, std::string comment, Bytes body) {
        std::vector<std::pair<std::string, std::string>> headers{identity(reader)};
        if (expect == "success") {
            headers.insert(headers.end(), {{"language", h.language},
                                           {"attachments", "1"},
                                           {"message-sha256", sha256_hex(bytes_of(h.message))}});
        }
        w.add({std::move(name), std::move(expect), std::move(comment), headers, std::move(body)});
    };
    const Bytes sealed = seal(to, doc);
    add("tip_success", "success",
        "a tip of two chunks with one attachment, opened and parsed together", sealed);
    add("tip_not_for_reader", "no_matching_key", "sealed to someone else",
        seal({stranger.public_key}, doc));

    const std::size_t first_chunk_end =
        c::EnvelopeHeader{1, c::padded_length(8 + doc.size())}.header_size() +
        c::envelope_chunk_size + c::envelope_chunk_overhead;
    const Bytes cut(sealed.begin(), sealed.begin() + static_cast<std::ptrdiff_t>(first_chunk_end));
    add("tip_envelope_cut_after_first_chunk", "truncated",
        "the document is sound as far as it goes; the envelope ends after its first chunk", cut);
    Bytes v9 = doc;
    v9[9] = 9;
    const Bytes v9_sealed = seal(to, v9);
    add("tip_document_version_before_cut", "unsupported_version",
        "document version 9, found at its 14th byte in the first chunk, before the envelope ends "
        "early",
        Bytes(v9_sealed.begin(), v9_sealed.begin() + static_cast<std::ptrdiff_t>(first_chunk_end)));
    Bytes short_doc = doc;
    short_doc.pop_back();
    add("tip_document_short", "malformed",
        "the envelope is whole; the document inside lacks its last byte", seal(to, short_doc));
    Bytes flipped = sealed;
    flipped[first_chunk_end + 40] ^= 1;
    add("tip_second_chunk_flipped", "authentication_failed", "one bit of the second chunk changed",
        flipped);
    const auto responder = c::SecretIdentity::generate();
    c::TipHeader reply;
    reply.kind = c::TipKind::reply;
    reply.reply_key = reader.public_key;
    reply.message = "a reply";
    reply.signer = responder.public_identity;
    Bytes signed_doc = with_reply_signature(document(reply, {}), responder);
    signed_doc[signed_doc.size() - 1] ^= 1;
    add("tip_signed_reply_bad_signature", "authentication_failed",
        "a signed reply whose signature fails, found once the envelope has opened",
        seal(to, signed_doc));
}

Bytes seal_store(const c::BoxKeyPair& owner, c::StoreFileKind kind, const c::StoreFileId& id,
                 const Bytes& content) {
    const c::SecretBuffer key = c::derive_store_key(owner);
    c::VectorSink sink;
    c::StoreFileWriter writer(key.span(), kind, id, content.size(), sink);
    writer.write(content);
    if (writer.finish()) throw std::runtime_error("store file sealing failed");
    return sink.bytes();
}

void storefile_vectors(Writer& w) {
    const auto owner = c::BoxKeyPair::generate();
    const auto colleague = c::BoxKeyPair::generate();
    const c::StoreFileId database{};
    c::StoreFileId attachment{};
    randombytes_buf(attachment.data(), attachment.size());
    c::StoreFileId other_attachment{};
    randombytes_buf(other_attachment.data(), other_attachment.size());
    const auto headers = [&](const c::BoxKeyPair& id, c::StoreFileKind kind,
                             const c::StoreFileId& file) {
        return std::vector<std::pair<std::string, std::string>>{
            identity(id),
            {"store-kind", std::to_string(static_cast<int>(kind))},
            {"store-id", hex(file)}};
    };
    auto ok = [&](std::string name, std::string comment, c::StoreFileKind kind,
                  const c::StoreFileId& file, const Bytes& content) {
        auto h = headers(owner, kind, file);
        h.emplace_back("content-length", std::to_string(content.size()));
        h.emplace_back("content-sha256", sha256_hex(content));
        w.add({std::move(name), "success", std::move(comment), h,
               seal_store(owner, kind, file, content)});
    };
    auto bad = [&](std::string name, std::string expect, std::string comment,
                   const c::BoxKeyPair& id, c::StoreFileKind kind, const c::StoreFileId& file,
                   const Bytes& body) {
        w.add({std::move(name), std::move(expect), std::move(comment), headers(id, kind, file),
               body});
    };
    const auto db = c::StoreFileKind::database;
    const auto att = c::StoreFileKind::attachment;
    const Bytes text = bytes_of("Stands in for the database image that sqlite3_serialize gives.\n");
    Bytes big(100000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<unsigned char>(i * 13 + 5);

    ok("storefile_success_database", "the database: kind 1, id all zero", db, database, text);
    ok("storefile_success_empty", "an empty attachment still makes one 4096-byte chunk", att,
       attachment, {});
    ok("storefile_success_attachment_two_chunks",
       "an attachment of 100000 bytes, padded to 100352, in two chunks", att, attachment, big);

    const Bytes good = seal_store(owner, att, attachment, big);
    bad("storefile_wrong_key", "authentication_failed",
        "sealed under the owner's store key, opened with a colleague's", colleague, att, attachment,
        good);
    bad("storefile_wrong_id", "authentication_failed",
        "another attachment's file: the reader wants a different id", owner, att, other_attachment,
        good);
    bad("storefile_wrong_kind", "authentication_failed",
        "the database file where an attachment is wanted", owner, att, database,
        seal_store(owner, db, database, text));
    bad("storefile_kind_unknown", "malformed", "kind byte 3", owner, att, attachment,
        patched(good, 10, 0x2 ^ 0x3));
    bad("storefile_bad_magic", "malformed", "magic TIPLNSTP instead of TIPLNSTO", owner, att,
        attachment, patched(good, 7, 'O' ^ 'P'));
    bad("storefile_truncated_magic", "truncated", "only the first five bytes", owner, att,
        attachment, Bytes(good.begin(), good.begin() + 5));
    bad("storefile_unknown_version", "unsupported_version", "version field 2", owner, att,
        attachment, patched(good, 9, 1 ^ 2));
    bad("storefile_length_not_padme", "malformed", "padded length 100353 is not a Padmé value",
        owner, att, attachment, patched(good, 34, 0x01));
    bad("storefile_truncated_header", "truncated", "ends inside the stream header", owner, att,
        attachment, Bytes(good.begin(), good.begin() + 40));
    bad("storefile_payload_flipped", "authentication_failed",
        "one bit of the first chunk's ciphertext flipped", owner, att, attachment,
        patched(good, c::store_file_header_size + 100, 0x01));
    bad("storefile_truncated_payload", "truncated", "the last byte of the final chunk is missing",
        owner, att, attachment, Bytes(good.begin(), good.end() - 1));
    Bytes trailing = good;
    trailing.push_back(0);
    bad("storefile_trailing_byte", "malformed", "one zero byte after the final chunk", owner, att,
        attachment, trailing);
}

}  // namespace

// The team's state (FORMAT.md 9.6 and 21): a signed document of kind 4 whose message is the
// changes' JSON, the file that carries it, and the JSON's rules.
void team_state_vectors(Writer& w) {
    const auto responder = c::SecretIdentity::generate();
    const std::string writer = c::fingerprint(responder.public_identity);
    const std::string thread(64, 'a');
    const std::string changes =
        R"({"version":1,"changes":[{"thread":")" + thread +
        R"(","name":"status","value":"needs_reply","clock":7,"day":20789},{"thread":")" + thread +
        R"(","name":"note:0123456789abcdef","value":"1\n국경 마을에서 다시 연락 옴","clock":8,"day":20789}]})";
    c::TipHeader h;
    h.kind = c::TipKind::team_state;
    h.created_at = std::int64_t{20789} * 86400;  // the day only: 2026-12-02
    h.language = "und";
    h.message = changes;
    h.signer = responder.public_identity;
    const Bytes unsigned_part = document(h, {});
    const Bytes good =
        with_reply_signature(unsigned_part, responder, c::labels::signed_team_state_label);
    // The library's sealer must write exactly these bytes inside the envelope.
    const auto box = c::BoxKeyPair::generate();
    const c::BoxPublicKey to[] = {box.public_key};
    c::TipHeader plain = h;
    plain.signer.reset();
    c::VectorSink sealed;
    if (c::seal_team_state(to, plain, responder, sealed)) throw std::runtime_error("seal failed");
    {
        c::MemorySource in(sealed.bytes());
        c::VectorSink opened;
        const c::BoxKeyPair* keys[] = {&box};
        if (c::open_envelope(keys, in, opened) || opened.bytes() != good)
            throw std::runtime_error("seal_team_state disagrees with FORMAT.md 9.6");
    }
    w.add({"tipdoc_team_state_success",
           "success",
           "the team's state, kind 4, signed by its responder (document version 2)",
           {{"language", "und"},
            {"attachments", "0"},
            {"kind", "4"},
            {"message-sha256", sha256_hex(bytes_of(changes))},
            {"signer", writer}},
           good});
    auto bad = [&](std::string name, std::string expect, std::string comment, Bytes body) {
        w.add({std::move(name), std::move(expect), std::move(comment), {}, std::move(body)});
    };
    bad("tipdoc_team_state_reply_label", "authentication_failed",
        "kind 4 signed under the reply's label: a signature of one kind is never taken for another",
        with_reply_signature(unsigned_part, responder));
    // A version 1 follow-up with its kind changed to 4: the team's state is always signed.
    c::TipHeader loose;
    loose.kind = c::TipKind::follow_up;
    loose.created_at = h.created_at;
    loose.message = changes;
    bad("tipdoc_team_state_unsigned", "malformed", "kind 4 in version 1, without a signer",
        patched(document(loose, {}), c::tip_preamble_size, 0x2 ^ 0x4));
    // A signed reply's header with its kind changed to 4, signed as the team's state.
    c::TipHeader keyed = h;
    keyed.kind = c::TipKind::reply;
    keyed.reply_key = c::BoxKeyPair::generate().public_key;
    bad("tipdoc_team_state_with_reply_key", "malformed",
        "kind 4 that names a witness's reply key, validly signed",
        with_reply_signature(patched(document(keyed, {}), c::tip_preamble_size, 3 ^ 4), responder,
                             c::labels::signed_team_state_label));

    // The team-state file.
    const Bytes envelope = seal({box.public_key}, good);
    auto file = [&](const Bytes& env, std::uint16_t version) {
        Bytes out;
        c::put_bytes(out, c::labels::team_file_magic);
        c::put_u16(out, version);
        c::put_bytes(out, env);
        return out;
    };
    const Bytes team_file = file(envelope, 1);
    w.add({"teamfile_success",
           "success",
           "the team's state, sealed to one responder",
           {{"envelope-length", std::to_string(envelope.size())}},
           team_file});
    bad("teamfile_short_magic", "truncated", "the first five bytes of the magic",
        Bytes(team_file.begin(), team_file.begin() + 5));
    bad("teamfile_wrong_magic", "malformed", "the magic's last letter changed: TIPLNTEB",
        patched(team_file, 7, 'A' ^ 'B'));
    bad("teamfile_version_2", "unsupported_version", "version field 2", file(envelope, 2));
    Bytes longer = team_file;
    longer.push_back(0);
    bad("teamfile_trailing_byte", "malformed", "one byte after the envelope", longer);
    bad("teamfile_envelope_cut", "truncated", "the envelope's last byte is missing",
        Bytes(team_file.begin(), team_file.end() - 1));

    // The changes' JSON, read for the writer named; "acceptable" counts the changes a store takes.
    auto json = [&](std::string name, std::string expect, std::string comment, std::string text,
                    std::string count = "", std::string acceptable = "") {
        Vector v{std::move(name),
                 std::move(expect),
                 std::move(comment),
                 {{"writer", writer}},
                 bytes_of(text)};
        if (!count.empty()) {
            v.headers.emplace_back("changes", count);
            v.headers.emplace_back("acceptable", acceptable);
        }
        w.add(v);
    };
    json("teamjson_success", "success", "a status and a note in Korean", changes, "2", "2");
    const std::string seen_other =
        R"({"version":1,"changes":[{"thread":")" + thread + R"(","name":"seen:)" + writer +
        R"(:00112233445566778899aabbccddeeff","value":"1","clock":3,"day":20789},{"thread":")" +
        thread +
        R"(","name":"seen:11111 11111 11111 11111 11111:00112233445566778899aabbccddeeff",)"
        R"("value":"1","clock":4,"day":20789},{"thread":")" +
        thread + R"(","name":"status","value":"lost","clock":5,"day":20789}]})";
    json("teamjson_success_some_refused", "success",
         "three changes: the writer's own seen mark is taken; a seen mark for another responder "
         "and an unknown status are refused",
         seen_other, "3", "1");
    json("teamjson_unknown_member", "malformed", "a change with a sixth member, \"writer\"",
         R"({"version":1,"changes":[{"thread":")" + thread +
             R"(","name":"status","value":"read","clock":1,"day":1,"writer":"x"}]})");
    json("teamjson_version_2", "malformed", "version 2 is not this format",
         R"({"version":2,"changes":[]})");
    json("teamjson_clock_too_large", "malformed", "clock 2^53, one more than the largest allowed",
         R"({"version":1,"changes":[{"thread":")" + thread +
             R"(","name":"status","value":"read","clock":9007199254740992,"day":1}]})");
    json("teamjson_clock_not_integer", "malformed", "clock 7.0: a number with a fraction",
         R"({"version":1,"changes":[{"thread":")" + thread +
             R"(","name":"status","value":"read","clock":7.0,"day":1}]})");
    json("teamjson_not_json", "malformed", "a JSON object cut short", R"({"version":1,"chan)");
}

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: tipline-gen-vectors OUTDIR\n";
        return 2;
    }
    randombytes_set_implementation(&deterministic);
    if (sodium_init() < 0) return 1;
    try {
        Writer w(argv[1]);
        envelope_vectors(w);
        tipdoc_vectors(w);
        keyfile_vectors(w);
        pubkey_vectors(w);
        receipt_vectors(w);
        bundle_vectors(w);
        request_vectors(w);
        replyfile_vectors(w);
        pow_vectors(w);
        organisation_vectors(w);
        list_vectors(w);
        signed_reply_vectors(w);
        low_order_vectors(w);
        outsider_vectors(w);
        tip_vectors(w);
        // Last, so that adding them changed none of the vectors before.
        receipt_vectors(w, c::ReceiptKdf::v2, "receipt_v2_");
        storefile_vectors(w);
        team_state_vectors(w);
        std::cout << "wrote " << w.count() << " vectors to " << argv[1] << "\n";
    } catch (const std::exception& e) {
        std::cerr << "tipline-gen-vectors: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
