// Removing what a photo says about where, when and with what it was taken, in memory, before it is
// sealed.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace tipline::client {

// Larger images are refused without being parsed.
inline constexpr std::size_t max_image_size = std::size_t{256} * 1024 * 1024;

enum class ImageFormat { not_an_image, jpeg, png, webp };

// Told from the first bytes only, never from a file name.
ImageFormat detect_image_format(std::span<const unsigned char> file) noexcept;

enum class MetadataError {
    too_large = 1,         // over max_image_size, so not loaded
    unreadable = 2,        // the image is damaged or not what its first bytes claim
    cannot_strip = 3,      // writing the cleaned image failed
    metadata_remains = 4,  // the cleaned image, read back, still carried metadata
};

const std::error_category& metadata_error_category() noexcept;
std::error_code make_error_code(MetadataError e) noexcept;

// What the original carried; all of it is gone from CleanedImage::bytes.
struct MetadataReport {
    ImageFormat format = ImageFormat::not_an_image;
    std::size_t exif_tags = 0;
    bool exif_gps = false;    // some of those tags were GPS tags
    bool maker_note = false;  // the camera maker's private Exif block
    bool xmp = false;
    bool xmp_gps = false;  // exif:GPS... properties in the XMP
    bool iptc = false;
    bool comment = false;
    // Segments or chunks outside the kept set (thumbnails, text chunks, images appended after the
    // end).
    std::size_t other_blocks = 0;

    bool found_any() const noexcept {
        return exif_tags > 0 || maker_note || xmp || iptc || comment || other_blocks > 0;
    }
};

struct CleanedImage {
    std::vector<unsigned char> bytes;  // a non-image is copied unchanged
    MetadataReport report;
    std::string
        detail;  // on failure, what went wrong in the image library's words, for a hint line
};

// Removes Exif (with GPS and maker notes), XMP, IPTC, comments and every block not needed to show
// the pixels, which are copied unchanged. Works only in memory. Fails closed: any error leaves
// out.bytes empty, and so does metadata found when the result is read back.
std::error_code strip_image_metadata(std::span<const unsigned char> file, CleanedImage& out);

// "exif (12 tags, with gps and maker note), xmp (with gps), comment" or "none", for telling the
// witness.
std::string describe_removed(const MetadataReport& report);

}  // namespace tipline::client

template <>
struct std::is_error_code_enum<tipline::client::MetadataError> : std::true_type {};
