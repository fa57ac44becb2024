// Removing a photo's metadata, as the server does for the web form without JavaScript: any bytes,
// however damaged, are either refused or cleaned, and a cleaned image has nothing left to remove.
// Exiv2 parses the witness's file here, so its crashes would be the server's.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fixture.hpp"
#include "tipline/client/image_metadata.hpp"

namespace {

using namespace tipline;
using fuzz::require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> file(data, size);
    client::CleanedImage cleaned;
    const std::error_code failed = client::strip_image_metadata(file, cleaned);
    const client::ImageFormat format = client::detect_image_format(file);
    if (failed) {
        require(format != client::ImageFormat::not_an_image);
        require(cleaned.bytes.empty());  // fails closed
        return 0;
    }
    if (format == client::ImageFormat::not_an_image) {
        require(cleaned.bytes.size() == size);  // not an image: copied unchanged
        return 0;
    }
    require(client::detect_image_format(cleaned.bytes) == format);
    // Cleaned once, an image has nothing left to remove. (Exiv2 may refuse to rewrite an odd but
    // clean image a second time; that refusal is fail-closed too.)
    client::CleanedImage again;
    if (!client::strip_image_metadata(cleaned.bytes, again)) require(!again.report.found_any());
    return 0;
}
