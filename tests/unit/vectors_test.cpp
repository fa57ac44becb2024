// Walks tests/vectors/: every file states what must happen, and any unknown expectation fails.
#include <sodium.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>

#include "support.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/proof_of_work.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/crypto/request_auth.hpp"
#include "tipline/crypto/store_file.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/responder/team_state.hpp"
#include "vectors/hex.hpp"

using namespace tipline::crypto;
using tipline::test::Bytes;
namespace fs = std::filesystem;

namespace {

struct Vector {
    std::string name;
    std::multimap<std::string, std::string> headers;
    Bytes body;
    std::string get(const std::string& key) const {
        auto it = headers.find(key);
        if (it == headers.end()) throw std::runtime_error(name + ": missing header " + key);
        return it->second;
    }
};

Vector load(const fs::path& path) {
    const Bytes raw = tipline::test::read_file(path);
    Vector v{path.filename().string(), {}, {}};
    std::size_t at = 0;
    for (;;) {
        const auto nl = std::find(raw.begin() + static_cast<std::ptrdiff_t>(at), raw.end(), '\n');
        if (nl == raw.end()) throw std::runtime_error(v.name + ": no blank line before the body");
        const std::string line(raw.begin() + static_cast<std::ptrdiff_t>(at), nl);
        at = static_cast<std::size_t>(nl - raw.begin()) + 1;
        if (line.empty()) break;
        const auto colon = line.find(": ");
        if (colon == std::string::npos) throw std::runtime_error(v.name + ": bad header line");
        v.headers.emplace(line.substr(0, colon), line.substr(colon + 2));
    }
    v.body.assign(raw.begin() + static_cast<std::ptrdiff_t>(at), raw.end());
    return v;
}

Bytes unhex(const std::string& hex) {
    Bytes out(hex.size() / 2);
    std::size_t len = 0;
    if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, nullptr) !=
            0 ||
        len != out.size()) {
        throw std::runtime_error("bad hex");
    }
    return out;
}

using tipline::test::hex;
const auto sha256 = tipline::test::sha256_hex;

std::string outcome(std::error_code ec) {
    if (!ec) return "success";
    static const std::map<Error, std::string> names = {
        {Error::malformed, "malformed"},
        {Error::unsupported_version, "unsupported_version"},
        {Error::no_matching_key, "no_matching_key"},
        {Error::authentication_failed, "authentication_failed"},
        {Error::truncated, "truncated"},
        {Error::invalid_argument, "invalid_argument"},
        {Error::expired, "expired"},
        {Error::rolled_back, "rolled_back"},
        {Error::untrusted_key, "untrusted_key"}};
    return names.at(static_cast<Error>(ec.value()));
}

void check_envelope(const Vector& v, const std::string& expect) {
    std::vector<BoxKeyPair> keys;
    for (auto [it, end] = v.headers.equal_range("identity"); it != end; ++it) {
        const Bytes sk = unhex(it->second);
        keys.push_back(BoxKeyPair::from_secret(std::span<const unsigned char, 32>(sk.data(), 32)));
    }
    std::vector<const BoxKeyPair*> ids;
    for (const auto& k : keys) ids.push_back(&k);
    MemorySource in(v.body);
    VectorSink out;
    CHECK(outcome(open_envelope(ids, in, out)) == expect);
    if (expect == "success") {
        CHECK(std::to_string(out.bytes().size()) == v.get("content-length"));
        CHECK(sha256(out.bytes()) == v.get("content-sha256"));
    }
}

void check_storefile(const Vector& v, const std::string& expect) {
    const Bytes sk = unhex(v.get("identity"));
    const BoxKeyPair identity =
        BoxKeyPair::from_secret(std::span<const unsigned char, 32>(sk.data(), 32));
    const SecretBuffer key = derive_store_key(identity);
    StoreFileId id{};
    const Bytes id_bytes = unhex(v.get("store-id"));
    REQUIRE(id_bytes.size() == id.size());
    std::copy(id_bytes.begin(), id_bytes.end(), id.begin());
    const auto kind = static_cast<StoreFileKind>(std::stoi(v.get("store-kind")));
    MemorySource in(v.body);
    VectorSink out;
    CHECK(outcome(open_store_file(key.span(), kind, id, in, out)) == expect);
    if (expect == "success") {
        CHECK(std::to_string(out.bytes().size()) == v.get("content-length"));
        CHECK(sha256(out.bytes()) == v.get("content-sha256"));
    }
}

void check_tipdoc(const Vector& v, const std::string& expect) {
    TipHeader h;
    std::vector<Bytes> parts;
    CHECK(outcome(parse_tip_document(v.body, h, parts)) == expect);
    if (expect == "success") {
        CHECK(h.language == v.get("language"));
        CHECK(std::to_string(h.attachments.size()) == v.get("attachments"));
        CHECK(sha256(std::span(reinterpret_cast<const unsigned char*>(h.message.data()),
                               h.message.size())) == v.get("message-sha256"));
        if (v.headers.count("kind") == 1)
            CHECK(std::to_string(static_cast<int>(h.kind)) == v.get("kind"));
        // A signed document names its signer; an unsigned document has none.
        CHECK(h.signer.has_value() == (v.headers.count("signer") == 1));
        if (h.signer) CHECK(fingerprint(*h.signer) == v.get("signer"));
    }
}

// An envelope whose content is a tip document, opened and parsed as one stream (FORMAT.md 9.4).
void check_tip(const Vector& v, const std::string& expect) {
    std::vector<BoxKeyPair> keys;
    for (auto [it, end] = v.headers.equal_range("identity"); it != end; ++it) {
        const Bytes sk = unhex(it->second);
        keys.push_back(BoxKeyPair::from_secret(std::span<const unsigned char, 32>(sk.data(), 32)));
    }
    std::vector<const BoxKeyPair*> ids;
    for (const auto& k : keys) ids.push_back(&k);
    struct Kept final : TipReceiver {
        TipHeader header;
        void on_header(const TipHeader& h) override { header = h; }
        void on_attachment_data(std::size_t, std::span<const unsigned char>) override {}
    } kept;
    MemorySource in(v.body);
    CHECK(outcome(open_tip(ids, in, kept)) == expect);
    if (expect != "success") return;
    CHECK(kept.header.language == v.get("language"));
    CHECK(std::to_string(kept.header.attachments.size()) == v.get("attachments"));
    CHECK(sha256(std::span(reinterpret_cast<const unsigned char*>(kept.header.message.data()),
                           kept.header.message.size())) == v.get("message-sha256"));
}

void check_keyfile(const Vector& v, const std::string& expect) {
    const std::string pass = v.get("passphrase");
    SecretIdentity id;
    CHECK(outcome(open_secret_key_file(
              v.body, std::span(reinterpret_cast<const unsigned char*>(pass.data()), pass.size()),
              id)) == expect);
    if (expect != "success") return;
    if (v.headers.count("organisation-key") == 1) {
        CHECK(id.contents == KeyFileContents::organisation);
        CHECK(encode_organisation_key({id.public_identity.sign}) == v.get("organisation-key"));
    } else {
        CHECK(encode_public_key(id.public_identity) == v.get("public-key"));
    }
}

void check_orgkey(const Vector& v, const std::string& expect) {
    OrganisationKey key;
    CHECK(outcome(decode_organisation_key(std::string(v.body.begin(), v.body.end()), key)) ==
          expect);
    if (expect == "success") CHECK(organisation_fingerprint(key) == v.get("fingerprint"));
}

void check_list(const Vector& v, const std::string& expect) {
    RecipientList list;
    std::error_code ec = decode_recipient_list(v.body, list);
    if (!ec) {
        ListExpectations expectations;
        expectations.today = std::stoll(v.get("today"));
        if (v.headers.count("pinned") == 1) {
            OrganisationKey pinned;
            REQUIRE_FALSE(decode_organisation_key(v.get("pinned"), pinned));
            expectations.organisation = pinned;
        }
        if (v.headers.count("remembered") == 1)
            expectations.highest_serial_seen = std::stoull(v.get("remembered"));
        ec = check_recipient_list(list, expectations);
    }
    CHECK(outcome(ec) == expect);
    if (expect != "success") return;
    CHECK(organisation_fingerprint(list.organisation) == v.get("organisation"));
    CHECK(std::to_string(list.serial) == v.get("serial"));
    CHECK(format_day(list.expires_day) == v.get("expires"));
    std::string fingerprints;
    for (const auto& r : list.recipients)
        fingerprints += (fingerprints.empty() ? "" : ",") + fingerprint(r);
    CHECK(fingerprints == v.get("recipients"));
}

void check_pubkey(const Vector& v, const std::string& expect) {
    PublicIdentity id;
    CHECK(outcome(decode_public_key(std::string(v.body.begin(), v.body.end()), id)) == expect);
    if (expect == "success") CHECK(fingerprint(id) == v.get("fingerprint"));
}

void check_bundle(const Vector& v, const std::string& expect) {
    MemorySource in(v.body);
    std::vector<BundleEntry> entries;
    CHECK(outcome(read_bundle_manifest(in, v.body.size(), entries)) == expect);
    if (expect != "success") return;
    CHECK(std::to_string(entries.size()) == v.get("entries"));
    std::string ids;
    for (const auto& e : entries) ids += (ids.empty() ? "" : ",") + hex(e.id);
    CHECK(ids == v.get("ids"));
    for (const auto& e : entries) {  // each envelope's bytes are where the manifest says
        LimitedSource one(in, e.size);
        EnvelopeHeader header;
        CHECK_FALSE(read_envelope_header(one, header));
        CHECK(header.total_size() == e.size);
        CHECK(one.skip_rest());
    }
}

void check_receipt(const Vector& v, const std::string& expect) {
    SecretBuffer digits;
    CHECK(outcome(parse_receipt(std::string(v.body.begin(), v.body.end()), digits)) == expect);
    if (expect != "success") return;
    const Bytes salt_bytes = unhex(v.get("salt"));
    DeploymentSalt salt{};
    std::copy(salt_bytes.begin(), salt_bytes.end(), salt.begin());
    const std::string version = v.get("receipt-kdf");
    REQUIRE((version == "1" || version == "2"));
    const auto keys =
        derive_receipt_keys(digits.span(), salt, version == "1" ? ReceiptKdf::v1 : ReceiptKdf::v2);
    CHECK(hex(keys.mailbox_token.span()) == v.get("mailbox-token"));
    CHECK(hex(hash_mailbox_token(keys.mailbox_token.span())) == v.get("mailbox-token-hash"));
    CHECK(hex(keys.reply.public_key) == v.get("reply-public-key"));
    CHECK(hex(mailbox_id(keys.reply.public_key)) == v.get("mailbox-name"));
}

void check_request(const Vector& v, const std::string& expect) {
    PublicIdentity signer;
    REQUIRE_FALSE(decode_public_key(v.get("signer"), signer));
    RequestToSign r;
    const std::string method = v.get("method"), target = v.get("target");
    r.method = method;
    r.target = target;
    r.body_hash = hash_request_body(v.body);
    r.timestamp = std::stoull(v.get("timestamp"));
    const Bytes nonce = unhex(v.get("nonce")), sig = unhex(v.get("signature"));
    REQUIRE(nonce.size() == r.nonce.size());
    REQUIRE(sig.size() == RequestSignature{}.size());
    std::copy(nonce.begin(), nonce.end(), r.nonce.begin());
    RequestSignature signature{};
    std::copy(sig.begin(), sig.end(), signature.begin());
    CHECK((verify_request(r, signer.sign, signature) ? "success" : "authentication_failed") ==
          expect);
    if (expect == "success") CHECK(hex(r.body_hash) == v.get("body-hash"));
}

void check_replyfile(const Vector& v, const std::string& expect) {
    MailboxId mailbox{};
    std::span<const unsigned char> envelope;
    CHECK(outcome(tipline::client::decode_reply_file(v.body, mailbox, envelope)) == expect);
    if (expect != "success") return;
    CHECK(hex(mailbox) == v.get("mailbox"));
    CHECK(std::to_string(envelope.size()) == v.get("envelope-length"));
}

void check_teamfile(const Vector& v, const std::string& expect) {
    std::span<const unsigned char> envelope;
    CHECK(outcome(tipline::client::decode_team_file(v.body, envelope)) == expect);
    if (expect != "success") return;
    CHECK(std::to_string(envelope.size()) == v.get("envelope-length"));
}

// The team state's JSON (FORMAT.md 21.1), and how many of its changes a store takes (21.2).
void check_teamjson(const Vector& v, const std::string& expect) {
    const std::string text(v.body.begin(), v.body.end());
    const auto changes = tipline::responder::decode_team_changes(text, v.get("writer"));
    CHECK((changes ? "success" : "malformed") == expect);
    if (!changes) return;
    CHECK(std::to_string(changes->size()) == v.get("changes"));
    const auto acceptable =
        std::count_if(changes->begin(), changes->end(), tipline::responder::acceptable_change);
    CHECK(std::to_string(acceptable) == v.get("acceptable"));
}

void check_pow(const Vector& v, const std::string& expect) {
    PowProof proof;
    std::error_code ec = parse_pow_proof(std::string(v.body.begin(), v.body.end()), proof);
    if (!ec) ec = check_pow_work(proof);
    CHECK(outcome(ec) == expect);
    if (expect == "success")
        CHECK(std::to_string(pow_zero_bits(proof.challenge, proof.nonce)) == v.get("zero-bits"));
}

}  // namespace

TEST_CASE("every test vector gives its expected result", "[vectors]") {
    static const std::set<std::string> known = {
        "success",   "malformed", "unsupported_version", "no_matching_key", "authentication_failed",
        "truncated", "expired",   "rolled_back",         "untrusted_key"};
    std::size_t walked = 0;
    std::set<std::string> areas;
    for (const auto& entry : fs::directory_iterator(TIPLINE_VECTORS_DIR)) {
        const std::string name = entry.path().filename().string();
        if (name.find('.') != std::string::npos) continue;  // generator source and notes
        const Vector v = load(entry.path());
        const std::string expect = v.get("expect");
        v.get("comment");
        INFO(name << ": " << v.get("comment"));
        REQUIRE(known.count(expect) == 1);
        const std::string area = name.substr(0, name.find('_'));
        areas.insert(area);
        if (area == "envelope")
            check_envelope(v, expect);
        else if (area == "tipdoc")
            check_tipdoc(v, expect);
        else if (area == "keyfile")
            check_keyfile(v, expect);
        else if (area == "pubkey")
            check_pubkey(v, expect);
        else if (area == "receipt")
            check_receipt(v, expect);
        else if (area == "bundle")
            check_bundle(v, expect);
        else if (area == "request")
            check_request(v, expect);
        else if (area == "replyfile")
            check_replyfile(v, expect);
        else if (area == "pow")
            check_pow(v, expect);
        else if (area == "orgkey")
            check_orgkey(v, expect);
        else if (area == "list")
            check_list(v, expect);
        else if (area == "tip")
            check_tip(v, expect);
        else if (area == "storefile")
            check_storefile(v, expect);
        else if (area == "teamfile")
            check_teamfile(v, expect);
        else if (area == "teamjson")
            check_teamjson(v, expect);
        else
            FAIL("unknown vector area " << area);
        ++walked;
    }
    CHECK(areas == std::set<std::string>{"envelope", "tipdoc", "keyfile", "pubkey", "receipt",
                                         "bundle", "request", "replyfile", "pow", "orgkey", "list",
                                         "tip", "storefile", "teamfile", "teamjson"});
    CHECK(walked >= 50);
}
