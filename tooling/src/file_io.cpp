// File helpers built on POSIX calls, so modes, O_EXCL and fsync are explicit.
#include "tipline/tooling/file_io.hpp"

#include <fcntl.h>
#include <libintl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string_view>
#include <system_error>
#include <utility>

#include "tipline/tooling/diagnostics.hpp"

namespace tipline::tooling {
namespace {

std::string describe(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// A message about a path: its {file} placeholder filled.
std::string about(const char* translated, const std::filesystem::path& path) {
    return fill_placeholders(translated, {{"file", path.string()}});
}

// The message, then ": " and the text of errno (std::system_error's what()).
std::system_error errno_error(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

// Creates an empty file beside target with a unique name (mkstemp) and returns its path.
std::filesystem::path unique_sibling(const std::filesystem::path& target, std::string_view tag) {
    std::string pattern = target.string() + std::string(tag) + "-XXXXXX";
    const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        const std::error_code ec(errno, std::generic_category());
        io_error(fill_placeholders(::gettext("cannot create a file beside '{file}': {error}"),
                                   {{"file", target.string()}, {"error", ec.message()}}));
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
        io_error(fill_placeholders(::gettext("cannot open '{file}': {error}"),
                                   {{"file", path.string()}, {"error", ec.message()}}));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        usage_error(about(::gettext("'{file}' is not a regular file"), path));
    }
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
        throw errno_error(about(::gettext("cannot read '{file}'"), path));
    }
    return fd;
}

std::vector<unsigned char> read_small_file(const std::filesystem::path& path,
                                           std::size_t max_size) {
    UniqueFd fd = open_for_reading(path);
    std::vector<unsigned char> bytes(max_size + 1);
    FdSource source(fd.get(), describe(path));
    const std::size_t n = source.read(bytes);
    if (n > max_size) usage_error(about(::gettext("'{file}' is larger than expected"), path));
    bytes.resize(n);
    return bytes;
}

UniqueFd anonymous_temp_file() {
    const char* env = std::getenv("TMPDIR");
    const std::string dir = env != nullptr && *env != '\0' ? env : "/tmp";
    UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (!fd) {
        throw errno_error(fill_placeholders(
            ::gettext("cannot create a temporary file in '{folder}'"), {{"folder", dir}}));
    }
    return fd;
}

void fsync_or_throw(int fd, const std::string& what) {
    if (::fsync(fd) != 0) {
        // TRANSLATORS: {what} is what the caller names: a file's path in quotes, or "an
        // attachment".
        const char* message = ::gettext("cannot flush {what} to disk");
        throw errno_error(fill_placeholders(message, {{"what", what}}));
    }
}

void fsync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        throw errno_error(fill_placeholders(::gettext("cannot open folder '{folder}'"),
                                            {{"folder", dir.string()}}));
    }
    if (::fsync(fd.get()) != 0) {
        throw errno_error(fill_placeholders(::gettext("cannot flush folder '{folder}' to disk"),
                                            {{"folder", dir.string()}}));
    }
}

PendingFile::PendingFile(std::filesystem::path target, unsigned mode)
    : target_(std::move(target)), temp_(unique_sibling(target_, ".tmp")) {
    fd_ = UniqueFd(::open(temp_.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd_ || ::fchmod(fd_.get(), mode) != 0) {
        ::unlink(temp_.c_str());
        throw errno_error(about(::gettext("cannot prepare '{file}'"), target_));
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
        if (::fsync(f->fd()) != 0)
            throw errno_error(about(::gettext("cannot flush '{file}' to disk"), f->target_));
        f->fd_.reset();
    }
    if (!force) {
        for (const PendingFile* f : files) {
            if (fs::exists(fs::symlink_status(f->target_))) {
                usage_error(about(::gettext("'{file}' already exists"), f->target_),
                            {::gettext("refusing to overwrite it; choose another path")});
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
                    throw errno_error(about(::gettext("cannot replace '{file}'"), f->target_));
                }
                backups.emplace_back(f->target_, backup);
            }
            if (::renameat2(AT_FDCWD, f->temp_.c_str(), AT_FDCWD, f->target_.c_str(),
                            RENAME_NOREPLACE) != 0) {
                if (errno == EEXIST)
                    usage_error(about(::gettext("'{file}' already exists"), f->target_));
                throw errno_error(about(::gettext("cannot create '{file}'"), f->target_));
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
