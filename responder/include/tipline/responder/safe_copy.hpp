// Safe copies of attachments, as Dangerzone makes them: the file is rendered to pixels in one
// bubblewrap sandbox (no network, no files of the machine but /usr, a small private /tmp, limits
// on time, memory and output), the pixels are checked here, and a second sandbox builds a new file
// from them: a PDF of page images, or a PNG. Nothing of the original but its pixels reaches the
// copy, and no decrypted byte reaches the disk: the original goes in by a pipe, the copy comes out
// by one. Office documents (Word, Excel, PowerPoint, OpenDocument, RTF) are first turned into a PDF
// by LibreOffice, where it is installed, inside the first sandbox, as Dangerzone does.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tipline::responder {

enum class SafeCopyInput { unsupported, pdf, jpeg, png, gif, webp, tiff, office };

// What a file is by its bytes (never by the name or type its sender gave): the first ones, and for
// a ZIP archive the names of its parts. head is the whole file, or at least its start.
SafeCopyInput sniff_safe_copy_input(std::span<const unsigned char> head) noexcept;

struct SafeCopyLimits {
    unsigned seconds = 120;                         // each sandbox, wall clock
    std::uint64_t memory = std::uint64_t{2} << 30;  // address space of each sandboxed process
    std::uint64_t tmp_bytes = 512 << 20;            // the sandbox's private /tmp
    std::uint64_t output_bytes = 1024 << 20;        // what either sandbox may write back
    unsigned max_pages = 100;
    unsigned open_files = 64;   // file descriptors of each sandboxed process
    unsigned max_side = 10000;  // pixels of a page or image
};

struct SafeCopy {
    std::vector<unsigned char> bytes;
    std::string media_type;  // application/pdf or image/png
    std::string extension;   // .pdf or .png
    unsigned pages = 0;
    std::string note;  // e.g. that only the first pages were copied; empty when whole
};

// Where the sandbox's tools are: bwrap and the converters, in /usr/bin.
bool safe_copies_available(std::string& missing);
// Whether LibreOffice is installed (/usr/bin/soffice), for Office documents.
bool office_copies_available();

// ToolError (exit 1) naming what failed when no safe copy can be made of this file.
SafeCopy make_safe_copy(std::span<const unsigned char> original, SafeCopyInput input,
                        const SafeCopyLimits& limits = {});

}  // namespace tipline::responder
