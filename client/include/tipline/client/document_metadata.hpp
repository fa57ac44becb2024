// Removing the metadata of documents, recordings and videos with mat2, run inside a bubblewrap
// sandbox on the witness's own machine, before they are sealed. The file goes in and the cleaned
// copy comes out through pipes; inside, it exists only in the sandbox's private in-memory folder.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tipline/client/outgoing.hpp"

namespace tipline::client {

// Larger files are refused without being cleaned: they are held in memory, and twice in the
// sandbox.
inline constexpr std::size_t max_document_size = std::size_t{256} * 1024 * 1024;

enum class DocumentFormat {
    none,  // nothing this code knows to carry metadata (plain text, unknown bytes, a plain zip)
    pdf,
    docx,
    xlsx,
    pptx,
    odt,
    ods,
    odp,
    odg,
    epub,
    mp3,
    ogg,
    flac,
    wav,
    aiff,
    mp4,  // and QuickTime, M4A and 3GP: the ISO media family, rewritten as MP4
    avi,
    wmv,
    // Known to carry metadata, but mat2 cannot clean them: refused unless --keep-metadata.
    legacy_office,  // .doc, .xls, .ppt (OLE2 compound files)
    matroska,       // .mkv, .webm
};

// Told from the content only: magic bytes, and for zip-based formats the ODF "mimetype" entry or
// the OOXML "[Content_Types].xml" entry. Images (JPEG, PNG, WebP) are image_metadata's, and none.
DocumentFormat detect_document_format(std::span<const unsigned char> file) noexcept;

// "PDF document", "Word document", ... for messages.
std::string_view document_kind(DocumentFormat format) noexcept;
// Whether mat2 can clean the format.
bool can_clean(DocumentFormat format) noexcept;

enum class DocumentError {
    cannot_clean = 1,      // a format known to carry metadata that mat2 cannot clean
    too_large = 2,         // over max_document_size
    sandbox_failed = 3,    // bwrap or mat2 is missing, or the sandbox could not start
    mat2_failed = 4,       // mat2 could not clean the file (damaged, or not what it seems)
    timed_out = 5,         // the sandboxed run passed its time limit and was killed
    output_too_large = 6,  // the cleaned copy passed its size limit
};

const std::error_category& document_error_category() noexcept;
std::error_code make_error_code(DocumentError e) noexcept;

struct SandboxLimits {
    std::chrono::milliseconds time{0};
    std::size_t output_bytes = 0;  // the cleaned copy
    std::size_t tmpfs_bytes = 0;   // the sandbox's private folder
};

// 60 s plus 1 s per MiB of input; a cleaned copy of at most 512 MiB.
SandboxLimits limits_for(std::size_t input_size) noexcept;

struct CleanedDocument {
    std::vector<unsigned char> bytes;  // empty on failure
    // The metadata fields mat2 listed before cleaning and no longer lists, by name, in order.
    std::vector<std::string> removed;
    std::string detail;  // on failure, the last lines mat2 or bwrap wrote, for a hint line
};

// Runs mat2 on the file inside bubblewrap: no network or other namespaces, /usr read-only, a
// private tmpfs as the only writable folder, a clean environment, killed with this process. Works
// only in memory on this side. Fails closed: any error leaves out.bytes empty.
std::error_code clean_document(std::span<const unsigned char> file, DocumentFormat format,
                               const SandboxLimits& limits, CleanedDocument& out);

// The attachment's format, told from its content (read without moving its source).
DocumentFormat attachment_document_format(const std::filesystem::path& path,
                                          const OutgoingAttachment& attachment);

// When the file is a document, recording or video that carries metadata, cleans it with
// clean_document and makes the attachment send the cleaned bytes; returns the removed fields ("" if
// none, or when the file is of no such format). A file that cannot be cleaned stops the tool (exit
// 2), before anything is sent.
std::string clean_attachment_document(const std::filesystem::path& path,
                                      OutgoingAttachment& attachment);

}  // namespace tipline::client

template <>
struct std::is_error_code_enum<tipline::client::DocumentError> : std::true_type {};
