// Exiv2 removes the metadata it knows; then a pass keeps only the blocks a viewer needs; then Exiv2
// checks.
#include "tipline/client/image_metadata.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <exiv2/exiv2.hpp>
#include <exiv2/webpimage.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "tipline/client/messages.hpp"

namespace tipline::client {
namespace {

class Category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "tipline.metadata"; }
    std::string message(int value) const override {
        switch (static_cast<MetadataError>(value)) {
            case MetadataError::too_large:
                return tr("image is too large to clean (over 256 MiB)");
            case MetadataError::unreadable:
                return tr("image is damaged, so its metadata cannot be removed");
            case MetadataError::cannot_strip:
                return tr("removing the image's metadata failed");
            case MetadataError::metadata_remains:
                return tr("metadata was still present after cleaning");
        }
        return tr("unknown error");
    }
};

using Bytes = std::vector<unsigned char>;
using ByteView = std::span<const unsigned char>;

bool starts_with(ByteView data, std::size_t at, std::string_view text) {
    return data.size() >= at && data.size() - at >= text.size() &&
           std::memcmp(data.data() + at, text.data(), text.size()) == 0;
}

std::uint32_t read_be16(ByteView d, std::size_t at) {
    return std::uint32_t{d[at]} << 8 | std::uint32_t{d[at + 1]};
}
std::uint32_t read_be32(ByteView d, std::size_t at) {
    return read_be16(d, at) << 16 | read_be16(d, at + 2);
}
std::uint32_t read_le32(ByteView d, std::size_t at) {
    return std::uint32_t{d[at]} | std::uint32_t{d[at + 1]} << 8 | std::uint32_t{d[at + 2]} << 16 |
           std::uint32_t{d[at + 3]} << 24;
}

void append(Bytes& out, ByteView d, std::size_t from, std::size_t to) {
    const ByteView part = d.subspan(from, to - from);
    out.insert(out.end(), part.begin(), part.end());
}

// The result of the block pass: the kept bytes, or nothing when the structure is broken.
struct Filtered {
    Bytes bytes;
    std::size_t dropped = 0;
};

// JPEG keeps JFIF, the ICC colour profile, Adobe's colour transform and the coding segments; it
// drops every other APPn (Exif, XMP, MPF, Photoshop, JFXX), comments and anything after EOI. A
// thumbnail could show what the witness later cropped or blurred, so JFIF stays only without one.
bool keep_jpeg_segment(unsigned marker, ByteView payload) {
    constexpr std::size_t jfif_without_thumbnail = 14;
    if (marker == 0xE0) {
        return payload.size() == jfif_without_thumbnail && starts_with(payload, 0, {"JFIF\0", 5});
    }
    if (marker == 0xE2) return starts_with(payload, 0, {"ICC_PROFILE\0", 12});
    if (marker == 0xEE) return starts_with(payload, 0, "Adobe");
    return !(marker >= 0xE0 && marker <= 0xEF) && marker != 0xFE;
}

bool is_rst_or_tem(unsigned marker) { return (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01; }

std::optional<Filtered> filter_jpeg(ByteView d) {
    Filtered f;
    if (d.size() < 4 || d[0] != 0xFF || d[1] != 0xD8) return std::nullopt;
    append(f.bytes, d, 0, 2);
    std::size_t pos = 2;
    while (true) {
        if (pos >= d.size() || d[pos] != 0xFF) return std::nullopt;
        while (pos < d.size() && d[pos] == 0xFF) ++pos;  // fill bytes before a marker
        if (pos >= d.size()) return std::nullopt;
        const unsigned marker = d[pos++];
        if (marker == 0xD9) {
            f.bytes.push_back(0xFF);
            f.bytes.push_back(0xD9);
            if (pos < d.size()) ++f.dropped;  // appended images (MPF) and vendor trailers
            return f;
        }
        if (is_rst_or_tem(marker)) {
            f.bytes.push_back(0xFF);
            f.bytes.push_back(static_cast<unsigned char>(marker));
            continue;
        }
        if (marker == 0x00 || marker == 0xD8 || d.size() - pos < 2) return std::nullopt;
        const std::size_t length = read_be16(d, pos);
        if (length < 2 || d.size() - pos < length) return std::nullopt;
        if (keep_jpeg_segment(marker, d.subspan(pos + 2, length - 2))) {
            f.bytes.push_back(0xFF);
            f.bytes.push_back(static_cast<unsigned char>(marker));
            append(f.bytes, d, pos, pos + length);
        } else {
            ++f.dropped;
        }
        pos += length;
        if (marker != 0xDA) continue;
        // Entropy-coded data runs to the first 0xFF that is not a stuffed zero or a restart marker.
        const std::size_t scan = pos;
        while (pos + 1 < d.size() && !(d[pos] == 0xFF && d[pos + 1] != 0x00 && d[pos + 1] != 0xFF &&
                                       !(d[pos + 1] >= 0xD0 && d[pos + 1] <= 0xD7))) {
            ++pos;
        }
        if (pos + 1 >= d.size()) return std::nullopt;  // no EOI: the file was cut short
        append(f.bytes, d, scan, pos);
    }
}

// PNG keeps the critical chunks and those that change how pixels look or animate; text, eXIf, tIME
// and private chunks go.
bool keep_png_chunk(std::string_view type) {
    static constexpr std::array<std::string_view, 18> kept = {
        "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "cHRM", "gAMA", "iCCP", "sBIT",
        "sRGB", "cICP", "mDCv", "cLLi", "bKGD", "pHYs", "acTL", "fcTL", "fdAT"};
    return std::find(kept.begin(), kept.end(), type) != kept.end();
}

std::optional<Filtered> filter_png(ByteView d) {
    Filtered f;
    constexpr std::size_t signature_size = 8;
    if (d.size() < signature_size) return std::nullopt;
    append(f.bytes, d, 0, signature_size);
    std::size_t pos = signature_size;
    while (true) {
        if (d.size() - pos < 12) return std::nullopt;
        const std::size_t length = read_be32(d, pos);
        if (length > d.size() - pos - 12) return std::nullopt;
        const std::string_view type(reinterpret_cast<const char*>(d.data() + pos + 4), 4);
        const std::size_t end = pos + 12 + length;
        if (keep_png_chunk(type)) {
            append(f.bytes, d, pos, end);
        } else if (type[0] >= 'A' && type[0] <= 'Z') {
            return std::nullopt;  // an unknown critical chunk: no viewer could show this image
        } else {
            ++f.dropped;
        }
        pos = end;
        if (type == "IEND") {
            if (pos < d.size()) ++f.dropped;
            return f;
        }
    }
}

// WebP keeps the bitstreams, alpha, animation and ICC chunks; EXIF, XMP and unknown chunks go, and
// VP8X stops announcing them.
bool keep_webp_chunk(std::string_view fourcc) {
    static constexpr std::array<std::string_view, 7> kept = {"VP8 ", "VP8L", "VP8X", "ALPH",
                                                             "ANIM", "ANMF", "ICCP"};
    return std::find(kept.begin(), kept.end(), fourcc) != kept.end();
}

std::optional<Filtered> filter_webp(ByteView d) {
    constexpr std::size_t header_size = 12;
    constexpr unsigned char vp8x_exif_and_xmp_flags = 0x08 | 0x04;
    if (d.size() < header_size) return std::nullopt;
    const std::size_t riff_end = std::size_t{read_le32(d, 4)} + 8;
    if (riff_end > d.size() || riff_end < header_size) return std::nullopt;
    Filtered f;
    append(f.bytes, d, 0, header_size);
    std::size_t pos = header_size;
    while (pos < riff_end) {
        if (riff_end - pos < 8) return std::nullopt;
        const std::string_view fourcc(reinterpret_cast<const char*>(d.data() + pos), 4);
        const std::size_t size = read_le32(d, pos + 4);
        const std::size_t padded = size + (size & 1);
        if (padded > riff_end - pos - 8) return std::nullopt;
        if (keep_webp_chunk(fourcc)) {
            const std::size_t at = f.bytes.size();
            append(f.bytes, d, pos, pos + 8 + padded);
            if (fourcc == "VP8X") {
                if (size < 10) return std::nullopt;
                f.bytes[at + 8] &= static_cast<unsigned char>(~vp8x_exif_and_xmp_flags);
            }
        } else {
            ++f.dropped;
        }
        pos += 8 + padded;
    }
    if (riff_end < d.size()) ++f.dropped;
    const auto riff_size = static_cast<std::uint32_t>(f.bytes.size() - 8);
    for (std::size_t i = 0; i < 4; ++i)
        f.bytes[4 + i] = static_cast<unsigned char>(riff_size >> (8 * i));
    return f;
}

std::optional<Filtered> filter_blocks(ImageFormat format, ByteView d) {
    switch (format) {
        case ImageFormat::jpeg:
            return filter_jpeg(d);
        case ImageFormat::png:
            return filter_png(d);
        case ImageFormat::webp:
            return filter_webp(d);
        case ImageFormat::not_an_image:
            break;
    }
    return std::nullopt;
}

int exiv2_type(ImageFormat format) {
    switch (format) {
        case ImageFormat::jpeg:
            return Exiv2::ImageType::jpeg;
        case ImageFormat::png:
            return Exiv2::ImageType::png;
        case ImageFormat::webp:
            return Exiv2::ImageType::webp;
        case ImageFormat::not_an_image:
            break;
    }
    return Exiv2::ImageType::none;
}

// Exiv2 would otherwise print warnings about a witness's file to stderr; set on every call, in case
// other code changed it. Cleaning holds exiv2_mutex throughout, so the XMP toolkit needs no lock
// function even where several threads clean images (the server's form without JavaScript).
std::mutex exiv2_mutex;

void prepare_exiv2() {
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
    Exiv2::LogMsg::setHandler(nullptr);
    static std::once_flag once;
    std::call_once(once, [] { Exiv2::XmpParser::initialize(); });
}

// Opens an in-memory image (Exiv2 wraps it in a MemIo) and reads its metadata. Throws on damage.
// Exiv2 0.27 hands the image out as a std::auto_ptr, deprecated since C++11: it is held as a
// unique_ptr from here on.
std::unique_ptr<Exiv2::Image> open_image(ByteView d, ImageFormat format) {
    std::unique_ptr<Exiv2::Image> image(
        Exiv2::ImageFactory::open(d.data(), static_cast<long>(d.size())).release());
    if (image.get() == nullptr || image->imageType() != exiv2_type(format) || !image->good()) {
        throw Exiv2::Error(Exiv2::kerNotAnImage);
    }
    image->readMetadata();
    return image;
}

bool is_maker_note(const std::string& group, const std::string& key) {
    return Exiv2::ExifTags::isMakerGroup(group) || group == "MakerNote" ||
           key == "Exif.Photo.MakerNote";
}

void note_metadata(const Exiv2::Image& image, MetadataReport& report) {
    const Exiv2::ExifData& exif = image.exifData();
    report.exif_tags = static_cast<std::size_t>(exif.count());
    for (const Exiv2::Exifdatum& tag : exif) {
        const std::string group = tag.groupName();
        if (group == "GPSInfo") report.exif_gps = true;
        if (is_maker_note(group, tag.key())) report.maker_note = true;
    }
    report.xmp = !image.xmpData().empty() || !image.xmpPacket().empty();
    for (const Exiv2::Xmpdatum& property : image.xmpData()) {
        if (property.key().starts_with("Xmp.exif.GPS")) report.xmp_gps = true;
    }
    report.iptc = !image.iptcData().empty();
    report.comment = !image.comment().empty();
}

bool has_metadata(const Exiv2::Image& image) {
    return !image.exifData().empty() || !image.xmpData().empty() || !image.xmpPacket().empty() ||
           !image.iptcData().empty() || !image.comment().empty();
}

Bytes read_all(Exiv2::BasicIo& io) {
    if (io.open() != 0) throw Exiv2::Error(Exiv2::kerDataSourceOpenFailed, io.path(), "");
    const long size = static_cast<long>(io.size());
    Bytes bytes(static_cast<std::size_t>(size));
    if (size <= 0 || io.seek(0, Exiv2::BasicIo::beg) != 0 || io.read(bytes.data(), size) != size) {
        io.close();
        throw Exiv2::Error(Exiv2::kerFailedToReadImageData);
    }
    io.close();
    return bytes;
}

// Exif, IPTC, XMP and the comment; the ICC profile stays, since the colours depend on it.
Bytes strip_with_exiv2(Exiv2::Image& image) {
    image.clearExifData();
    image.clearIptcData();
    image.clearXmpPacket();
    image.clearXmpData();
    image.clearComment();
    image.writeMetadata();
    return read_all(image.io());
}

// Exiv2's messages ("Failed to read image data.") reworded for a hint line: lowercase, no final
// period.
std::string as_hint(std::string text) {
    const auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    while (!text.empty() && (text.back() == '.' || text.back() == ' ' || text.back() == '\n')) {
        text.pop_back();
    }
    if (!text.empty() && is_upper(text[0]) && !(text.size() > 1 && is_upper(text[1]))) {
        text[0] = static_cast<char>(text[0] - 'A' + 'a');  // but "XMP ..." stays
    }
    return text;
}

std::error_code fail(CleanedImage& out, MetadataError e, std::string detail) {
    out.bytes.clear();
    out.detail = as_hint(std::move(detail));
    return e;
}

}  // namespace

const std::error_category& metadata_error_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(MetadataError e) noexcept {
    return {static_cast<int>(e), metadata_error_category()};
}

ImageFormat detect_image_format(std::span<const unsigned char> file) noexcept {
    static constexpr unsigned char png_signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (file.size() >= 3 && file[0] == 0xFF && file[1] == 0xD8 && file[2] == 0xFF)
        return ImageFormat::jpeg;
    if (file.size() >= sizeof png_signature &&
        std::equal(std::begin(png_signature), std::end(png_signature), file.begin())) {
        return ImageFormat::png;
    }
    if (starts_with(file, 0, "RIFF") && starts_with(file, 8, "WEBP")) return ImageFormat::webp;
    return ImageFormat::not_an_image;
}

std::error_code strip_image_metadata(std::span<const unsigned char> file, CleanedImage& out) {
    out = CleanedImage{};
    out.report.format = detect_image_format(file);
    if (out.report.format == ImageFormat::not_an_image) {
        out.bytes.assign(file.begin(), file.end());
        return {};
    }
    if (file.size() > max_image_size) return fail(out, MetadataError::too_large, "");
    std::lock_guard lock(exiv2_mutex);
    prepare_exiv2();
    const ImageFormat format = out.report.format;

    Bytes stripped;
    try {
        const std::unique_ptr<Exiv2::Image> image = open_image(file, format);
        note_metadata(*image, out.report);
        try {
            stripped = strip_with_exiv2(*image);
        } catch (const std::exception& e) {
            return fail(out, MetadataError::cannot_strip, e.what());
        }
    } catch (const std::exception& e) {
        return fail(out, MetadataError::unreadable, e.what());
    }

    std::optional<Filtered> kept = filter_blocks(format, stripped);
    if (!kept)
        return fail(out, MetadataError::unreadable, "the image's structure is broken or cut short");
    out.report.other_blocks = kept->dropped;

    // Fail closed: the result must read back clean, and a second block pass must find nothing to
    // drop.
    try {
        const std::unique_ptr<Exiv2::Image> check = open_image(kept->bytes, format);
        if (has_metadata(*check)) return fail(out, MetadataError::metadata_remains, "");
    } catch (const std::exception& e) {
        return fail(out, MetadataError::cannot_strip, e.what());
    }
    const std::optional<Filtered> again = filter_blocks(format, kept->bytes);
    if (!again || again->dropped != 0) return fail(out, MetadataError::metadata_remains, "");

    out.bytes = std::move(kept->bytes);
    return {};
}

std::string describe_removed(const MetadataReport& report) {
    std::vector<std::string> parts;
    // The names of the formats (exif, xmp, iptc) are the same in every language.
    if (report.exif_tags > 0) {
        const std::string tags = std::to_string(report.exif_tags);
        if (report.exif_gps && report.maker_note) {
            parts.push_back(tr("exif ({count} tags, with gps and maker note)", {{"count", tags}}));
        } else if (report.exif_gps) {
            parts.push_back(tr("exif ({count} tags, with gps)", {{"count", tags}}));
        } else if (report.maker_note) {
            parts.push_back(tr("exif ({count} tags, with maker note)", {{"count", tags}}));
        } else {
            parts.push_back(tr("exif ({count} tags)", {{"count", tags}}));
        }
    }
    if (report.xmp) parts.push_back(report.xmp_gps ? tr("xmp (with gps)") : std::string("xmp"));
    if (report.iptc) parts.emplace_back("iptc");
    if (report.comment) parts.push_back(tr("comment"));
    if (report.other_blocks > 0) {
        parts.push_back(
            tr("{count} other blocks", {{"count", std::to_string(report.other_blocks)}}));
    }
    if (parts.empty()) return tr("none");
    std::string text = parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) text += ", " + parts[i];
    return text;
}

}  // namespace tipline::client
