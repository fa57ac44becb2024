// Images built byte by byte for the tests, and Exiv2 used as a camera (to add metadata) and as a
// checker (to look for it). Shared by the metadata tests and the conversation test.
#include "image_fixtures.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

namespace tipline::test {

void put_be16(ImageBytes& b, std::uint32_t v) {
    b.push_back(static_cast<unsigned char>(v >> 8));
    b.push_back(static_cast<unsigned char>(v));
}

void put_be32(ImageBytes& b, std::uint32_t v) {
    put_be16(b, v >> 16);
    put_be16(b, v & 0xFFFF);
}
void put_le32(ImageBytes& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
void append(ImageBytes& b, const ImageBytes& more) { b.insert(b.end(), more.begin(), more.end()); }

ImageBytes jpeg_segment(unsigned char marker, const ImageBytes& payload) {
    ImageBytes b = {0xFF, marker};
    put_be16(b, static_cast<std::uint32_t>(payload.size() + 2));
    append(b, payload);
    return b;
}

// A 24x8 grey baseline JPEG of three blocks, restarting after two. The DC table codes category 8 as
// "0" and 4 as "10", the AC table only end-of-block as "0". A: DC +15 = 10 1111 0; B: DC +255 =
// 0 11111111 0, so the second byte is 0xFF and gets stuffed; RST0; C: DC -15 = 10 0000 0, padded.
const ImageBytes jpeg_entropy = {0xBC, 0xFF, 0x00, 0x7F, 0xFF, 0xD0, 0x81};

ImageBytes jpeg_coding_segments() {
    ImageBytes dqt = {0x00};
    dqt.resize(65, 1);
    ImageBytes sof = {8, 0, 8, 0, 24, 1, 1, 0x11, 0};  // 8-bit, 8 rows, 24 columns, one component
    ImageBytes dht_dc = {0x00, 1, 1};
    dht_dc.resize(17, 0);
    dht_dc.insert(dht_dc.end(), {0x08, 0x04});
    ImageBytes dht_ac = {0x10, 1};
    dht_ac.resize(17, 0);
    dht_ac.push_back(0x00);
    ImageBytes out = jpeg_segment(0xDB, dqt);
    append(out, jpeg_segment(0xC0, sof));
    append(out, jpeg_segment(0xC4, dht_dc));
    append(out, jpeg_segment(0xC4, dht_ac));
    append(out, jpeg_segment(0xDD, {0, 2}));  // restart every two MCUs
    append(out, jpeg_segment(0xDA, {1, 1, 0x00, 0, 63, 0}));
    return out;
}

ImageBytes jfif_segment() {
    return jpeg_segment(0xE0, {'J', 'F', 'I', 'F', 0, 1, 2, 0, 0, 1, 0, 1, 0, 0});
}

ImageBytes plain_jpeg() {
    ImageBytes b = {0xFF, 0xD8};
    append(b, jfif_segment());
    append(b, jpeg_coding_segments());
    append(b, jpeg_entropy);
    b.insert(b.end(), {0xFF, 0xD9});
    return b;
}

std::unique_ptr<Exiv2::Image> open_with_exiv2(const ImageBytes& file) {
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
    std::unique_ptr<Exiv2::Image> image(
        Exiv2::ImageFactory::open(file.data(), static_cast<long>(file.size())).release());
    REQUIRE(image.get() != nullptr);
    image->readMetadata();
    return image;
}

ImageBytes bytes_of(Exiv2::Image& image) {
    Exiv2::BasicIo& io = image.io();
    REQUIRE(io.open() == 0);
    const long size = static_cast<long>(io.size());
    ImageBytes out(static_cast<std::size_t>(size));
    REQUIRE(io.read(out.data(), size) == size);
    io.close();
    return out;
}

// What a phone or camera writes: who, what, when and where.
ImageBytes add_camera_metadata(const ImageBytes& file, bool with_iptc_and_comment) {
    const std::unique_ptr<Exiv2::Image> image = open_with_exiv2(file);
    Exiv2::ExifData& exif = image->exifData();
    exif["Exif.Image.Make"] = "Canon";
    exif["Exif.Image.Model"] = "Canon EOS 5D";
    exif["Exif.Photo.DateTimeOriginal"] = "2024:03:01 22:14:05";
    exif["Exif.Photo.BodySerialNumber"] = "0420153377";
    exif["Exif.Canon.OwnerName"] = "Kim Min-ji";
    exif["Exif.GPSInfo.GPSVersionID"].setValue("2 2 0 0");
    exif["Exif.GPSInfo.GPSLatitudeRef"] = "N";
    exif["Exif.GPSInfo.GPSLatitude"].setValue("42/1 54/1 1234/100");
    exif["Exif.GPSInfo.GPSLongitudeRef"] = "E";
    exif["Exif.GPSInfo.GPSLongitude"].setValue("129/1 30/1 0/1");
    Exiv2::XmpData& xmp = image->xmpData();
    xmp["Xmp.exif.GPSLatitude"] = "41,24.2N";
    xmp["Xmp.dc.creator"] = "Kim Min-ji";
    if (with_iptc_and_comment) {
        Exiv2::IptcData& iptc = image->iptcData();
        iptc["Iptc.Application2.City"] = "Yanji";
        iptc["Iptc.Application2.Byline"] = "Kim Min-ji";
        image->setComment("shot from the window of the third floor");
    }
    image->writeMetadata();
    return bytes_of(*image);
}

bool any_gps_tag(const Exiv2::ExifData& exif) {
    return std::any_of(exif.begin(), exif.end(),
                       [](const Exiv2::Exifdatum& d) { return d.groupName() == "GPSInfo"; });
}

ImageBytes camera_jpeg_with_gps() { return add_camera_metadata(plain_jpeg(), true); }

bool jpeg_has_no_gps(const ImageBytes& file) {
    const std::unique_ptr<Exiv2::Image> image = open_with_exiv2(file);
    return !any_gps_tag(image->exifData()) && image->xmpData().empty() && image->exifData().empty();
}

}  // namespace tipline::test
