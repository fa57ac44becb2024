// Writes a seed corpus for each fuzz target into OUT/TARGET/: the committed test vectors, and valid
// requests, envelopes, bundles, key files and form bodies made with the fixed responder.
// Usage: tipline-fuzz-corpus OUT
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fixture.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/store_file.hpp"
#include "tipline/crypto/tip_document.hpp"

namespace {

using namespace tipline;
namespace fs = std::filesystem;
using Bytes = std::vector<unsigned char>;

Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }

Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

class Corpus {
  public:
    Corpus(const fs::path& root, std::string_view target) : dir_(root / target) {
        fs::create_directories(dir_);
    }
    void add(std::string_view name, const Bytes& bytes) {
        std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
        if (!out) throw std::runtime_error("cannot write " + (dir_ / name).string());
    }
    void add(std::string_view name, std::string_view text) { add(name, bytes_of(text)); }

    // The body of every vector tests/vectors/PREFIX*: what follows its first blank line.
    void add_vectors(std::string_view prefix) {
        for (const auto& entry : fs::directory_iterator(TIPLINE_VECTORS_DIR)) {
            const std::string name = entry.path().filename().string();
            if (!name.starts_with(prefix)) continue;
            std::ifstream in(entry.path(), std::ios::binary);
            const Bytes all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            const std::string_view blank = "\n\n";
            const auto at = std::search(all.begin(), all.end(), blank.begin(), blank.end());
            if (at != all.end()) add("vector_" + name, Bytes(at + 2, all.end()));
        }
    }

  private:
    fs::path dir_;
};

// Builds input for a target that reads it with FuzzedDataProvider: numbers are taken from the end,
// strings and bytes from the front.
class ProviderScript {
  public:
    void number(std::uint64_t value, std::uint64_t min, std::uint64_t max) {
        const std::uint64_t range = max - min;
        std::size_t count = 0;
        while (count < 8 && (range >> (8 * count)) > 0) ++count;
        for (std::size_t i = count; i-- > 0;)
            back_.push_back(static_cast<unsigned char>((value - min) >> (8 * i)));
    }
    void flag(bool value) { number(value ? 1 : 0, 0, 255); }
    void text(
        std::string_view s) {  // ConsumeRandomLengthString: a backslash and another byte end it
        for (const char c : s) {
            front_.push_back(static_cast<unsigned char>(c));
            if (c == '\\') front_.push_back('\\');
        }
        front_.push_back('\\');
        front_.push_back('.');
    }
    void raw(const Bytes& b) { front_.insert(front_.end(), b.begin(), b.end()); }
    Bytes bytes() const { return front_ + Bytes(back_.rbegin(), back_.rend()); }

  private:
    Bytes front_, back_;
};

Bytes envelope_of_size(std::size_t n) {
    Bytes content(n);
    for (std::size_t i = 0; i < n; ++i) content[i] = static_cast<unsigned char>(i * 7);
    return fuzz::seal_to_responder(content);
}

Bytes bundle_of(const std::vector<Bytes>& envelopes) {
    std::vector<crypto::BundleEntry> entries;
    for (std::size_t i = 0; i < envelopes.size(); ++i) {
        crypto::BundleEntry e;
        e.id.fill(static_cast<unsigned char>(0x10 + i));
        e.day = static_cast<std::uint32_t>(fuzz::fixed_day);
        e.size = envelopes[i].size();
        entries.push_back(e);
    }
    crypto::VectorSink out;
    crypto::write_bundle_manifest(out, entries);
    Bytes all = std::move(out.bytes());
    for (const Bytes& e : envelopes) all = all + e;
    return all;
}

Bytes document(const crypto::TipHeader& header, const std::vector<Bytes>& attachments) {
    Bytes out;
    if (crypto::encode_tip_header(header, out)) throw std::logic_error("bad header");
    for (const Bytes& a : attachments) out = out + a;
    return out;
}

void store_files(const fs::path& root) {
    Corpus c(root, "store_file");
    c.add_vectors("storefile_");
    const crypto::SecretBuffer key = crypto::derive_store_key(fuzz::responder().box);
    for (const std::size_t n : {0u, 66u, 5000u, 70000u}) {
        crypto::StoreFileId id{};
        id.fill(static_cast<unsigned char>(n));
        const auto kind =
            n == 66 ? crypto::StoreFileKind::database : crypto::StoreFileKind::attachment;
        if (kind == crypto::StoreFileKind::database) id.fill(0);
        Bytes content(n);
        for (std::size_t i = 0; i < n; ++i) content[i] = static_cast<unsigned char>(i * 7);
        crypto::VectorSink sink;
        crypto::StoreFileWriter writer(key.span(), kind, id, content.size(), sink);
        writer.write(content);
        if (writer.finish()) throw std::logic_error("store file sealing failed");
        c.add("sealed_" + std::to_string(n), sink.bytes());
    }
}

void envelopes(const fs::path& root) {
    Corpus c(root, "envelope");
    c.add_vectors("envelope_");
    c.add_vectors("replyfile_");
    for (const std::size_t n : {0u, 66u, 5000u, 70000u})
        c.add("sealed_" + std::to_string(n), envelope_of_size(n));
    const crypto::BoxPublicKey three[] = {crypto::BoxKeyPair::generate().public_key,
                                          fuzz::responder().public_identity.box,
                                          crypto::BoxKeyPair::generate().public_key};
    const Bytes content = bytes_of("second of three recipients");
    crypto::MemorySource source(content);
    crypto::VectorSink sink;
    if (crypto::seal_envelope(three, content.size(), source, sink))
        throw std::logic_error("sealing failed");
    c.add("sealed_second_of_three", sink.bytes());
    c.add("tip", fuzz::sealed_tip(crypto::TipKind::tip, "a tip"));
}

void tip_documents(const fs::path& root) {
    Corpus c(root, "tip_document");
    c.add_vectors("tipdoc_");
    crypto::TipHeader h;
    h.created_at = fuzz::fixed_now;
    h.message = "hello";
    c.add("minimal", document(h, {}));
    h.kind = crypto::TipKind::follow_up;
    h.language = "ko";
    h.reply_key = fuzz::responder().public_identity.box;
    h.attachments = {{"photo.jpg", "image/jpeg", 3},
                     {"empty.bin", "application/octet-stream", 0},
                     {"notes.txt", "text/plain", 5}};
    c.add("three_attachments", document(h, {bytes_of("abc"), {}, bytes_of("notes")}));
}

void keys(const fs::path& root) {
    Corpus c(root, "keys");
    c.add_vectors("pubkey_");
    c.add_vectors("keyfile_");
    c.add_vectors("orgkey_");
    c.add_vectors("list_");
    c.add("responder_public_key", fuzz::responder_key_text());
    const auto passphrase = crypto::as_bytes(fuzz::key_file_passphrase);
    c.add("key_file",
          crypto::seal_secret_key_file(fuzz::responder(), crypto::KeyFileContents::decrypt_and_sign,
                                       passphrase, fuzz::key_file_kdf));
    c.add("key_file_sign_only",
          crypto::seal_secret_key_file(fuzz::responder(), crypto::KeyFileContents::sign_only,
                                       passphrase, fuzz::key_file_kdf));
}

void proofs(const fs::path& root) {
    Corpus c(root, "pow");
    c.add_vectors("pow_");
}

// Small whole images: a 24x8 grey baseline JPEG with JFIF, a 1x1 PNG, a 1x1 lossless WebP, and the
// JPEG with an Exif block and a comment to remove.
void images(const fs::path& root) {
    Corpus c(root, "images");
    const auto segment = [](unsigned char marker, Bytes payload) {
        Bytes b = {0xFF, marker, static_cast<unsigned char>((payload.size() + 2) >> 8),
                   static_cast<unsigned char>(payload.size() + 2)};
        return b + payload;
    };
    Bytes dqt = {0x00};
    dqt.resize(65, 1);
    Bytes dht_dc = {0x00, 1, 1};
    dht_dc.resize(17, 0);
    dht_dc.insert(dht_dc.end(), {0x08, 0x04});
    Bytes dht_ac = {0x10, 1};
    dht_ac.resize(17, 0);
    dht_ac.push_back(0x00);
    const Bytes coding = segment(0xDB, dqt) + segment(0xC0, {8, 0, 8, 0, 24, 1, 1, 0x11, 0}) +
                         segment(0xC4, dht_dc) + segment(0xC4, dht_ac) + segment(0xDD, {0, 2}) +
                         segment(0xDA, {1, 1, 0x00, 0, 63, 0}) +
                         Bytes{0xBC, 0xFF, 0x00, 0x7F, 0xFF, 0xD0, 0x81, 0xFF, 0xD9};
    const Bytes jfif = segment(0xE0, {'J', 'F', 'I', 'F', 0, 1, 2, 0, 0, 1, 0, 1, 0, 0});
    c.add("jpeg", Bytes{0xFF, 0xD8} + jfif + coding);
    const Bytes exif = segment(0xE1, bytes_of(std::string_view("Exif\0\0II*\0\x08\0\0\0\0\0", 16)));
    c.add("jpeg-exif-comment",
          Bytes{0xFF, 0xD8} + jfif + exif + segment(0xFE, bytes_of("taken at home")) + coding);
    c.add("png",
          Bytes{0x89, 'P',  'N',  'G',  '\r', '\n', 0x1A, '\n', 0,    0,    0,    13,   'I',  'H',
                'D',  'R',  0,    0,    0,    1,    0,    0,    0,    1,    8,    0,    0,    0,
                0,    0x3A, 0x7E, 0x9B, 0x55, 0,    0,    0,    10,   'I',  'D',  'A',  'T',  0x78,
                0x9C, 0x63, 0x60, 0,    0,    0,    2,    0,    1,    0xE5, 0x27, 0xDE, 0xFC, 0,
                0,    0,    0,    'I',  'E',  'N',  'D',  0xAE, 0x42, 0x60, 0x82});
    c.add("webp", Bytes{'R',  'I',  'F',  'F',  0x1A, 0,    0,    0,    'W',  'E', 'B', 'P',
                        'V',  'P',  '8',  'L',  0x0D, 0,    0,    0,    0x2F, 0,   0,   0,
                        0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xFE, 0x07, 0});
}

void bundles(const fs::path& root) {
    Corpus c(root, "bundle");
    c.add_vectors("bundle_");
    c.add("empty", bundle_of({}));
    c.add("tip_and_reply", bundle_of({fuzz::sealed_tip(crypto::TipKind::tip, "tip"),
                                      fuzz::sealed_tip(crypto::TipKind::reply, "reply")}));
    c.add("unreadable",
          bundle_of({envelope_of_size(10), fuzz::sealed_tip(crypto::TipKind::reply, "reply")}));
}

// A form body as a browser sends it; files are (field, filename, type, content).
std::string form_body(std::string_view boundary,
                      const std::vector<std::pair<std::string, std::string>>& fields,
                      std::string_view filename = {}, std::string_view file = {}) {
    std::string out;
    for (const auto& [name, value] : fields) {
        out += "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"" + name +
               "\"\r\n\r\n" + value + "\r\n";
    }
    if (!filename.empty()) {
        out += "--" + std::string(boundary) +
               "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" +
               std::string(filename) + "\"\r\nContent-Type: text/plain\r\n\r\n" +
               std::string(file) + "\r\n";
    }
    return out + "--" + std::string(boundary) + "--\r\n";
}

void multipart(const fs::path& root) {
    Corpus c(root, "multipart");
    auto seed = [&](std::string_view name, std::string_view boundary, std::string_view body,
                    std::vector<std::uint16_t> splits) {
        ProviderScript s;
        s.flag(false);
        s.text(boundary);
        s.number(splits.size(), 0, 8);
        for (const auto at : splits) s.number(at, 0, 0xffff);
        s.raw(bytes_of(body));
        c.add(name, s.bytes());
    };
    const std::string b = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    seed("message", b, form_body(b, {{"message", "what I saw"}, {"language", "en"}}), {});
    seed("file", b,
         form_body(b, {{"message", "see the file"}}, "notes.txt",
                   "line one\r\n--not the boundary\r\n"),
         {5, 40, 41, 42, 100});
    seed("preamble", "x",
         "preamble\r\n--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\nafter",
         {1});
    seed("quoted_name", "q",
         "--q\r\nContent-Disposition: form-data; name=\"a%22b%0D%0Ac\"; "
         "filename=\"\"\r\nContent-Type: image/png\r\n\r\n"
         "\r\n--q--",
         {3, 4});
    ProviderScript raw;
    raw.flag(true);
    raw.text("multipart/form-data; charset=utf-8; boundary=\"quoted boundary\"");
    raw.number(0, 0, 8);
    raw.raw(bytes_of(form_body("quoted boundary", {{"message", "m"}})));
    c.add("raw_type", raw.bytes());
}

std::string request(std::string_view method, std::string_view target,
                    const std::vector<std::string>& headers, std::string_view body = {},
                    bool length = true) {
    std::string out =
        std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: example.onion\r\n";
    for (const auto& h : headers) out += h + "\r\n";
    if (length && (!body.empty() || method == "POST" || method == "PUT")) {
        out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return out + "\r\n" + std::string(body);
}

std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

void http(const fs::path& root) {
    Corpus c(root, "http");
    const char source = 0, responder_signed = 3, responder_unsigned = 1;
    auto seed = [&](std::string_view name, char flags, const std::string& wire) {
        c.add(name, std::string(1, flags) + wire);
    };
    const std::string env = text_of(envelope_of_size(100));
    const std::string mailbox = "Tipline-Mailbox: " + std::string(fuzz::mailbox_name_hex);
    const std::string token = "Tipline-Mailbox-Token: " + std::string(fuzz::mailbox_token_hex);
    seed("keys", source, request("GET", "/api/v1/keys", {}) + request("HEAD", "/api/v1/keys", {}));
    seed("tip", source,
         request("POST", "/api/v1/tips", {"Content-Type: application/octet-stream"}, env));
    seed("tip_with_mailbox", source,
         request("POST", "/api/v1/tips",
                 {"Tipline-Mailbox: " + std::string(64, 'e'),
                  "Tipline-Mailbox-Token-Hash: " + std::string(64, 'f')},
                 env));
    std::string chunked = "POST /api/v1/tips HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", env.size());
    chunked += size_line + env + "\r\n0\r\n\r\n";
    seed("tip_chunked", source, chunked);
    seed("upload_begin", source,
         request("POST", "/api/v1/uploads", {"Upload-Length: " + std::to_string(env.size())}));
    const std::string key(32, 'a');
    seed("upload_chunk", source,
         request("PUT", "/api/v1/uploads/" + key, {"Upload-Offset: 0"}, env.substr(0, 1000)) +
             request("HEAD", "/api/v1/uploads/" + key, {}) +
             request("POST", "/api/v1/uploads/" + key + "/finish", {}));
    seed("mailbox", source, request("GET", "/api/v1/mailbox", {mailbox, token}));
    seed("mailbox_message", source,
         request("POST", "/api/v1/mailbox/messages", {mailbox, token}, env));
    seed("pages", source,
         request("GET", "/", {}) + request("GET", "/ko/", {"Accept-Language: ko"}) +
             request("GET", "/static/style.css", {}) + request("GET", "/en/submit", {}));
    const std::string b = "fuzzboundary";
    const std::string form =
        form_body(b, {{"message", "what I saw"}, {"language", "en"}}, "a.txt", "file bytes");
    for (const int piece : {0, 4, 8}) {
        seed("web_submit_" + std::to_string(piece), static_cast<char>(source | piece),
             request("POST", "/en/submit", {"Content-Type: multipart/form-data; boundary=" + b},
                     form));
    }
    seed("web_check", source,
         request("POST", "/en/check", {"Content-Type: multipart/form-data; boundary=" + b},
                 form_body(b, {{"receipt", "1234 5678"}})));
    seed("bad_header", source,
         "GET /api/v1/keys HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n");
    seed("items", responder_signed,
         request("GET", "/api/v1/responder/items", {}) +
             request("GET", "/api/v1/responder/items?after=1", {}));
    seed("items_unsigned", responder_unsigned, request("GET", "/api/v1/responder/items", {}));
    seed("bundle", responder_signed,
         request("POST", "/api/v1/responder/bundle", {}, R"({"refs":[1,2,3,4]})"));
    seed("ack", responder_signed,
         request("POST", "/api/v1/responder/ack", {}, R"({"refs":[1],"delete":true})"));
    seed("envelope_range", responder_signed,
         request("POST", "/api/v1/responder/envelope", {},
                 R"({"ref":4,"offset":262000,"length":5000})"));
    seed("reply", responder_signed, request("POST", "/api/v1/responder/replies", {mailbox}, env));
}

// The uploads target's sequences, in the order its Session consumes them.
void uploads(const fs::path& root) {
    Corpus c(root, "uploads");
    const std::uint64_t chunk_max = 70000;
    const std::size_t length = envelope_of_size(70000).size();
    auto begin = [](ProviderScript& s) {
        s.number(0, 0, 5);
        s.number(0, 0, 2);
        s.flag(false);
    };
    auto chunk = [&](ProviderScript& s, std::size_t uploads, std::uint64_t n, bool from_envelope) {
        s.number(1, 0, 5);
        if (uploads > 1) s.number(0, 0, uploads - 1);
        s.number(0, 0, 2);
        s.number(n, 0, chunk_max);
        s.flag(from_envelope);
        if (!from_envelope) s.raw(Bytes(n, 0x5a));
    };
    auto status = [&](ProviderScript& s, bool head) {
        s.number(2, 0, 5);
        s.flag(head);
    };
    auto finish = [&](ProviderScript& s) { s.number(3, 0, 5); };

    ProviderScript whole;
    begin(whole);
    for (std::size_t sent = 0; sent < length; sent += chunk_max) chunk(whole, 1, chunk_max, true);
    status(whole, false);
    finish(whole);
    finish(whole);
    c.add("whole_upload", whole.bytes());

    ProviderScript wrong;
    begin(wrong);
    chunk(wrong, 1, 1000, true);
    wrong.number(1, 0, 5);
    wrong.number(1, 0, 2);
    wrong.number(5, 0, UINT64_MAX);
    wrong.number(10, 0, chunk_max);
    wrong.flag(true);
    status(wrong, true);
    finish(wrong);
    c.add("wrong_offset", wrong.bytes());

    ProviderScript garbage;
    garbage.number(0, 0, 5);
    garbage.number(2, 0, 2);
    garbage.text("4160");
    garbage.flag(false);
    chunk(garbage, 1, 4160, false);
    finish(garbage);
    c.add("not_an_envelope", garbage.bytes());

    ProviderScript two;
    begin(two);
    two.number(0, 0, 5);
    two.number(0, 0, 2);
    two.flag(true);
    two.text(std::string(64, 'c'));
    two.text(std::string(64, 'd'));
    chunk(two, 2, 500, true);
    status(two, false);
    finish(two);
    c.add("two_uploads", two.bytes());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: tipline-fuzz-corpus OUT\n");
        return 2;
    }
    try {
        const fs::path root = argv[1];
        envelopes(root);
        store_files(root);
        tip_documents(root);
        keys(root);
        bundles(root);
        multipart(root);
        http(root);
        uploads(root);
        proofs(root);
        images(root);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tipline-fuzz-corpus: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
