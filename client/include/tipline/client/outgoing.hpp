// What a witness sends: the message text and attachment files, checked and described before
// sealing.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tipline/crypto/tip_document.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::client {

struct OutgoingAttachment {
    crypto::AttachmentInfo info;
    tooling::UniqueFd fd;
    std::unique_ptr<crypto::ByteSource> source;
    std::vector<unsigned char> cleaned;  // an image without its metadata, when it was stripped
    bool metadata_stripped = false;
};

// Opens a regular file and describes it: its base name (UTF-8, cut to 255 bytes), type and size.
OutgoingAttachment prepare_attachment(const std::filesystem::path& path);

// When the file is a JPEG, PNG or WebP (by its first bytes), removes its metadata in memory and
// makes the attachment send the cleaned bytes. Returns what was removed ("" for a non-image or an
// image with nothing to remove). An image that cannot be cleaned stops the tool (exit 2).
std::string strip_attachment_metadata(const std::filesystem::path& path,
                                      OutgoingAttachment& attachment);

// A media type from the file name's extension, or application/octet-stream.
std::string media_type_for(const std::filesystem::path& path);

// Reads the message from a file or, when path is empty or "-", from standard input. At most 1 MiB,
// UTF-8.
// tool names the program in the prompt shown when standard input is a terminal.
std::string read_message(const std::filesystem::path& path, std::string_view tool);

}  // namespace tipline::client
