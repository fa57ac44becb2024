// Tip document: encoding limits, streaming parsing and seal_tip/open_tip.
#include "tipline/crypto/tip_document.hpp"

#include <catch2/catch.hpp>

#include "support.hpp"
#include "tipline/crypto/errors.hpp"

using namespace tipline::crypto;
using tipline::test::Bytes;
using tipline::test::pattern_bytes;

namespace {

TipHeader sample_header(const std::vector<Bytes>& parts) {
    TipHeader h;
    h.kind = TipKind::tip;
    h.created_at = 1796083200;
    h.language = "zh-Hans";
    h.reply_key = BoxKeyPair::generate().public_key;
    h.message = "在边境附近看到的情况。\n";
    for (std::size_t i = 0; i < parts.size(); ++i) {
        h.attachments.push_back(
            {"file-" + std::to_string(i) + ".bin", "application/octet-stream", parts[i].size()});
    }
    return h;
}

struct Collected final : TipReceiver {
    TipHeader header;
    std::vector<Bytes> parts;
    void on_header(const TipHeader& h) override {
        header = h;
        parts.assign(h.attachments.size(), {});
    }
    void on_attachment_data(std::size_t i, std::span<const unsigned char> b) override {
        parts.at(i).insert(parts.at(i).end(), b.begin(), b.end());
    }
};

}  // namespace

TEST_CASE("a tip with attachments seals and opens intact", "[tip_document]") {
    const std::vector<Bytes> parts = {pattern_bytes(0), pattern_bytes(70000, 2),
                                      pattern_bytes(5, 3)};
    const TipHeader header = sample_header(parts);
    const auto key = BoxKeyPair::generate();
    const BoxPublicKey to[] = {key.public_key};

    std::vector<MemorySource> sources;
    for (const Bytes& p : parts) sources.emplace_back(p);
    std::vector<ByteSource*> ptrs;
    for (auto& s : sources) ptrs.push_back(&s);
    VectorSink sealed;
    REQUIRE_FALSE(seal_tip(to, header, ptrs, sealed));

    const BoxKeyPair* ids[] = {&key};
    MemorySource in(sealed.bytes());
    Collected got;
    REQUIRE_FALSE(open_tip(ids, in, got));
    CHECK(got.header == header);
    CHECK(got.parts == parts);
}

TEST_CASE("seal_tip reports an attachment shorter than declared", "[tip_document]") {
    const std::vector<Bytes> parts = {pattern_bytes(100)};
    TipHeader header = sample_header(parts);
    header.attachments[0].size = 101;
    MemorySource source(parts[0]);
    ByteSource* ptrs[] = {&source};
    const BoxPublicKey to[] = {BoxKeyPair::generate().public_key};
    VectorSink sink;
    CHECK(seal_tip(to, header, ptrs, sink) == Error::truncated);
}

TEST_CASE("the parser gives the same result for any split of its input", "[tip_document]") {
    const std::vector<Bytes> parts = {pattern_bytes(300), pattern_bytes(0), pattern_bytes(7)};
    const TipHeader header = sample_header(parts);
    Bytes doc;
    REQUIRE_FALSE(encode_tip_header(header, doc));
    for (const Bytes& p : parts) doc.insert(doc.end(), p.begin(), p.end());

    for (const std::size_t step : {1UL, 2UL, 13UL, 64UL, 4096UL}) {
        Collected got;
        TipDocumentParser parser(got);
        for (std::size_t at = 0; at < doc.size(); at += step) {
            parser.write(std::span(doc).subspan(at, std::min(step, doc.size() - at)));
        }
        INFO("step " << step);
        REQUIRE_FALSE(parser.finish());
        CHECK(got.header == header);
        CHECK(got.parts == parts);
    }
}

TEST_CASE("header validation enforces the format's limits", "[tip_document]") {
    TipHeader h;
    CHECK_FALSE(validate_tip_header(h));
    h.language = "";
    CHECK(validate_tip_header(h) == Error::invalid_argument);
    h.language = "en_US";
    CHECK(validate_tip_header(h) == Error::invalid_argument);
    h.language = std::string(36, 'a');
    CHECK(validate_tip_header(h) == Error::invalid_argument);
    h.language = "ko";
    h.message = std::string("\xC0\xAF");  // overlong '/'
    CHECK(validate_tip_header(h) == Error::invalid_argument);
    h.message = std::string(tip_max_message_size + 1, 'a');
    CHECK(validate_tip_header(h) == Error::invalid_argument);
    h.message = "ok";
    h.attachments = {{std::string(256, 'n'), "text/plain", 1}};
    CHECK(validate_tip_header(h) == Error::invalid_argument);
    h.attachments = {{"n", "text plain", 1}};
    CHECK(validate_tip_header(h) == Error::invalid_argument);
    h.attachments = {{"n", "text/plain", 1}};
    CHECK_FALSE(validate_tip_header(h));
    h.attachments.assign(tip_max_attachments + 1, {"n", "text/plain", 1});
    CHECK(validate_tip_header(h) == Error::invalid_argument);
}

TEST_CASE("a document that stops early or runs long is malformed", "[tip_document]") {
    const std::vector<Bytes> parts = {pattern_bytes(10)};
    const TipHeader header = sample_header(parts);
    Bytes doc;
    REQUIRE_FALSE(encode_tip_header(header, doc));
    doc.insert(doc.end(), parts[0].begin(), parts[0].end());
    TipHeader h;
    std::vector<Bytes> got;
    for (std::size_t n = 0; n < doc.size(); ++n) {
        INFO("length " << n);
        CHECK(parse_tip_document(std::span(doc).first(n), h, got) == Error::malformed);
    }
    Bytes longer = doc;
    longer.push_back(0);
    CHECK(parse_tip_document(longer, h, got) == Error::malformed);
    CHECK_FALSE(parse_tip_document(doc, h, got));
}
