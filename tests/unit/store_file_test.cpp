// Case store files: round trips in any write pieces, the key's derivation, and every way a changed,
// cut, swapped or foreign file is refused.
#include "tipline/crypto/store_file.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "support.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"

using namespace tipline::crypto;
using tipline::test::Bytes;
using tipline::test::pattern_bytes;

namespace {

StoreFileId id_of(unsigned char b) {
    StoreFileId id{};
    id.fill(b);
    return id;
}

Bytes seal_store(std::span<const unsigned char> key, StoreFileKind kind, const StoreFileId& id,
                 const Bytes& content, std::size_t piece = 1 << 20) {
    VectorSink out;
    StoreFileWriter writer(key, kind, id, content.size(), out);
    for (std::size_t at = 0; at < content.size(); at += piece) {
        writer.write(std::span(content).subspan(at, std::min(piece, content.size() - at)));
    }
    REQUIRE_FALSE(writer.finish());
    return std::move(out.bytes());
}

std::error_code open_store(std::span<const unsigned char> key, StoreFileKind kind,
                           const StoreFileId& id, const Bytes& file, Bytes& content) {
    MemorySource in(file);
    VectorSink sink;
    const std::error_code ec = open_store_file(key, kind, id, in, sink);
    content = std::move(sink.bytes());
    return ec;
}

}  // namespace

TEST_CASE("store files round-trip across sizes and write pieces", "[store_file]") {
    const BoxKeyPair identity = BoxKeyPair::generate();
    const SecretBuffer key = derive_store_key(identity);
    const std::size_t chunk = envelope_chunk_size;
    const auto size = GENERATE_COPY(
        values<std::size_t>({0, 1, 4088, 4089, chunk - 8, chunk - 7, chunk, 3 * chunk + 5}));
    const auto piece = GENERATE(values<std::size_t>({1, 7, 65536, 1 << 20}));
    if (piece == 1 && size > chunk) return;  // slow and says nothing new
    const Bytes content = pattern_bytes(size, static_cast<std::uint32_t>(size + 1));
    const Bytes file = seal_store(key.span(), StoreFileKind::attachment, id_of(7), content, piece);
    INFO("size " << size << ", piece " << piece);
    CHECK(file.size() == store_file_size(size));
    Bytes opened;
    REQUIRE_FALSE(open_store(key.span(), StoreFileKind::attachment, id_of(7), file, opened));
    CHECK(opened == content);
}

TEST_CASE("the store key comes from the secret key alone, and differs per responder",
          "[store_file]") {
    const BoxKeyPair a = BoxKeyPair::generate();
    const BoxKeyPair a_again = BoxKeyPair::from_secret(
        std::span<const unsigned char, box_secret_key_bytes>(a.secret_key.data(), 32));
    const BoxKeyPair b = BoxKeyPair::generate();
    const SecretBuffer ka = derive_store_key(a), ka2 = derive_store_key(a_again),
                       kb = derive_store_key(b);
    CHECK(Bytes(ka.span().begin(), ka.span().end()) == Bytes(ka2.span().begin(), ka2.span().end()));
    CHECK(Bytes(ka.span().begin(), ka.span().end()) != Bytes(kb.span().begin(), kb.span().end()));
    // Never the secret key itself.
    CHECK(Bytes(ka.span().begin(), ka.span().end()) !=
          Bytes(a.secret_key.span().begin(), a.secret_key.span().end()));

    const Bytes content = pattern_bytes(5000, 1);
    const Bytes file = seal_store(ka.span(), StoreFileKind::database, id_of(0), content);
    Bytes opened;
    CHECK(open_store(kb.span(), StoreFileKind::database, id_of(0), file, opened) ==
          Error::authentication_failed);
    CHECK(opened.empty());

    BoxKeyPair sign_only;  // no secret half, as from a sign-only key file
    CHECK_THROWS_AS(derive_store_key(sign_only), std::invalid_argument);
}

TEST_CASE("a store file opens only as the kind and id it was written for", "[store_file]") {
    const SecretBuffer key = derive_store_key(BoxKeyPair::generate());
    const Bytes content = pattern_bytes(100, 2);
    const Bytes file = seal_store(key.span(), StoreFileKind::attachment, id_of(1), content);
    Bytes opened;
    CHECK(open_store(key.span(), StoreFileKind::attachment, id_of(2), file, opened) ==
          Error::authentication_failed);
    CHECK(open_store(key.span(), StoreFileKind::database, id_of(1), file, opened) ==
          Error::authentication_failed);

    // The header rewritten to claim the other id still fails: the id is in the file key.
    Bytes relabelled = file;
    std::fill_n(relabelled.begin() + 11, 16, 2);
    CHECK(open_store(key.span(), StoreFileKind::attachment, id_of(2), relabelled, opened) ==
          Error::authentication_failed);
}

TEST_CASE("changed, cut and extended store files are refused with their error class",
          "[store_file]") {
    const SecretBuffer key = derive_store_key(BoxKeyPair::generate());
    const Bytes content = pattern_bytes(2 * envelope_chunk_size + 100, 3);
    const Bytes file = seal_store(key.span(), StoreFileKind::database, id_of(0), content);
    const auto open_as = [&](const Bytes& f) {
        Bytes ignored;
        return open_store(key.span(), StoreFileKind::database, id_of(0), f, ignored);
    };
    REQUIRE_FALSE(open_as(file));

    Bytes bad = file;
    bad[0] ^= 1;
    CHECK(open_as(bad) == Error::malformed);
    bad = file;
    bad[9] = 2;
    CHECK(open_as(bad) == Error::unsupported_version);
    bad = file;
    bad[10] = 9;
    CHECK(open_as(bad) == Error::malformed);
    bad = file;
    bad[34] ^= 1;  // the padded length, no longer a Padmé length
    CHECK(open_as(bad) == Error::malformed);
    bad = file;
    bad[store_file_header_size + 100] ^= 1;
    CHECK(open_as(bad) == Error::authentication_failed);
    bad = file;
    bad.back() ^= 1;
    CHECK(open_as(bad) == Error::authentication_failed);

    CHECK(open_as(Bytes(file.begin(), file.begin() + 5)) == Error::truncated);
    CHECK(open_as(Bytes(file.begin(), file.begin() + 40)) == Error::truncated);
    CHECK(open_as(Bytes(file.begin(), file.end() - 1)) == Error::truncated);
    // Cut at a chunk boundary: what remains authenticates, but the last chunk is not final.
    CHECK(open_as(Bytes(file.begin(), file.begin() + store_file_header_size + envelope_chunk_size +
                                          envelope_chunk_overhead)) == Error::truncated);
    bad = file;
    bad.push_back(0);
    CHECK(open_as(bad) == Error::malformed);
}

TEST_CASE("a store file writer refuses more or fewer bytes than it was told", "[store_file]") {
    const SecretBuffer key = derive_store_key(BoxKeyPair::generate());
    VectorSink out;
    StoreFileWriter writer(key.span(), StoreFileKind::attachment, id_of(3), 10, out);
    const Bytes five = pattern_bytes(5, 4), six = pattern_bytes(6, 5);
    writer.write(five);
    CHECK(writer.finish() == Error::truncated);
    try {
        writer.write(six);
        FAIL("eleven bytes were taken for ten");
    } catch (const std::system_error& e) {
        CHECK(e.code() == Error::invalid_argument);
    }
}
