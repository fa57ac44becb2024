// File helpers built on POSIX calls, so modes, O_EXCL and fsync are explicit.
#include "tipline/tooling/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <utility>

#include "tipline/tooling/diagnostics.hpp"

namespace tipline::tooling {
namespace {

std::string describe(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

std::system_error errno_error(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

// Creates an empty file beside target with a unique name (mkstemp) and returns its path.
std::filesystem::path unique_sibling(const std::filesystem::path& target, std::string_view tag) {
    std::string pattern = target.string() + std::string(tag) + "-XXXXXX";
    const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        const std::error_code ec(errno, std::generic_category());
        io_error("cannot create a file beside " + describe(target) + ": " + ec.message());
    }
    ::close(fd);
    return pattern;
}

}  // namespace

UniqueFd::~UniqueFd() { reset(); }

UniqueFd::UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

void UniqueFd::reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

UniqueFd open_for_reading(const std::filesystem::path& path) {
    // O_NONBLOCK so that a FIFO cannot hang the open; cleared once the file is known to be regular.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd) {
        const std::error_code ec(errno, std::generic_category());
        io_error("cannot open " + describe(path) + ": " + ec.message());
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        usage_error(describe(path) + " is not a regular file");
    }
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
        throw errno_error("cannot read " + describe(path));
    }
    return fd;
}

std::vector<unsigned char> read_small_file(const std::filesystem::path& path,
                                           std::size_t max_size) {
    UniqueFd fd = open_for_reading(path);
    std::vector<unsigned char> bytes(max_size + 1);
    FdSource source(fd.get(), describe(path));
    const std::size_t n = source.read(bytes);
    if (n > max_size) usage_error(describe(path) + " is larger than expected");
    bytes.resize(n);
    return bytes;
}

UniqueFd anonymous_temp_file() {
    const char* env = std::getenv("TMPDIR");
    const std::string dir = env != nullptr && *env != '\0' ? env : "/tmp";
    UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (!fd) throw errno_error("cannot create a temporary file in '" + dir + "'");
    return fd;
}

void fsync_or_throw(int fd, const std::string& what) {
    if (::fsync(fd) != 0) throw errno_error("cannot flush " + what + " to disk");
}

void fsync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw errno_error("cannot open folder " + describe(dir));
    fsync_or_throw(fd.get(), "folder " + describe(dir));
}

PendingFile::PendingFile(std::filesystem::path target, unsigned mode)
    : target_(std::move(target)), temp_(unique_sibling(target_, ".tmp")) {
    fd_ = UniqueFd(::open(temp_.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd_ || ::fchmod(fd_.get(), mode) != 0) {
        ::unlink(temp_.c_str());
        throw errno_error("cannot prepare " + describe(target_));
    }
}

PendingFile::~PendingFile() {
    if (!installed_) ::unlink(temp_.c_str());
}

void PendingFile::write(std::span<const unsigned char> bytes) {
    FdSink(fd_.get(), describe(target_)).write(bytes);
}

void install_files(std::span<PendingFile* const> files, bool force) {
    namespace fs = std::filesystem;
    for (PendingFile* f : files) {
        fsync_or_throw(f->fd(), describe(f->target_));
        f->fd_.reset();
    }
    if (!force) {
        for (const PendingFile* f : files) {
            if (fs::exists(fs::symlink_status(f->target_))) {
                usage_error(describe(f->target_) + " already exists",
                            {"refusing to overwrite it; choose another path"});
            }
        }
    }
    std::vector<std::pair<fs::path, fs::path>> backups;  // target, where the old file waits
    std::vector<PendingFile*> placed;
    try {
        for (PendingFile* f : files) {
            if (force && fs::exists(fs::symlink_status(f->target_))) {
                const fs::path backup = unique_sibling(f->target_, ".old");
                if (std::rename(f->target_.c_str(), backup.c_str()) != 0) {
                    ::unlink(backup.c_str());
                    throw errno_error("cannot replace " + describe(f->target_));
                }
                backups.emplace_back(f->target_, backup);
            }
            if (::renameat2(AT_FDCWD, f->temp_.c_str(), AT_FDCWD, f->target_.c_str(),
                            RENAME_NOREPLACE) != 0) {
                if (errno == EEXIST) usage_error(describe(f->target_) + " already exists");
                throw errno_error("cannot create " + describe(f->target_));
            }
            f->installed_ = true;
            placed.push_back(f);
        }
    } catch (...) {
        for (PendingFile* f : placed) ::unlink(f->target_.c_str());
        for (const auto& [target, backup] : backups) std::rename(backup.c_str(), target.c_str());
        throw;
    }
    for (const auto& [target, backup] : backups) ::unlink(backup.c_str());
    for (const PendingFile* f : files) fsync_directory(f->target_.parent_path());
}

void write_new_file(const std::filesystem::path& path, std::span<const unsigned char> bytes,
                    unsigned mode, bool force) {
    PendingFile file(path, mode);
    file.write(bytes);
    PendingFile* files[] = {&file};
    install_files(files, force);
}

}  // namespace tipline::tooling
