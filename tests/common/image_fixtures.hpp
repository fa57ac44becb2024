// Test images built byte by byte, and Exiv2 as a camera and as a checker (image_fixtures.cpp).
#pragma once

#include <cstdint>
#include <exiv2/exiv2.hpp>
#include <memory>
#include <vector>

namespace tipline::test {

using ImageBytes = std::vector<unsigned char>;

void put_be16(ImageBytes& b, std::uint32_t v);
void put_be32(ImageBytes& b, std::uint32_t v);
void put_le32(ImageBytes& b, std::uint32_t v);
void append(ImageBytes& b, const ImageBytes& more);

// JPEG pieces: a segment, the coding segments of a 24x8 grey baseline image, its scan data, JFIF.
ImageBytes jpeg_segment(unsigned char marker, const ImageBytes& payload);
ImageBytes jpeg_coding_segments();
extern const ImageBytes jpeg_entropy;
ImageBytes jfif_segment();
// The whole image, with no metadata but JFIF.
ImageBytes plain_jpeg();

std::unique_ptr<Exiv2::Image> open_with_exiv2(const ImageBytes& file);
ImageBytes bytes_of(Exiv2::Image& image);
// What a phone or camera writes: who, what, when and where (Exif with GPS and a maker note, XMP,
// and optionally IPTC and a comment).
ImageBytes add_camera_metadata(const ImageBytes& file, bool with_iptc_and_comment);
bool any_gps_tag(const Exiv2::ExifData& exif);

// plain_jpeg() as a camera would save it, GPS position included.
ImageBytes camera_jpeg_with_gps();
// Exiv2 finds no GPS tag, and no Exif or XMP at all.
bool jpeg_has_no_gps(const ImageBytes& file);

}  // namespace tipline::test
