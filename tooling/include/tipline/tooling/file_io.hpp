// File descriptors as RAII, file-backed byte streams, and the careful ways the tools create files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tipline/crypto/fd_stream.hpp"
#include "tipline/crypto/stream.hpp"

namespace tipline::tooling {

class UniqueFd {
  public:
    UniqueFd() noexcept = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    ~UniqueFd();
    UniqueFd(UniqueFd&& other) noexcept;
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset() noexcept;

  private:
    int fd_ = -1;
};

using crypto::FdSink;
using crypto::FdSource;

// Opens a regular file for reading; ToolError (exit 2) when it cannot.
UniqueFd open_for_reading(const std::filesystem::path& path);

// Reads a whole small file; ToolError when it is missing, unreadable or larger than max_size.
std::vector<unsigned char> read_small_file(const std::filesystem::path& path, std::size_t max_size);

// "-", which the tools take for standard input where they read a file and for standard output
// where they write one stream.
bool is_standard_stream(const std::filesystem::path& path);

// Where a tool needs a real file (a key of mode 0600, a file it reads and writes again) or a
// folder, "-" is refused (exit 2), with why as the hint.
void refuse_standard_stream_for_file(const std::filesystem::path& path, std::string_view option,
                                     const std::string& why);
void refuse_standard_stream_for_folder(const std::filesystem::path& path, std::string_view option);

// Standard input can be read once in a run: the second reader is refused (exit 2), before it
// reads anything. Every reader of standard input calls this first.
void claim_standard_input();

// open_for_reading, and "-" for standard input: as it is when it is a regular file read from its
// start, otherwise (a pipe) copied first into an unnamed temporary file, so that it can be
// measured and read twice like a file. A terminal is refused: a binary file is not typed.
UniqueFd open_input(const std::filesystem::path& path);

// read_small_file, and "-" for standard input (not a terminal).
std::vector<unsigned char> read_small_input(const std::filesystem::path& path,
                                            std::size_t max_size);
// The same without refusing a larger file: at most max_size + 1 bytes of its start, so that the
// caller can say what the file is before refusing it as too large.
std::vector<unsigned char> read_input_start(const std::filesystem::path& path,
                                            std::size_t max_size);

// A file written under a unique temporary sibling name and moved into place only by
// install_files(): nobody sees it half-written, and unless installed it is removed when this object
// goes away.
class PendingFile {
  public:
    PendingFile(std::filesystem::path target, unsigned mode);
    ~PendingFile();
    PendingFile(const PendingFile&) = delete;
    PendingFile& operator=(const PendingFile&) = delete;

    int fd() const noexcept { return fd_.get(); }
    const std::filesystem::path& target() const noexcept { return target_; }
    void write(std::span<const unsigned char> bytes);

  private:
    friend void install_files(std::span<PendingFile* const> files, bool force);

    std::filesystem::path target_;
    std::filesystem::path temp_;
    UniqueFd fd_;
    bool installed_ = false;
};

// Flushes every pending file to disk and moves them all into place, or none. Without force an
// existing target is refused and nothing changes; with force existing targets are replaced, and
// put back if a later move fails.
void install_files(std::span<PendingFile* const> files, bool force);

// One small file, created as install_files() does.
void write_new_file(const std::filesystem::path& path, std::span<const unsigned char> bytes,
                    unsigned mode, bool force);

// Where a tool writes one stream of bytes (an envelope, a reply, a bundle, a list, a receipt):
// standard output for "-"; a descriptor the shell opened (/dev/stdout, /dev/stderr, /dev/fd/N) or
// an existing character device or FIFO (/dev/null, a named pipe), written in place; otherwise a
// new file of this mode, written as a PendingFile and put in place by finish(). Before anything is
// written, refuses (exit 2) an existing regular file unless force, a folder, and anything else.
class StreamOutput {
  public:
    StreamOutput(const std::filesystem::path& path, unsigned mode, bool force);

    // The checks of the constructor alone, for an output opened later.
    static void check(const std::filesystem::path& path, bool force);

    int fd() const noexcept { return file_ ? file_->fd() : stream_.get(); }
    // "standard output", or the path in quotes: for messages about writing.
    const std::string& name() const noexcept { return name_; }
    // A new file on disk, complete and flushed once finish() returns.
    bool is_new_file() const noexcept { return file_.has_value(); }
    bool is_terminal() const;
    // Whether it writes where standard output goes: the tool's report then goes to standard error.
    bool shares_standard_output() const;
    // Puts a new file in place (install_files), or flushes a regular file the shell opened to
    // disk; a pipe or a device is left as written.
    void finish();

  private:
    std::optional<PendingFile> file_;
    UniqueFd stream_;
    std::string name_;
    bool force_ = false;
};

// A temporary file with no name (in TMPDIR, or /tmp), gone when the descriptor closes.
UniqueFd anonymous_temp_file();

void fsync_or_throw(int fd, const std::string& what);
void fsync_directory(const std::filesystem::path& dir);

}  // namespace tipline::tooling
