// File helpers built on POSIX calls, so modes, O_EXCL and fsync are explicit.
#include "tipline/tooling/file_io.hpp"

#include <fcntl.h>
#include <libintl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
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

// Refuses a terminal where "-" asks for a file's bytes from standard input.
void refuse_terminal_input() {
    if (::isatty(STDIN_FILENO) == 1) {
        usage_error(::gettext("'-' reads standard input, which is the terminal here"),
                    {::gettext("redirect a file into it (< FILE), or give the file's name instead "
                               "of '-'")});
    }
}

// The descriptor a path names when the shell opened it for the tool: /dev/stdout, /dev/stderr,
// /dev/fd/N, /proc/self/fd/N.
std::optional<int> named_descriptor(const std::filesystem::path& path) {
    const std::string text = path.lexically_normal().string();
    if (text == "/dev/stdout") return STDOUT_FILENO;
    if (text == "/dev/stderr") return STDERR_FILENO;
    for (const std::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
        if (!text.starts_with(prefix)) continue;
        const std::string_view digits = std::string_view(text).substr(prefix.size());
        int fd = -1;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), fd);
        if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty()) return fd;
    }
    return std::nullopt;
}

enum class OutputKind { standard_output, descriptor, device_or_fifo, new_file };

// What an output path is, with every refusal StreamOutput makes before it writes.
OutputKind output_kind(const std::filesystem::path& path, bool force) {
    namespace fs = std::filesystem;
    if (is_standard_stream(path)) return OutputKind::standard_output;
    if (named_descriptor(path)) return OutputKind::descriptor;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) usage_error(about(::gettext("'{file}' is a folder"), path));
        if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) return OutputKind::device_or_fifo;
        if (!S_ISREG(st.st_mode)) {
            usage_error(about(::gettext("'{file}' is neither a regular file, nor a pipe, nor a "
                                        "character device"),
                              path));
        }
    }
    std::error_code ec;
    if (!force && fs::exists(fs::symlink_status(path, ec))) {
        usage_error(about(::gettext("'{file}' already exists"), path),
                    {::gettext("refusing to overwrite it; choose another path")});
    }
    return OutputKind::new_file;
}

bool standard_input_claimed = false;

}  // namespace

bool is_standard_stream(const std::filesystem::path& path) { return path == "-"; }

void refuse_standard_stream_for_file(const std::filesystem::path& path, std::string_view option,
                                     const std::string& why) {
    if (!is_standard_stream(path)) return;
    usage_error(
        // TRANSLATORS: {option} is a command-line option such as --out; '-' is typed as it is.
        fill_placeholders(::gettext("{option} takes a file, not '-' (standard input or output)"),
                          {{"option", option}}),
        {why});
}

void refuse_standard_stream_for_folder(const std::filesystem::path& path, std::string_view option) {
    if (!is_standard_stream(path)) return;
    usage_error(
        // TRANSLATORS: {option} is a command-line option such as --out; '-' is typed as it is.
        fill_placeholders(::gettext("{option} takes a folder, not '-' (standard input or output)"),
                          {{"option", option}}));
}

void claim_standard_input() {
    if (standard_input_claimed) {
        usage_error(::gettext("standard input can be read only once, and two options ask for it"),
                    {::gettext("give all but one of them a file instead of '-'")});
    }
    standard_input_claimed = true;
}

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

UniqueFd open_input(const std::filesystem::path& path) {
    if (!is_standard_stream(path)) return open_for_reading(path);
    claim_standard_input();
    refuse_terminal_input();
    const std::string what = ::gettext("standard input");
    struct stat st {};
    if (::fstat(STDIN_FILENO, &st) != 0) throw errno_error(::gettext("cannot read standard input"));
    if (S_ISREG(st.st_mode) && ::lseek(STDIN_FILENO, 0, SEEK_CUR) == 0) {
        UniqueFd fd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));
        if (!fd) throw errno_error(::gettext("cannot read standard input"));
        return fd;
    }
    // A pipe can be read only once, and its size is known only at its end.
    UniqueFd copy = anonymous_temp_file();
    FdSource in(STDIN_FILENO, what);
    // TRANSLATORS: fills "cannot write {what}" and similar messages.
    FdSink out(copy.get(), ::gettext("a temporary file"));
    std::vector<unsigned char> buffer(1 << 16);
    for (std::size_t n; (n = in.read(buffer)) > 0;) out.write(std::span(buffer).first(n));
    if (::lseek(copy.get(), 0, SEEK_SET) != 0)
        throw errno_error(::gettext("cannot read back a temporary file"));
    return copy;
}

std::vector<unsigned char> read_input_start(const std::filesystem::path& path,
                                            std::size_t max_size) {
    UniqueFd file;
    int fd = STDIN_FILENO;
    if (is_standard_stream(path)) {
        claim_standard_input();
        refuse_terminal_input();
    } else {
        file = open_for_reading(path);
        fd = file.get();
    }
    std::vector<unsigned char> bytes(max_size + 1);
    FdSource source(
        fd, is_standard_stream(path) ? std::string(::gettext("standard input")) : describe(path));
    bytes.resize(source.read(bytes));
    return bytes;
}

std::vector<unsigned char> read_small_input(const std::filesystem::path& path,
                                            std::size_t max_size) {
    std::vector<unsigned char> bytes = read_input_start(path, max_size);
    if (bytes.size() > max_size) {
        if (is_standard_stream(path))
            usage_error(::gettext("standard input holds more than expected"));
        usage_error(about(::gettext("'{file}' is larger than expected"), path));
    }
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

StreamOutput::StreamOutput(const std::filesystem::path& path, unsigned mode, bool force)
    : name_("'" + path.string() + "'"), force_(force) {
    switch (output_kind(path, force)) {
        case OutputKind::standard_output:
            name_ = ::gettext("standard output");
            stream_ = UniqueFd(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0));
            break;
        case OutputKind::descriptor:
            stream_ = UniqueFd(::fcntl(*named_descriptor(path), F_DUPFD_CLOEXEC, 0));
            break;
        case OutputKind::device_or_fifo:
            // A FIFO's open waits for its reader, as a shell's redirection does.
            stream_ = UniqueFd(::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC));
            break;
        case OutputKind::new_file:
            file_.emplace(path, mode);
            return;
    }
    if (!stream_) throw errno_error(about(::gettext("cannot open '{file}' for writing"), path));
}

void StreamOutput::check(const std::filesystem::path& path, bool force) {
    (void)output_kind(path, force);
}

bool StreamOutput::is_terminal() const { return ::isatty(fd()) == 1; }

bool StreamOutput::shares_standard_output() const {
    struct stat out {
    }, standard{};
    return ::fstat(fd(), &out) == 0 && ::fstat(STDOUT_FILENO, &standard) == 0 &&
           out.st_dev == standard.st_dev && out.st_ino == standard.st_ino;
}

void StreamOutput::finish() {
    if (file_) {
        PendingFile* files[] = {&*file_};
        install_files(files, force_);
        return;
    }
    // A file the shell opened (> FILE with /dev/stdout) is on disk once this returns, as a new one.
    struct stat st {};
    if (::fstat(stream_.get(), &st) == 0 && S_ISREG(st.st_mode))
        fsync_or_throw(stream_.get(), name_);
}

void write_new_file(const std::filesystem::path& path, std::span<const unsigned char> bytes,
                    unsigned mode, bool force) {
    PendingFile file(path, mode);
    file.write(bytes);
    PendingFile* files[] = {&file};
    install_files(files, force);
}

}  // namespace tipline::tooling
