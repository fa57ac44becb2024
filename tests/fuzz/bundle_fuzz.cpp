// Export bundles: the manifest reader, each envelope read through a LimitedSource as the responder
// tool does, and the in-memory opener the web form uses for a mailbox's replies.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "fixture.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/tip_document.hpp"

namespace {

using namespace tipline;
using fuzz::require;

// Not inlined, so a crash report names the line of the broken invariant.
// Reads the manifest, then opens each envelope in turn; returns how many opened.
std::size_t walk(std::span<const unsigned char> bundle, std::uint64_t file_size) {
    crypto::MemorySource in(bundle);
    std::vector<crypto::BundleEntry> entries;
    if (crypto::read_bundle_manifest(in, file_size, entries)) return 0;
    require(entries.size() <= crypto::bundle_max_entries);
    std::uint64_t total = crypto::bundle_preamble_size + entries.size() * crypto::bundle_entry_size;
    for (const auto& e : entries) total += e.size;
    if (file_size != 0) require(total == file_size);

    const crypto::BoxKeyPair* identities[] = {&fuzz::responder().box};
    std::size_t opened = 0;
    for (const auto& e : entries) {
        crypto::LimitedSource envelope(in, e.size);
        crypto::VectorSink content;
        if (!crypto::open_envelope(identities, envelope, content)) ++opened;
        if (!envelope.skip_rest()) break;  // the bundle ended inside this envelope
    }
    return opened;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> bundle(data, size);
    // A file's size is known; a stream's is not (0), and then only the entries bound the reading.
    walk(bundle, size);
    walk(bundle, 0);

    const crypto::BoxKeyPair* identities[] = {&fuzz::responder().box};
    for (const crypto::TipKind want : {crypto::TipKind::tip, crypto::TipKind::reply}) {
        std::vector<crypto::OpenedMessage> messages;
        std::size_t unreadable = 0;
        const std::error_code ec =
            crypto::open_bundle_messages(bundle, identities, want, messages, unreadable);
        if (ec) {
            require(ec.category() == crypto::error_category());
            continue;
        }
        std::vector<crypto::BundleEntry> entries;
        crypto::MemorySource in(bundle);
        require(!crypto::read_bundle_manifest(in, size, entries));
        require(messages.size() + unreadable == entries.size());
        for (const auto& m : messages) require(m.header.kind == want);
    }
    return 0;
}
