// The envelope: the keyless header reader a server runs on every submission, then the opener with
// the responder's key. An envelope that opens is exactly the size sealing its content would give.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fixture.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"

namespace {

using namespace tipline;
using fuzz::require;

// Not inlined, so a crash report names the line of the broken invariant.
// Counts what the header reader takes, to check it takes exactly the header.
class CountingSource final : public crypto::ByteSource {
  public:
    explicit CountingSource(std::span<const unsigned char> bytes) : inner_(bytes) {}
    std::size_t read(std::span<unsigned char> out) override {
        const std::size_t n = inner_.read(out);
        taken += n;
        return n;
    }
    std::uint64_t taken = 0;

  private:
    crypto::MemorySource inner_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> input(data, size);
    CountingSource source(input);
    crypto::EnvelopeHeader header;
    const std::error_code header_ec = crypto::read_envelope_header(source, header);
    if (!header_ec) {
        require(source.taken == header.header_size());
        require(header.recipient_count >= 1 &&
                header.recipient_count <= crypto::envelope_max_recipients);
        require(header.total_size() > header.header_size());
    }

    const crypto::BoxKeyPair* identities[] = {&fuzz::responder().box};
    crypto::MemorySource in(input);
    crypto::VectorSink content;
    const std::error_code ec = crypto::open_envelope(identities, in, content);
    if (!ec) {
        require(!header_ec);
        require(size == header.total_size());
        require(crypto::envelope_size(content.bytes().size(), header.recipient_count) == size);
    } else {
        require(ec.category() == crypto::error_category());
    }
    return 0;
}
