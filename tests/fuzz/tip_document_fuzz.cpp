// The tip document, the plaintext inside every envelope. A document that parses re-encodes its
// header byte for byte and is exactly its header plus its attachments; parsing it whole and
// streaming it byte by byte agree.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "fixture.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/tip_document.hpp"

namespace {

using namespace tipline;
using fuzz::require;

// Not inlined, so a crash report names the line of the broken invariant.
class Collector final : public crypto::TipReceiver {
  public:
    void on_header(const crypto::TipHeader& h) override {
        require(!header.has_value());
        header = h;
        attachments.resize(h.attachments.size());
    }
    void on_attachment_data(std::size_t index, std::span<const unsigned char> bytes) override {
        require(header.has_value() && index < attachments.size());
        attachments[index].insert(attachments[index].end(), bytes.begin(), bytes.end());
    }

    std::optional<crypto::TipHeader> header;
    std::vector<std::vector<unsigned char>> attachments;
};

std::error_code stream_byte_by_byte(std::span<const unsigned char> document, Collector& out) {
    crypto::TipDocumentParser parser(out);
    try {
        for (std::size_t i = 0; i < document.size(); ++i) parser.write(document.subspan(i, 1));
    } catch (const std::system_error& e) {
        require(e.code().category() == crypto::error_category());
        return e.code();
    }
    return parser.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> document(data, size);
    crypto::TipHeader header;
    std::vector<std::vector<unsigned char>> attachments;
    const std::error_code ec = crypto::parse_tip_document(document, header, attachments);

    Collector streamed;
    require(stream_byte_by_byte(document, streamed) == ec);
    if (ec) return 0;

    require(streamed.header.has_value() && *streamed.header == header &&
            streamed.attachments == attachments);
    require(!crypto::validate_tip_header(header));
    std::vector<unsigned char> encoded;
    require(!crypto::encode_tip_header(header, encoded));
    require(encoded.size() <= size && std::equal(encoded.begin(), encoded.end(), document.begin()));
    require(crypto::tip_document_length(encoded.size(), header) == size);
    require(attachments.size() == header.attachments.size());
    std::size_t at = encoded.size();
    for (std::size_t i = 0; i < attachments.size(); ++i) {
        require(attachments[i].size() == header.attachments[i].size);
        require(std::equal(attachments[i].begin(), attachments[i].end(),
                           document.begin() + static_cast<std::ptrdiff_t>(at)));
        at += attachments[i].size();
    }
    return 0;
}
