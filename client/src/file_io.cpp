// File helpers built on POSIX calls, so modes, O_EXCL and fsync are explicit.
#include "tipline/client/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>

#include "tipline/client/diagnostics.hpp"

namespace tipline::client {
namespace {

std::string describe(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

std::system_error errno_error(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

void write_all(int fd, std::span<const unsigned char> bytes, const std::string& what) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw errno_error("cannot write " + what);
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
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

std::size_t FdSource::read(std::span<unsigned char> out) {
    std::size_t total = 0;
    while (total < out.size()) {
        const ssize_t n = ::read(fd_, out.data() + total, out.size() - total);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw errno_error("cannot read " + what_);
        }
        if (n == 0) break;
        total += static_cast<std::size_t>(n);
    }
    return total;
}

void FdSink::write(std::span<const unsigned char> bytes) { write_all(fd_, bytes, what_); }

UniqueFd open_for_reading(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        const std::error_code ec(errno, std::generic_category());
        io_error("cannot open " + describe(path) + ": " + ec.message());
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        usage_error(describe(path) + " is not a regular file");
    }
    return fd;
}

std::vector<unsigned char> read_small_file(const std::filesystem::path& path, std::size_t max_size) {
    UniqueFd fd = open_for_reading(path);
    std::vector<unsigned char> bytes(max_size + 1);
    FdSource source(fd.get(), describe(path));
    const std::size_t n = source.read(bytes);
    if (n > max_size) usage_error(describe(path) + " is larger than expected");
    bytes.resize(n);
    return bytes;
}

void fsync_or_throw(int fd, const std::string& what) {
    if (::fsync(fd) != 0) throw errno_error("cannot flush " + what + " to disk");
}

void fsync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw errno_error("cannot open folder " + describe(dir));
    fsync_or_throw(fd.get(), "folder " + describe(dir));
}

UniqueFd create_exclusive(const std::filesystem::path& path, unsigned mode) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) {
        if (errno == EEXIST) {
            usage_error(describe(path) + " already exists", {"refusing to overwrite it; choose another path"});
        }
        const std::error_code ec(errno, std::generic_category());
        io_error("cannot create " + describe(path) + ": " + ec.message());
    }
    if (::fchmod(fd.get(), mode) != 0) throw errno_error("cannot set the mode of " + describe(path));
    return fd;
}

void write_new_file(const std::filesystem::path& path, std::span<const unsigned char> bytes, unsigned mode,
                    bool force) {
    const std::filesystem::path target = force ? std::filesystem::path(path.string() + ".tmp") : path;
    if (force) ::unlink(target.c_str());
    UniqueFd fd = create_exclusive(target, mode);
    write_all(fd.get(), bytes, describe(target));
    fsync_or_throw(fd.get(), describe(target));
    fd.reset();
    if (force && std::rename(target.c_str(), path.c_str()) != 0) {
        throw errno_error("cannot replace " + describe(path));
    }
    fsync_directory(path.parent_path());
}

}  // namespace tipline::client
