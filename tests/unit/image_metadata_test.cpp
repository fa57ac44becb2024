// Metadata stripping on camera-style JPEG, PNG and WebP images that the tests build byte by byte.
#include "tipline/client/image_metadata.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <exiv2/exiv2.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "image_fixtures.hpp"

using namespace tipline::client;

namespace {

using Bytes = std::vector<unsigned char>;
using tipline::test::add_camera_metadata;
using tipline::test::any_gps_tag;
using tipline::test::append;
using tipline::test::bytes_of;
using tipline::test::jfif_segment;
using tipline::test::jpeg_coding_segments;
using tipline::test::jpeg_entropy;
using tipline::test::jpeg_segment;
using tipline::test::open_with_exiv2;
using tipline::test::plain_jpeg;
using tipline::test::put_be16;
using tipline::test::put_be32;
using tipline::test::put_le32;

// Strings planted in the metadata; none may survive anywhere in a cleaned file.
constexpr std::array<std::string_view, 7> planted = {
    "Canon", "EOS 5D", "Kim Min", "Yanji", "2024:03:01", "the window of", "41,24.2N"};

Bytes text_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes slice(const Bytes& b, std::size_t from, std::size_t to) {
    REQUIRE(from <= to);
    REQUIRE(to <= b.size());
    return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from),
                 b.begin() + static_cast<std::ptrdiff_t>(to));
}

bool contains(const Bytes& haystack, std::string_view needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
           haystack.end();
}

void check_no_planted_strings(const Bytes& file) {
    for (std::string_view s : planted) {
        INFO("planted string: " << s);
        CHECK_FALSE(contains(file, s));
    }
}

// ---- JPEG
// ----------------------------------------------------------------------------------------

// An ICC profile Exiv2 accepts: its first four bytes give its size.
Bytes icc_segment() {
    Bytes payload = text_bytes({"ICC_PROFILE\0", 12});
    payload.insert(payload.end(), {1, 1});
    put_be32(payload, 132);
    payload.resize(payload.size() + 128, 0x5A);
    return jpeg_segment(0xE2, payload);
}

struct Segment {
    unsigned char marker;
    Bytes bytes;  // the whole segment, marker included
};

// An independent marker walk: segments up to and including SOS, then what lies between SOS and EOI.
struct JpegLayout {
    std::vector<Segment> segments;
    Bytes entropy;
    std::size_t after_eoi = 0;
};

JpegLayout scan_jpeg(const Bytes& f) {
    JpegLayout l;
    REQUIRE(f.size() >= 4);
    REQUIRE(f[0] == 0xFF);
    REQUIRE(f[1] == 0xD8);
    std::size_t pos = 2;
    while (true) {
        REQUIRE(pos + 4 <= f.size());
        REQUIRE(f[pos] == 0xFF);
        const unsigned char marker = f[pos + 1];
        const std::size_t length = std::size_t{f[pos + 2]} << 8 | f[pos + 3];
        REQUIRE(pos + 2 + length <= f.size());
        l.segments.push_back({marker, slice(f, pos, pos + 2 + length)});
        pos += 2 + length;
        if (marker == 0xDA) break;
    }
    // The test images have one scan, so the first EOI marker after it ends the image.
    std::size_t end = pos;
    while (end + 1 < f.size() && !(f[end] == 0xFF && f[end + 1] == 0xD9)) ++end;
    REQUIRE(end + 1 < f.size());
    l.entropy = slice(f, pos, end);
    l.after_eoi = f.size() - end - 2;
    return l;
}

bool has_segment(const JpegLayout& l, unsigned char marker, std::string_view signature) {
    return std::any_of(l.segments.begin(), l.segments.end(), [&](const Segment& s) {
        return s.marker == marker && s.bytes.size() >= 4 + signature.size() &&
               std::equal(signature.begin(), signature.end(), s.bytes.begin() + 4);
    });
}

// ---- PNG
// -----------------------------------------------------------------------------------------

std::uint32_t crc32(const Bytes& data, std::size_t from) {
    std::uint32_t crc = 0xFFFFFFFF;
    for (std::size_t i = from; i < data.size(); ++i) {
        crc ^= data[i];
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
    return ~crc;
}

Bytes png_chunk(std::string_view type, const Bytes& payload) {
    Bytes b;
    put_be32(b, static_cast<std::uint32_t>(payload.size()));
    Bytes body = text_bytes(type);
    append(body, payload);
    append(b, body);
    put_be32(b, crc32(body, 0));
    return b;
}

// Two grey rows of two pixels, each row led by filter type 0, in one stored deflate block.
Bytes png_idat_payload() {
    const Bytes raw = {0, 0x10, 0xE0, 0, 0x80, 0x40};
    Bytes z = {0x78, 0x01, 0x01};
    z.push_back(static_cast<unsigned char>(raw.size()));
    z.push_back(0);
    z.push_back(static_cast<unsigned char>(~raw.size()));
    z.push_back(0xFF);
    append(z, raw);
    std::uint32_t a = 1, b = 0;
    for (unsigned char c : raw) {
        a = (a + c) % 65521;
        b = (b + a) % 65521;
    }
    put_be32(z, b << 16 | a);
    return z;
}

Bytes png_ihdr() { return png_chunk("IHDR", {0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 0}); }

Bytes plain_png() {
    Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    append(b, png_ihdr());
    append(b, png_chunk("gAMA", {0, 0, 0xB1, 0x8F}));
    append(b, png_chunk("IDAT", png_idat_payload()));
    append(b, png_chunk("IEND", {}));
    return b;
}

// Chunk types in order, and bytes left after IEND.
std::vector<std::string> png_chunk_types(const Bytes& f, std::size_t* after_iend = nullptr) {
    std::vector<std::string> types;
    std::size_t pos = 8;
    while (pos + 12 <= f.size()) {
        const std::size_t length = std::size_t{f[pos]} << 24 | std::size_t{f[pos + 1]} << 16 |
                                   std::size_t{f[pos + 2]} << 8 | f[pos + 3];
        const Bytes type = slice(f, pos + 4, pos + 8);
        types.emplace_back(type.begin(), type.end());
        pos += 12 + length;
        if (types.back() == "IEND") break;
    }
    if (after_iend != nullptr) *after_iend = f.size() - pos;
    return types;
}

// ---- WebP
// ----------------------------------------------------------------------------------------

// Writes bits least significant first, as VP8L reads them.
class BitWriter {
  public:
    void put(std::uint32_t value, int count) {
        for (int i = 0; i < count; ++i) {
            if (used_ % 8 == 0) bytes_.push_back(0);
            bytes_.back() =
                static_cast<unsigned char>(bytes_.back() | ((value >> i) & 1U) << (used_ % 8));
            ++used_;
        }
    }
    const Bytes& bytes() const { return bytes_; }

  private:
    Bytes bytes_;
    int used_ = 0;
};

// A 1x1 lossless image: five one-symbol prefix codes, so the single pixel takes no bits.
Bytes vp8l_bitstream() {
    BitWriter w;
    w.put(0x2F, 8);  // signature
    w.put(0, 14);    // width - 1
    w.put(0, 14);    // height - 1
    w.put(0, 1);     // alpha hint
    w.put(0, 3);     // version
    w.put(0, 1);     // no transform
    w.put(0, 1);     // no colour cache
    w.put(0, 1);     // no meta prefix codes
    const auto simple_code = [&w](std::uint32_t symbol) {
        w.put(1, 1);  // simple code
        w.put(0, 1);  // one symbol
        const bool wide = symbol > 1;
        w.put(wide ? 1 : 0, 1);
        w.put(symbol, wide ? 8 : 1);
    };
    simple_code(0x40);  // green
    simple_code(0xC0);  // red
    simple_code(0x20);  // blue
    simple_code(0xFF);  // alpha
    simple_code(0);     // distance
    return w.bytes();
}

Bytes riff_chunk(std::string_view fourcc, const Bytes& payload) {
    Bytes b = text_bytes(fourcc);
    put_le32(b, static_cast<std::uint32_t>(payload.size()));
    append(b, payload);
    if (payload.size() % 2 == 1) b.push_back(0);
    return b;
}

Bytes plain_webp() {
    const Bytes chunk = riff_chunk("VP8L", vp8l_bitstream());
    Bytes b = text_bytes("RIFF");
    put_le32(b, static_cast<std::uint32_t>(4 + chunk.size()));
    append(b, text_bytes("WEBP"));
    append(b, chunk);
    return b;
}

std::vector<std::pair<std::string, Bytes>> webp_chunks(const Bytes& f) {
    std::vector<std::pair<std::string, Bytes>> chunks;
    REQUIRE(f.size() >= 12);
    const std::size_t riff_end = 8 + (std::size_t{f[4]} | std::size_t{f[5]} << 8 |
                                      std::size_t{f[6]} << 16 | std::size_t{f[7]} << 24);
    REQUIRE(riff_end == f.size());
    std::size_t pos = 12;
    while (pos + 8 <= riff_end) {
        const std::size_t size = std::size_t{f[pos + 4]} | std::size_t{f[pos + 5]} << 8 |
                                 std::size_t{f[pos + 6]} << 16 | std::size_t{f[pos + 7]} << 24;
        REQUIRE(pos + 8 + size <= riff_end);
        const Bytes fourcc = slice(f, pos, pos + 4);
        chunks.emplace_back(std::string(fourcc.begin(), fourcc.end()),
                            slice(f, pos + 8, pos + 8 + size));
        pos += 8 + size + (size & 1);
    }
    CHECK(pos == riff_end);
    return chunks;
}

// ---- Exiv2, as a camera and as a checker
// -----------------------------------------------------------

void check_clean_with_exiv2(const Bytes& file) {
    const std::unique_ptr<Exiv2::Image> image = open_with_exiv2(file);
    CHECK_FALSE(any_gps_tag(image->exifData()));
    CHECK(image->exifData().empty());
    CHECK(image->xmpData().empty());
    CHECK(image->xmpPacket().empty());
    CHECK(image->iptcData().empty());
    CHECK(image->comment().empty());
}

}  // namespace

TEST_CASE("image formats are told by their first bytes", "[metadata]") {
    CHECK(detect_image_format(plain_jpeg()) == ImageFormat::jpeg);
    CHECK(detect_image_format(plain_png()) == ImageFormat::png);
    CHECK(detect_image_format(plain_webp()) == ImageFormat::webp);
    CHECK(detect_image_format(text_bytes("GIF89a")) == ImageFormat::not_an_image);
    CHECK(detect_image_format(text_bytes("RIFF\x10\0\0\0WAVEfmt ")) == ImageFormat::not_an_image);
    CHECK(detect_image_format(Bytes{0xFF, 0xD8}) == ImageFormat::not_an_image);
    CHECK(detect_image_format(Bytes{}) == ImageFormat::not_an_image);
}

TEST_CASE("the hand-built test images are valid", "[metadata]") {
    for (const Bytes& file : {plain_jpeg(), plain_png(), plain_webp()}) {
        const std::unique_ptr<Exiv2::Image> image = open_with_exiv2(file);
        CHECK(image->good());
        CHECK(image->exifData().empty());
    }
    CHECK(open_with_exiv2(plain_jpeg())->pixelWidth() == 24);
    CHECK(open_with_exiv2(plain_png())->pixelWidth() == 2);
}

TEST_CASE("a camera JPEG loses every trace of who, when and where, and keeps its pixels",
          "[metadata]") {
    // An MPF index segment, and a second image after EOI as phones append one, with its own GPS
    // tags.
    Bytes original = {0xFF, 0xD8};
    append(original, jfif_segment());
    append(original, icc_segment());
    append(original, jpeg_segment(0xE2, text_bytes({"MPF\0II*\0", 8})));
    append(original, jpeg_coding_segments());
    append(original, jpeg_entropy);
    original.insert(original.end(), {0xFF, 0xD9});
    original = add_camera_metadata(original, true);
    const Bytes appended_image = add_camera_metadata(plain_jpeg(), false);
    append(original, appended_image);

    const JpegLayout before = scan_jpeg(original);
    REQUIRE(has_segment(before, 0xE1, {"Exif\0\0", 6}));
    REQUIRE(has_segment(before, 0xE1, {"http://ns.adobe.com/xap/1.0/\0", 29}));
    REQUIRE(has_segment(before, 0xED, "Photoshop 3.0"));
    REQUIRE(has_segment(before, 0xFE, ""));
    REQUIRE(before.after_eoi == appended_image.size());
    {
        const std::unique_ptr<Exiv2::Image> image = open_with_exiv2(original);
        REQUIRE(any_gps_tag(image->exifData()));
        REQUIRE(image->exifData().findKey(Exiv2::ExifKey("Exif.Canon.OwnerName")) !=
                image->exifData().end());
        REQUIRE(image->xmpData().findKey(Exiv2::XmpKey("Xmp.exif.GPSLatitude")) !=
                image->xmpData().end());
        REQUIRE(!image->iptcData().empty());
        REQUIRE(!image->comment().empty());
    }

    CleanedImage cleaned;
    const std::error_code ec = strip_image_metadata(original, cleaned);
    INFO("error: " << ec.message() << " " << cleaned.detail);
    REQUIRE_FALSE(ec);

    const MetadataReport& r = cleaned.report;
    CHECK(r.format == ImageFormat::jpeg);
    CHECK(r.exif_tags >= 10);
    CHECK(r.exif_gps);
    CHECK(r.maker_note);
    CHECK(r.xmp);
    CHECK(r.xmp_gps);
    CHECK(r.iptc);
    CHECK(r.comment);
    CHECK(r.other_blocks == 2);  // the MPF segment and the appended image
    const std::string exif =
        "exif (" + std::to_string(r.exif_tags) + " tags, with gps and maker note)";
    CHECK(describe_removed(r) == exif + ", xmp (with gps), iptc, comment, 2 other blocks");

    check_clean_with_exiv2(cleaned.bytes);
    check_no_planted_strings(cleaned.bytes);
    CHECK_FALSE(contains(cleaned.bytes, {"Exif\0\0", 6}));
    CHECK_FALSE(contains(cleaned.bytes, "http://ns.adobe.com/xap/1.0/"));

    const JpegLayout after = scan_jpeg(cleaned.bytes);
    CHECK_FALSE(has_segment(after, 0xE1, ""));
    CHECK_FALSE(has_segment(after, 0xED, ""));
    CHECK_FALSE(has_segment(after, 0xFE, ""));
    CHECK_FALSE(has_segment(after, 0xE2, "MPF"));
    CHECK(after.after_eoi == 0);
    CHECK(after.entropy == jpeg_entropy);
    CHECK(after.entropy == before.entropy);
    // JFIF, the colour profile and every coding segment are the original bytes, in order.
    std::vector<Bytes> kept;
    for (const Segment& s : after.segments) kept.push_back(s.bytes);
    std::vector<Bytes> expected = {jfif_segment(), icc_segment()};
    const JpegLayout plain = scan_jpeg(plain_jpeg());
    for (std::size_t i = 1; i < plain.segments.size(); ++i)
        expected.push_back(plain.segments[i].bytes);
    CHECK(kept == expected);
}

TEST_CASE("stripping a clean JPEG changes nothing", "[metadata]") {
    CleanedImage cleaned;
    REQUIRE_FALSE(strip_image_metadata(plain_jpeg(), cleaned));
    CHECK(cleaned.bytes == plain_jpeg());
    CHECK_FALSE(cleaned.report.found_any());
    CHECK(describe_removed(cleaned.report) == "none");
}

TEST_CASE("a JFIF thumbnail is removed with its segment", "[metadata]") {
    Bytes with_thumbnail = {0xFF, 0xD8};
    const Bytes one_pixel_thumbnail = {1, 1, 0xC0, 0xFF, 0xEE};
    Bytes jfif = {'J', 'F', 'I', 'F', 0, 1, 2, 0, 0, 1, 0, 1};
    append(jfif, one_pixel_thumbnail);
    append(with_thumbnail, jpeg_segment(0xE0, jfif));
    append(with_thumbnail, jpeg_coding_segments());
    append(with_thumbnail, jpeg_entropy);
    with_thumbnail.insert(with_thumbnail.end(), {0xFF, 0xD9});
    REQUIRE(open_with_exiv2(with_thumbnail)->good());

    CleanedImage cleaned;
    REQUIRE_FALSE(strip_image_metadata(with_thumbnail, cleaned));
    CHECK(cleaned.report.other_blocks == 1);
    const JpegLayout after = scan_jpeg(cleaned.bytes);
    REQUIRE_FALSE(after.segments.empty());
    CHECK(after.segments.front().marker == 0xDB);
    CHECK(after.entropy == jpeg_entropy);
}

TEST_CASE("a PNG loses Exif, XMP, IPTC, comments, text and time chunks, and keeps its pixels",
          "[metadata]") {
    Bytes original = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    append(original, png_ihdr());
    append(original, png_chunk("gAMA", {0, 0, 0xB1, 0x8F}));
    append(original, png_chunk("tEXt", text_bytes({"Author\0Kim Min-ji", 17})));
    append(original, png_chunk("tIME", {0x07, 0xE8, 3, 1, 22, 14, 5}));
    append(original, png_chunk("IDAT", png_idat_payload()));
    append(original, png_chunk("IEND", {}));
    original = add_camera_metadata(original, true);
    append(original, text_bytes("Yanji trailer"));
    {
        const std::unique_ptr<Exiv2::Image> image = open_with_exiv2(original);
        REQUIRE(any_gps_tag(image->exifData()));
        REQUIRE(!image->xmpData().empty());
        REQUIRE(!image->iptcData().empty());
        REQUIRE(!image->comment().empty());
        REQUIRE(contains(original, "Kim Min"));
    }

    CleanedImage cleaned;
    const std::error_code ec = strip_image_metadata(original, cleaned);
    INFO("error: " << ec.message() << " " << cleaned.detail);
    REQUIRE_FALSE(ec);
    CHECK(cleaned.report.format == ImageFormat::png);
    CHECK(cleaned.report.exif_gps);
    CHECK(cleaned.report.maker_note);
    CHECK(cleaned.report.xmp_gps);
    CHECK(cleaned.report.iptc);
    CHECK(cleaned.report.comment);
    CHECK(cleaned.report.other_blocks >=
          2);  // tEXt and tIME; Exiv2 already drops what follows IEND

    check_clean_with_exiv2(cleaned.bytes);
    check_no_planted_strings(cleaned.bytes);
    std::size_t after_iend = 99;
    const std::vector<std::string> kept = {"IHDR", "gAMA", "IDAT", "IEND"};
    CHECK(png_chunk_types(cleaned.bytes, &after_iend) == kept);
    CHECK(after_iend == 0);
    CHECK(cleaned.bytes == plain_png());
}

TEST_CASE("a WebP loses Exif and XMP, and a clean WebP stays valid", "[metadata]") {
    const Bytes plain = plain_webp();
    CleanedImage clean_copy;
    REQUIRE_FALSE(strip_image_metadata(plain, clean_copy));
    CHECK_FALSE(clean_copy.report.found_any());
    // Exiv2 rewrites a simple WebP in the extended layout: a VP8X header, then the same bitstream.
    const auto clean_chunks = webp_chunks(clean_copy.bytes);
    REQUIRE_FALSE(clean_chunks.empty());
    CHECK(clean_chunks.back() == std::pair<std::string, Bytes>{"VP8L", vp8l_bitstream()});
    CHECK(clean_chunks.size() <= 2);
    CHECK(clean_chunks.front().first == (clean_chunks.size() == 2 ? "VP8X" : "VP8L"));
    CHECK(open_with_exiv2(clean_copy.bytes)->good());

    // Exiv2 adds EXIF and XMP chunks; a vendor's private chunk is added by hand.
    Bytes original = add_camera_metadata(plain, false);
    append(original, riff_chunk("LOCN", text_bytes("Yanji")));
    const auto riff_size = static_cast<std::uint32_t>(original.size() - 8);
    for (std::size_t i = 0; i < 4; ++i)
        original[4 + i] = static_cast<unsigned char>(riff_size >> (8 * i));
    {
        const auto chunks = webp_chunks(original);
        const auto has = [&chunks](std::string_view name) {
            return std::any_of(chunks.begin(), chunks.end(),
                               [&](const auto& c) { return c.first == name; });
        };
        REQUIRE(has("EXIF"));
        REQUIRE(has("XMP "));
        REQUIRE(has("VP8X"));
        REQUIRE(has("LOCN"));
        REQUIRE(any_gps_tag(open_with_exiv2(original)->exifData()));
    }

    CleanedImage cleaned;
    const std::error_code ec = strip_image_metadata(original, cleaned);
    INFO("error: " << ec.message() << " " << cleaned.detail);
    REQUIRE_FALSE(ec);
    CHECK(cleaned.report.format == ImageFormat::webp);
    CHECK(cleaned.report.exif_gps);
    CHECK(cleaned.report.xmp_gps);
    CHECK(cleaned.report.other_blocks == 1);
    check_clean_with_exiv2(cleaned.bytes);
    check_no_planted_strings(cleaned.bytes);
    for (const auto& [name, payload] : webp_chunks(cleaned.bytes)) {
        INFO("chunk " << name);
        CHECK((name == "VP8X" || name == "VP8L"));
        if (name == "VP8X") CHECK((payload.at(0) & 0x0C) == 0);  // no longer announces EXIF or XMP
        if (name == "VP8L") CHECK(payload == vp8l_bitstream());
    }
}

TEST_CASE("a file that is not an image is returned unchanged", "[metadata]") {
    const Bytes text = text_bytes("met at the bus station in Yanji at 9pm\n");
    CleanedImage cleaned;
    REQUIRE_FALSE(strip_image_metadata(text, cleaned));
    CHECK(cleaned.report.format == ImageFormat::not_an_image);
    CHECK(cleaned.bytes == text);
    CHECK_FALSE(cleaned.report.found_any());
}

TEST_CASE("a damaged image is an error, never a crash and never a partial result", "[metadata]") {
    const Bytes camera = add_camera_metadata(plain_jpeg(), true);
    const JpegLayout layout = scan_jpeg(camera);
    REQUIRE(layout.segments.at(1).marker == 0xE1);
    const std::size_t exif_at = 2 + layout.segments[0].bytes.size();
    // Cut after SOI, inside the JFIF header, inside the Exif data, inside the scan, inside EOI.
    for (const std::size_t keep :
         {std::size_t{3}, std::size_t{5}, exif_at + 40, camera.size() - 4, camera.size() - 1}) {
        INFO("kept " << keep << " of " << camera.size() << " bytes");
        const Bytes cut(camera.begin(), camera.begin() + static_cast<std::ptrdiff_t>(keep));
        CleanedImage cleaned;
        cleaned.bytes = {1, 2, 3};
        const std::error_code ec = strip_image_metadata(cut, cleaned);
        CHECK(ec == MetadataError::unreadable);
        CHECK(cleaned.bytes.empty());
        REQUIRE_FALSE(cleaned.detail.empty());
        CHECK(cleaned.detail.back() != '.');
        CHECK_FALSE(
            (cleaned.detail[0] >= 'A' && cleaned.detail[0] <= 'Z' && cleaned.detail[1] >= 'a'));
    }

    // Exiv2 stays silent about a damaged file, even when something else turned its warnings on.
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::warn);
    Exiv2::LogMsg::setHandler(Exiv2::LogMsg::defaultHandler);
    CleanedImage silent;
    CHECK(strip_image_metadata(slice(camera, 0, exif_at + 40), silent) ==
          MetadataError::unreadable);
    CHECK(Exiv2::LogMsg::level() == Exiv2::LogMsg::mute);
    CHECK(Exiv2::LogMsg::handler() == nullptr);

    Bytes bad_png = plain_png();
    bad_png.resize(20);
    CleanedImage cleaned;
    CHECK(strip_image_metadata(bad_png, cleaned) == MetadataError::unreadable);
    CHECK(cleaned.bytes.empty());

    Bytes bad_webp = plain_webp();
    bad_webp[4] = 0xFF;  // a RIFF size far past the end
    CHECK(strip_image_metadata(bad_webp, cleaned) == MetadataError::unreadable);
    CHECK(cleaned.bytes.empty());
}

TEST_CASE("an image over the size cap is refused without being parsed", "[metadata]") {
    const std::size_t size = max_image_size + 1;
    const auto huge = std::make_unique_for_overwrite<unsigned char[]>(size);
    const Bytes head = plain_jpeg();
    std::copy(head.begin(), head.end(), huge.get());
    CleanedImage cleaned;
    const std::span<const unsigned char> file(huge.get(), size);
    const std::error_code ec = strip_image_metadata(file, cleaned);
    CHECK(ec == MetadataError::too_large);
    CHECK(ec.message() == "image is too large to clean (over 256 MiB)");
    CHECK(cleaned.bytes.empty());
}
