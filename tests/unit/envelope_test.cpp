// Envelope v1: round trips, recipients, tamper detection and strict parsing.
#include "tipline/crypto/envelope.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "support.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/padding.hpp"

using namespace tipline::crypto;
using tipline::test::Bytes;
using tipline::test::pattern_bytes;
using tipline::test::seal_bytes;

namespace {

std::error_code open_bytes(const BoxKeyPair& id, const Bytes& envelope, Bytes& content) {
    const BoxKeyPair* ids[] = {&id};
    MemorySource source(envelope);
    VectorSink sink;
    const auto ec = open_envelope(ids, source, sink);
    content = std::move(sink.bytes());
    return ec;
}

// Delivers at most three bytes per call, to prove parsing does not depend on read sizes.
class TrickleSource final : public ByteSource {
  public:
    explicit TrickleSource(const Bytes& bytes) : bytes_(bytes) {}
    std::size_t read(std::span<unsigned char> out) override {
        const std::size_t n = std::min({out.size(), bytes_.size() - at_, std::size_t{3}});
        std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(at_), n, out.begin());
        at_ += n;
        return n;
    }

  private:
    const Bytes& bytes_;
    std::size_t at_ = 0;
};

}  // namespace

TEST_CASE("envelopes round-trip across sizes and recipient counts", "[envelope]") {
    const std::size_t chunk = envelope_chunk_size, prefix = envelope_length_prefix_size;
    const auto size = GENERATE_COPY(
        values<std::size_t>({0, 1, chunk - prefix - 1, chunk - prefix, chunk - prefix + 1,
                             chunk - 1, chunk, chunk + 1, 5 * 1024 * 1024 + 3}));
    const auto recipients = GENERATE(1, 2, 16);
    std::vector<BoxKeyPair> keys;
    std::vector<BoxPublicKey> pubs;
    for (int i = 0; i < recipients; ++i) {
        keys.push_back(BoxKeyPair::generate());
        pubs.push_back(keys.back().public_key);
    }
    const Bytes content = pattern_bytes(size, static_cast<std::uint32_t>(size));
    const Bytes envelope = seal_bytes(pubs, content);
    INFO("size " << size << ", recipients " << recipients);
    CHECK(envelope.size() == envelope_size(size, pubs.size()));

    Bytes opened;
    REQUIRE_FALSE(open_bytes(keys.back(), envelope, opened));
    CHECK(opened == content);
}

TEST_CASE("each of sixteen recipients can open and an outsider cannot", "[envelope]") {
    std::vector<BoxKeyPair> keys;
    std::vector<BoxPublicKey> pubs;
    for (int i = 0; i < 16; ++i) {
        keys.push_back(BoxKeyPair::generate());
        pubs.push_back(keys.back().public_key);
    }
    const Bytes content = pattern_bytes(1000);
    const Bytes envelope = seal_bytes(pubs, content);
    for (const auto& k : keys) {
        Bytes opened;
        REQUIRE_FALSE(open_bytes(k, envelope, opened));
        CHECK(opened == content);
    }
    Bytes opened;
    CHECK(open_bytes(BoxKeyPair::generate(), envelope, opened) == Error::no_matching_key);
    CHECK(opened.empty());
}

TEST_CASE("a key pair among several identities is found", "[envelope]") {
    const auto a = BoxKeyPair::generate(), b = BoxKeyPair::generate();
    const BoxPublicKey to[] = {b.public_key};
    const Bytes envelope = seal_bytes(to, pattern_bytes(10));
    const BoxKeyPair* ids[] = {&a, &b};
    MemorySource source(envelope);
    VectorSink sink;
    CHECK_FALSE(open_envelope(ids, source, sink));
    CHECK(sink.bytes() == pattern_bytes(10));
}

TEST_CASE("changing any single byte of a small envelope makes open fail and releases nothing",
          "[envelope]") {
    const auto key = BoxKeyPair::generate();
    const BoxPublicKey to[] = {key.public_key};
    const Bytes envelope = seal_bytes(to, pattern_bytes(100));
    for (std::size_t i = 0; i < envelope.size(); ++i) {
        for (const unsigned char mask : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
            Bytes bad = envelope;
            bad[i] ^= mask;
            Bytes opened;
            INFO("byte " << i << " mask " << int(mask));
            REQUIRE(open_bytes(key, bad, opened));
            REQUIRE(opened.empty());
        }
    }
}

TEST_CASE("truncation anywhere is reported as truncated", "[envelope]") {
    const auto key = BoxKeyPair::generate();
    const BoxPublicKey to[] = {key.public_key};
    const Bytes envelope = seal_bytes(to, pattern_bytes(70000));
    for (std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{8}, std::size_t{10},
                          std::size_t{19}, std::size_t{60}, std::size_t{154}, std::size_t{155},
                          std::size_t{65536 + 155 + 17}, envelope.size() - 1}) {
        Bytes opened;
        INFO("length " << n);
        CHECK(open_bytes(key,
                         Bytes(envelope.begin(), envelope.begin() + static_cast<std::ptrdiff_t>(n)),
                         opened) == Error::truncated);
    }
    Bytes longer = envelope;
    longer.push_back(0);
    Bytes opened;
    CHECK(open_bytes(key, longer, opened) == Error::malformed);
}

TEST_CASE("opening works when the source delivers a few bytes at a time", "[envelope]") {
    const auto key = BoxKeyPair::generate();
    const BoxPublicKey to[] = {key.public_key};
    const Bytes content = pattern_bytes(70000);
    const Bytes envelope = seal_bytes(to, content);
    const BoxKeyPair* ids[] = {&key};
    TrickleSource source(envelope);
    VectorSink sink;
    REQUIRE_FALSE(open_envelope(ids, source, sink));
    CHECK(sink.bytes() == content);
}

TEST_CASE("the keyless header reader validates structure and predicts the size", "[envelope]") {
    const auto key = BoxKeyPair::generate();
    const BoxPublicKey to[] = {key.public_key, BoxKeyPair::generate().public_key};
    const Bytes envelope = seal_bytes(to, pattern_bytes(200000));
    MemorySource source(envelope);
    EnvelopeHeader header;
    REQUIRE_FALSE(read_envelope_header(source, header));
    CHECK(header.recipient_count == 2);
    CHECK(header.padded_length == padded_length(200008));
    CHECK(header.total_size() == envelope.size());
    CHECK(header.chunk_count() == 4);

    Bytes bad = envelope;
    bad[10] = 17;
    MemorySource bad_source(bad);
    CHECK(read_envelope_header(bad_source, header) == Error::malformed);
}

TEST_CASE("sealing refuses impossible requests", "[envelope]") {
    const Bytes content = pattern_bytes(10);
    VectorSink sink;
    MemorySource source(content);
    CHECK(seal_envelope({}, content.size(), source, sink) == Error::invalid_argument);
    std::vector<BoxPublicKey> seventeen(17, BoxKeyPair::generate().public_key);
    CHECK(seal_envelope(seventeen, content.size(), source, sink) == Error::invalid_argument);
    const BoxPublicKey one[] = {BoxKeyPair::generate().public_key};
    MemorySource short_source(content);
    CHECK(seal_envelope(one, content.size() + 1, short_source, sink) == Error::truncated);
}

TEST_CASE("two seals of the same content differ", "[envelope]") {
    const BoxPublicKey to[] = {BoxKeyPair::generate().public_key};
    CHECK(seal_bytes(to, pattern_bytes(50)) != seal_bytes(to, pattern_bytes(50)));
}

TEST_CASE("an identity without a secret key is skipped, not dereferenced", "[envelope]") {
    const auto key = BoxKeyPair::generate();
    const BoxPublicKey to[] = {key.public_key};
    const Bytes envelope = seal_bytes(to, pattern_bytes(10));
    BoxKeyPair public_only;
    public_only.public_key = key.public_key;
    Bytes opened;
    CHECK(open_bytes(public_only, envelope, opened) == Error::no_matching_key);
}
