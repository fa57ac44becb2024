// File descriptors as RAII, file-backed byte streams, and the careful ways the tools create files.
#pragma once

#include <cstddef>
#include <filesystem>
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

// A temporary file with no name (in TMPDIR, or /tmp), gone when the descriptor closes.
UniqueFd anonymous_temp_file();

void fsync_or_throw(int fd, const std::string& what);
void fsync_directory(const std::filesystem::path& dir);

}  // namespace tipline::tooling
