// What a witness sends: the message text and attachment files, checked and described before sealing.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tipline/client/file_io.hpp"
#include "tipline/crypto/tip_document.hpp"

namespace tipline::client {

struct OutgoingAttachment {
    crypto::AttachmentInfo info;
    UniqueFd fd;
    std::unique_ptr<FdSource> source;
};

// Opens a regular file and describes it: its base name (UTF-8, cut to 255 bytes), type and size.
OutgoingAttachment prepare_attachment(const std::filesystem::path& path);

// A media type from the file name's extension, or application/octet-stream.
std::string media_type_for(const std::filesystem::path& path);

// Reads the message from a file or, when path is empty, from standard input. At most 1 MiB, UTF-8.
std::string read_message(const std::filesystem::path& path);

}  // namespace tipline::client
