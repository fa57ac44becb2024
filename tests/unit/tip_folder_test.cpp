// Opening a tip into a folder: all-or-nothing, safe names, private modes.
#include "tipline/client/tip_folder.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/tooling/diagnostics.hpp"

using namespace tipline;
using test::Bytes;
namespace fs = std::filesystem;

namespace {

Bytes seal_tip_bytes(const crypto::BoxPublicKey& to, const crypto::TipHeader& header,
                     const std::vector<Bytes>& parts) {
    std::vector<crypto::MemorySource> sources;
    for (const Bytes& p : parts) sources.emplace_back(p);
    std::vector<crypto::ByteSource*> ptrs;
    for (auto& s : sources) ptrs.push_back(&s);
    crypto::VectorSink sink;
    const crypto::BoxPublicKey recipients[] = {to};
    if (crypto::seal_tip(recipients, header, ptrs, sink)) throw std::runtime_error("seal failed");
    return std::move(sink.bytes());
}

std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("an opened tip lands under safe names with private modes", "[tip_folder]") {
    const auto key = crypto::BoxKeyPair::generate();
    crypto::TipHeader h;
    h.message = "<b>not html</b>\n";
    const std::vector<std::string> names = {"../../etc/passwd",      "/abs", "CON", "a\nb",
                                            std::string(10240, 'x'), "dup",  "dup", "message.txt"};
    std::vector<Bytes> parts;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string name = names[i].size() > 255 ? names[i].substr(0, 255) : names[i];
        h.attachments.push_back({name, "application/octet-stream", i + 1});
        parts.push_back(test::pattern_bytes(i + 1, static_cast<std::uint32_t>(i)));
    }
    const Bytes envelope = seal_tip_bytes(key.public_key, h, parts);

    test::TempDir tmp;
    const fs::path out = tmp / "tip";
    const crypto::BoxKeyPair* ids[] = {&key};
    crypto::MemorySource in(envelope);
    client::OpenedTip tip;
    REQUIRE_FALSE(client::open_tip_to_folder(ids, in, out, tip));

    CHECK(test::read_file(out / "message.txt") == Bytes(h.message.begin(), h.message.end()));
    REQUIRE(tip.attachment_files.size() == names.size());
    CHECK(tip.attachment_files[0] == "_.._etc_passwd");
    CHECK(tip.attachment_files[2] == "_CON");
    CHECK(tip.attachment_files[5] == "dup");
    CHECK(tip.attachment_files[6] == "dup (2)");
    CHECK(tip.attachment_files[7] == "message (2).txt");
    for (std::size_t i = 0; i < names.size(); ++i) {
        const fs::path p = out / tip.attachment_files[i];
        CHECK(p.parent_path() == out);
        CHECK(test::read_file(p) == parts[i]);
        struct stat st {};
        REQUIRE(::stat(p.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
    }
    CHECK(entries(out) ==
          names.size() + 2);  // plus message.txt and info.txt, and no staging folder
    CHECK_FALSE(fs::exists(tmp / "etc"));
    const Bytes info = test::read_file(out / "info.txt");
    CHECK(std::string(info.begin(), info.end()).find("original name \"a\\u{A}b\"") !=
          std::string::npos);
}

TEST_CASE("a damaged envelope leaves the output folder empty", "[tip_folder]") {
    const auto key = crypto::BoxKeyPair::generate();
    crypto::TipHeader h;
    h.message = "secret";
    h.attachments = {{"big.bin", "application/octet-stream", 200000}};
    Bytes envelope = seal_tip_bytes(key.public_key, h, {test::pattern_bytes(200000)});
    REQUIRE(envelope.size() > 200000);
    // The first chunks authenticate; the end is missing.
    envelope.erase(envelope.end() - 1000, envelope.end());

    test::TempDir tmp;
    const crypto::BoxKeyPair* ids[] = {&key};
    crypto::MemorySource in(envelope);
    client::OpenedTip tip;
    CHECK(client::open_tip_to_folder(ids, in, tmp.path(), tip) == crypto::Error::truncated);
    CHECK(entries(tmp.path()) == 0);

    // A folder the call created is removed again.
    crypto::MemorySource again(envelope);
    CHECK(client::open_tip_to_folder(ids, again, tmp / "new", tip) == crypto::Error::truncated);
    CHECK_FALSE(fs::exists(tmp / "new"));
}

TEST_CASE("a folder that is not empty is refused", "[tip_folder]") {
    const auto key = crypto::BoxKeyPair::generate();
    const Bytes envelope = seal_tip_bytes(key.public_key, crypto::TipHeader{}, {});
    test::TempDir tmp;
    test::write_file(tmp / "existing", std::string("x"));
    const crypto::BoxKeyPair* ids[] = {&key};
    crypto::MemorySource in(envelope);
    client::OpenedTip tip;
    CHECK_THROWS_AS(client::open_tip_to_folder(ids, in, tmp.path(), tip), tooling::ToolError);
}
