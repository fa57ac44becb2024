// mat2 in a bubblewrap sandbox, fed and drained through pipes, and the formats it is used for.
#include "tipline/client/document_metadata.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include "tipline/client/display_text.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {
namespace {

using Bytes = std::vector<unsigned char>;
using ByteView = std::span<const unsigned char>;

class Category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "tipline.document"; }
    std::string message(int value) const override {
        switch (static_cast<DocumentError>(value)) {
            case DocumentError::cannot_clean:
                return tr("its format carries metadata that cannot be removed here");
            case DocumentError::too_large:
                return tr("the file is too large to clean (over 256 MiB)");
            case DocumentError::sandbox_failed:
                return tr("the sandbox that cleans files could not run");
            case DocumentError::mat2_failed:
                return tr("mat2 could not clean the file; it may be damaged");
            case DocumentError::timed_out:
                return tr("cleaning took too long and was stopped");
            case DocumentError::output_too_large:
                return tr("the cleaned copy grew too large");
        }
        return tr("unknown error");
    }
};

bool starts_with(ByteView data, std::size_t at, std::string_view text) {
    return data.size() >= at && data.size() - at >= text.size() &&
           std::memcmp(data.data() + at, text.data(), text.size()) == 0;
}

std::uint32_t le16(ByteView d, std::size_t at) {
    return std::uint32_t{d[at]} | std::uint32_t{d[at + 1]} << 8;
}
std::uint32_t le32(ByteView d, std::size_t at) { return le16(d, at) | le16(d, at + 2) << 16; }

// One zip member's bytes, inflated if need be, at most limit bytes; nullopt when the zip is broken.
std::optional<std::string> zip_member(ByteView zip, std::string_view wanted, std::size_t limit) {
    constexpr std::size_t eocd_size = 22;
    if (zip.size() < eocd_size) return std::nullopt;
    // The end-of-central-directory record is within the last 64 KiB (its comment) plus its size.
    std::size_t eocd = zip.size() - eocd_size;
    const std::size_t lowest = zip.size() > 65535 + eocd_size ? zip.size() - 65535 - eocd_size : 0;
    while (!(le32(zip, eocd) == 0x06054b50)) {
        if (eocd == lowest) return std::nullopt;
        --eocd;
    }
    const std::size_t entries = le16(zip, eocd + 10);
    std::size_t pos = le32(zip, eocd + 16);
    for (std::size_t i = 0; i < entries; ++i) {
        if (pos > zip.size() || zip.size() - pos < 46 || le32(zip, pos) != 0x02014b50)
            return std::nullopt;
        const std::uint32_t method = le16(zip, pos + 10);
        const std::size_t packed = le32(zip, pos + 20);
        const std::size_t name_size = le16(zip, pos + 28);
        const std::size_t extra = le16(zip, pos + 30), comment = le16(zip, pos + 32);
        const std::size_t local = le32(zip, pos + 42);
        if (zip.size() - pos - 46 < name_size) return std::nullopt;
        const std::string_view name(reinterpret_cast<const char*>(zip.data() + pos + 46),
                                    name_size);
        pos += 46 + name_size + extra + comment;
        if (name != wanted) continue;
        if (local > zip.size() || zip.size() - local < 30 || le32(zip, local) != 0x04034b50)
            return std::nullopt;
        const std::size_t start = local + 30 + le16(zip, local + 26) + le16(zip, local + 28);
        if (start > zip.size() || zip.size() - start < packed) return std::nullopt;
        const ByteView data = zip.subspan(start, packed);
        if (method == 0) {
            return std::string(reinterpret_cast<const char*>(data.data()),
                               std::min(data.size(), limit));
        }
        if (method != 8) return std::nullopt;
        std::string out(limit, '\0');
        z_stream z{};
        if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return std::nullopt;
        z.next_in = const_cast<Bytef*>(data.data());
        z.avail_in = static_cast<uInt>(data.size());
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        const int rc = inflate(&z, Z_FINISH);
        out.resize(out.size() - z.avail_out);
        inflateEnd(&z);
        if (rc != Z_STREAM_END && rc != Z_BUF_ERROR && rc != Z_OK) return std::nullopt;
        return out;
    }
    return std::nullopt;
}

DocumentFormat detect_zip(ByteView zip) {
    constexpr std::size_t enough = 256 * 1024;
    if (const auto mimetype = zip_member(zip, "mimetype", 256)) {
        const std::string_view m = *mimetype;
        if (m == "application/epub+zip") return DocumentFormat::epub;
        if (m == "application/vnd.oasis.opendocument.text") return DocumentFormat::odt;
        if (m == "application/vnd.oasis.opendocument.spreadsheet") return DocumentFormat::ods;
        if (m == "application/vnd.oasis.opendocument.presentation") return DocumentFormat::odp;
        if (m.starts_with("application/vnd.oasis.opendocument.")) return DocumentFormat::odg;
    }
    if (const auto types = zip_member(zip, "[Content_Types].xml", enough)) {
        const auto has = [&](std::string_view s) { return types->find(s) != std::string::npos; };
        // The main part's type names the application, whatever the template or macro variant.
        if (has("wordprocessingml.document.main+xml") ||
            has("wordprocessingml.template.main+xml") ||
            has("ms-word.document.macroEnabled.main+xml")) {
            return DocumentFormat::docx;
        }
        if (has("spreadsheetml.sheet.main+xml") || has("spreadsheetml.template.main+xml") ||
            has("ms-excel.sheet.macroEnabled.main+xml")) {
            return DocumentFormat::xlsx;
        }
        if (has("presentationml.presentation.main+xml") ||
            has("presentationml.template.main+xml") || has("presentationml.slideshow.main+xml") ||
            has("ms-powerpoint.presentation.macroEnabled.main+xml")) {
            return DocumentFormat::pptx;
        }
    }
    return DocumentFormat::none;
}

// The ISO media family by its major brand; HEIF and AVIF images are not videos.
DocumentFormat detect_iso_media(ByteView d) {
    if (d.size() < 12) return DocumentFormat::none;
    const std::string_view brand(reinterpret_cast<const char*>(d.data() + 8), 4);
    static constexpr std::array<std::string_view, 9> images = {
        "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif"};
    if (std::find(images.begin(), images.end(), brand) != images.end()) return DocumentFormat::none;
    if (brand.starts_with("crx")) return DocumentFormat::none;  // Canon raw photos
    return DocumentFormat::mp4;
}

struct FormatInfo {
    DocumentFormat format;
    std::string_view extension;  // what mat2 is told, by the name of the file in the sandbox
    std::string_view kind;
};

constexpr std::array<FormatInfo, 20> formats = {{
    {DocumentFormat::none, "", tr_noop("file")},
    {DocumentFormat::pdf, "pdf", tr_noop("PDF document")},
    {DocumentFormat::docx, "docx", tr_noop("Word document")},
    {DocumentFormat::xlsx, "xlsx", tr_noop("Excel spreadsheet")},
    {DocumentFormat::pptx, "pptx", tr_noop("PowerPoint presentation")},
    {DocumentFormat::odt, "odt", tr_noop("OpenDocument text")},
    {DocumentFormat::ods, "ods", tr_noop("OpenDocument spreadsheet")},
    {DocumentFormat::odp, "odp", tr_noop("OpenDocument presentation")},
    {DocumentFormat::odg, "odg", tr_noop("OpenDocument file")},
    {DocumentFormat::epub, "epub", tr_noop("EPUB book")},
    {DocumentFormat::mp3, "mp3", tr_noop("MP3 recording")},
    {DocumentFormat::ogg, "ogg", tr_noop("Ogg recording")},
    {DocumentFormat::flac, "flac", tr_noop("FLAC recording")},
    {DocumentFormat::wav, "wav", tr_noop("WAV recording")},
    {DocumentFormat::aiff, "aiff", tr_noop("AIFF recording")},
    {DocumentFormat::mp4, "mp4", tr_noop("MP4 or QuickTime video")},
    {DocumentFormat::avi, "avi", tr_noop("AVI video")},
    {DocumentFormat::wmv, "wmv", tr_noop("WMV video")},
    {DocumentFormat::legacy_office, "",
     tr_noop("old Microsoft Office document (.doc, .xls, .ppt)")},
    {DocumentFormat::matroska, "", tr_noop("Matroska or WebM video")},
}};

const FormatInfo& info_of(DocumentFormat format) {
    for (const FormatInfo& f : formats) {
        if (f.format == format) return f;
    }
    return formats[0];
}

// ---- the sandboxed run ----

// What goes through the shell in the sandbox: the input on fd 0, mat2's list before cleaning on fd
// 3, the list of the cleaned copy on fd 4, the cleaned copy on fd 1, mat2's messages on fd 2.
// mat2's own bubblewrap must stay off, since it cannot nest inside this one. In Debian's mat2
// 0.13.3 "--no-sandbox" is inverted (store_true into "sandbox"): leaving it out is what turns it
// off. A mat2 that sandboxes by default fails here, and the file is refused rather than sent.
std::string sandbox_script(std::string_view ext) {
    const std::string in = "/tmp/in." + std::string(ext);
    const std::string out = "/tmp/in.cleaned." + std::string(ext);
    return "umask 077; cat > " + in + " || exit 64; /usr/bin/mat2 --show " + in +
           " >&3 || exit 65; /usr/bin/mat2 " + in + " >&2 || exit 65; [ -s " + out +
           " ] || exit 65; /usr/bin/mat2 --show " + out + " >&4 || exit 66; exec cat " + out;
}

constexpr int exit_mat2_failed = 65;

std::vector<std::string> bwrap_arguments(std::string_view ext, std::size_t tmpfs_bytes) {
    return {"/usr/bin/bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop",
            "ALL", "--clearenv", "--setenv", "PATH", "/usr/bin", "--setenv", "HOME", "/tmp",
            "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8", "--ro-bind", "/usr",
            "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--symlink",
            "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--ro-bind-try",
            "/etc/ld.so.cache", "/etc/ld.so.cache",
            // ffmpeg's BLAS and LAPACK libraries are links through the alternatives system.
            "--ro-bind-try", "/etc/alternatives", "/etc/alternatives",
            // mat2 picks its parser by the file name's type, which Python looks up here.
            "--ro-bind-try", "/etc/mime.types", "/etc/mime.types",
            // Fonts, so that PDF pages keep their text when mat2 redraws them.
            "--ro-bind-try", "/etc/fonts", "/etc/fonts", "--ro-bind-try", "/var/cache/fontconfig",
            "/var/cache/fontconfig", "--proc", "/proc", "--dev", "/dev", "--size",
            std::to_string(tmpfs_bytes), "--tmpfs", "/tmp", "--chdir", "/tmp", "/bin/sh", "-c",
            sandbox_script(ext)};
}

struct Pipe {
    int read = -1, write = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category());
        read = fds[0];
        write = fds[1];
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_read() {
        if (read >= 0) ::close(read);
        read = -1;
    }
    void close_write() {
        if (write >= 0) ::close(write);
        write = -1;
    }
};

// SIGPIPE is ignored while the sandbox runs, so a sandbox that stops reading cannot kill the tool.
class IgnoreSigpipe {
  public:
    IgnoreSigpipe() {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        ::sigemptyset(&ignore.sa_mask);
        ::sigaction(SIGPIPE, &ignore, &old_);
    }
    ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &old_, nullptr); }
    IgnoreSigpipe(const IgnoreSigpipe&) = delete;
    IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

  private:
    struct sigaction old_ {};
};

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_sandbox(char* const* argv, const std::array<int, 5>& fds) {
    for (int i = 0; i < 5; ++i) {
        if (::dup2(fds[static_cast<std::size_t>(i)], i) < 0) ::_exit(127);
    }
    ::close_range(5, ~0U, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    char* const empty_environment[] = {nullptr};
    ::execve(argv[0], argv, empty_environment);
    ::_exit(127);
}

struct RunResult {
    bool started = false;
    bool timed_out = false;
    bool output_too_large = false;
    int status = -1;  // waitpid status
    Bytes out;
    std::string before, after, messages;
};

// Appends what fd has to sink, at most cap bytes in all; returns false at end of file.
bool drain(int fd, Bytes& sink, std::size_t cap, bool& over) {
    unsigned char buffer[65536];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;
    if (sink.size() + static_cast<std::size_t>(n) > cap) {
        over = true;
        return false;
    }
    sink.insert(sink.end(), buffer, buffer + n);
    return true;
}

RunResult run_sandbox(ByteView input, std::string_view ext, const SandboxLimits& limits) {
    RunResult r;
    std::vector<std::string> args = bwrap_arguments(ext, limits.tmpfs_bytes);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    IgnoreSigpipe no_sigpipe;
    Pipe in, out, err, before, after;
    const std::array<int, 5> child_fds = {in.read, out.write, err.write, before.write, after.write};
    const pid_t pid = ::fork();
    if (pid < 0) return r;
    if (pid == 0) exec_sandbox(argv.data(), child_fds);
    r.started = true;
    in.close_read();
    out.close_write();
    err.close_write();
    before.close_write();
    after.close_write();
    ::fcntl(in.write, F_SETFL, O_NONBLOCK);

    constexpr std::size_t list_cap = 4 * 1024 * 1024, message_cap = 64 * 1024;
    Bytes before_bytes, after_bytes, message_bytes;
    std::size_t written = 0;
    if (input.empty()) in.close_write();
    const auto deadline = std::chrono::steady_clock::now() + limits.time;
    bool over_list = false, over_message = false;
    while (in.write >= 0 || out.read >= 0 || err.read >= 0 || before.read >= 0 || after.read >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            break;
        }
        std::array<pollfd, 5> p = {{{in.write, POLLOUT, 0},
                                    {out.read, POLLIN, 0},
                                    {err.read, POLLIN, 0},
                                    {before.read, POLLIN, 0},
                                    {after.read, POLLIN, 0}}};
        const int ready =
            ::poll(p.data(), p.size(), static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        if (p[0].revents != 0) {
            const ssize_t n = ::write(in.write, input.data() + written, input.size() - written);
            if (n > 0) written += static_cast<std::size_t>(n);
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size())
                in.close_write();  // done, or the sandbox stopped reading
        }
        const auto pump = [](Pipe& pipe, short revents, Bytes& sink, std::size_t cap, bool& over) {
            if (revents != 0 && !drain(pipe.read, sink, cap, over)) pipe.close_read();
        };
        pump(out, p[1].revents, r.out, limits.output_bytes, r.output_too_large);
        pump(err, p[2].revents, message_bytes, message_cap, over_message);
        pump(before, p[3].revents, before_bytes, list_cap, over_list);
        pump(after, p[4].revents, after_bytes, list_cap, over_list);
        if (r.output_too_large || over_list) break;
    }
    if (r.timed_out || r.output_too_large || over_list) ::kill(pid, SIGKILL);
    in.close_write();
    out.close_read();
    err.close_read();
    before.close_read();
    after.close_read();
    while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
    }
    if (over_list) r.output_too_large = true;
    r.before.assign(before_bytes.begin(), before_bytes.end());
    r.after.assign(after_bytes.begin(), after_bytes.end());
    r.messages.assign(message_bytes.begin(), message_bytes.end());
    return r;
}

// mat2 --show prints "[+] Metadata for FILE:" headers (nested for the members of an archive) and
// "  NAME: VALUE" lines, or "No metadata found in FILE.".
std::vector<std::pair<std::string, std::string>> parse_show(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> fields;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        std::string_view line(text.data() + at, nl - at);
        at = nl + 1;
        const std::size_t first = line.find_first_not_of(' ');
        if (first == std::string_view::npos || first == 0) continue;  // headers start the line
        line.remove_prefix(first);
        if (line.starts_with("[") || line.starts_with("No metadata found")) continue;
        const std::size_t colon = line.find(": ");
        if (colon == std::string_view::npos || colon == 0) continue;
        fields.emplace_back(std::string(line.substr(0, colon)),
                            std::string(line.substr(colon + 2)));
    }
    return fields;
}

// The fields listed before and not after (or with another value), each name once. "format" is the
// file's version, not metadata.
std::vector<std::string> removed_fields(const std::string& before, const std::string& after) {
    const auto b = parse_show(before), a = parse_show(after);
    std::vector<std::string> removed;
    for (const auto& field : b) {
        if (field.first == "format") continue;
        if (std::find(a.begin(), a.end(), field) != a.end()) continue;
        if (std::find(removed.begin(), removed.end(), field.first) != removed.end()) continue;
        removed.push_back(field.first);
    }
    return removed;
}

// The last non-empty lines of what the sandbox wrote, for a hint, at most 300 bytes.
std::string last_lines(const std::string& text) {
    std::string t = text;
    const auto trim = [&t] {
        while (!t.empty() &&
               (t.back() == '\n' || t.back() == ' ' || t.back() == '.' || t.back() == ':'))
            t.pop_back();
    };
    trim();
    if (t.size() > 300) t = t.substr(t.size() - 300);
    std::replace(t.begin(), t.end(), '\n', ' ');
    trim();
    return t;
}

std::error_code fail(CleanedDocument& out, DocumentError e, std::string detail = {}) {
    if (!out.bytes.empty()) sodium_memzero(out.bytes.data(), out.bytes.size());
    out.bytes.clear();
    out.removed.clear();
    out.detail = std::move(detail);
    return e;
}

Bytes read_whole(int fd, std::size_t size, const std::filesystem::path& path) {
    Bytes bytes(size);
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::pread(fd, bytes.data() + got, size - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) tooling::io_error(tr("cannot read '{file}'", {{"file", path.string()}}));
        if (n == 0)
            tooling::io_error(tr("'{file}' changed while it was read", {{"file", path.string()}}));
        got += static_cast<std::size_t>(n);
    }
    return bytes;
}

}  // namespace

const std::error_category& document_error_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(DocumentError e) noexcept {
    return {static_cast<int>(e), document_error_category()};
}

DocumentFormat detect_document_format(std::span<const unsigned char> d) noexcept {
    try {
        // A PDF reader accepts the header anywhere in the first 1024 bytes.
        const std::string_view head(reinterpret_cast<const char*>(d.data()),
                                    std::min<std::size_t>(d.size(), 1024));
        if (head.find("%PDF-") != std::string_view::npos) return DocumentFormat::pdf;
        if (starts_with(d, 0, "PK\x03\x04")) return detect_zip(d);
        if (starts_with(d, 0, "ID3")) return DocumentFormat::mp3;
        // An MPEG layer II or III frame without a tag in front (not layer I, which a UTF-16 byte
        // order mark would look like).
        if (d.size() >= 3 && d[0] == 0xFF && (d[1] & 0xE0) == 0xE0 && (d[1] & 0x18) != 0x08 &&
            ((d[1] & 0x06) == 0x02 || (d[1] & 0x06) == 0x04) && (d[2] & 0xF0) != 0xF0 &&
            (d[2] & 0x0C) != 0x0C) {
            return DocumentFormat::mp3;
        }
        if (starts_with(d, 0, "OggS")) return DocumentFormat::ogg;
        if (starts_with(d, 0, "fLaC")) return DocumentFormat::flac;
        if (starts_with(d, 0, "RIFF") && starts_with(d, 8, "WAVE")) return DocumentFormat::wav;
        if (starts_with(d, 0, "RIFF") && starts_with(d, 8, "AVI ")) return DocumentFormat::avi;
        if (starts_with(d, 0, "FORM") && (starts_with(d, 8, "AIFF") || starts_with(d, 8, "AIFC")))
            return DocumentFormat::aiff;
        if (starts_with(d, 4, "ftyp")) return detect_iso_media(d);
        static constexpr unsigned char asf[] = {0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11,
                                                0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C};
        if (d.size() >= sizeof asf && std::equal(std::begin(asf), std::end(asf), d.begin()))
            return DocumentFormat::wmv;
        static constexpr unsigned char ole2[] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
        if (d.size() >= sizeof ole2 && std::equal(std::begin(ole2), std::end(ole2), d.begin()))
            return DocumentFormat::legacy_office;
        if (starts_with(d, 0, "\x1A\x45\xDF\xA3")) return DocumentFormat::matroska;
    } catch (...) {  // an allocation while inflating a zip member
    }
    return DocumentFormat::none;
}

std::string_view document_kind(DocumentFormat format) noexcept { return info_of(format).kind; }

namespace {

// The kind in the witness's language (each is a string literal, so data() ends in a null).
std::string translated_kind(DocumentFormat format) { return tr(document_kind(format).data()); }

}  // namespace

bool can_clean(DocumentFormat format) noexcept { return !info_of(format).extension.empty(); }

SandboxLimits limits_for(std::size_t input_size) noexcept {
    constexpr std::size_t mib = 1024 * 1024;
    SandboxLimits l;
    l.time = std::chrono::seconds(60) +
             std::chrono::seconds(static_cast<std::int64_t>(input_size / mib));
    l.output_bytes = 512 * mib;
    // The copy, mat2's working copy or unpacked members, and the cleaned copy.
    l.tmpfs_bytes = 3 * input_size + l.output_bytes + 64 * mib;
    return l;
}

std::error_code clean_document(std::span<const unsigned char> file, DocumentFormat format,
                               const SandboxLimits& limits, CleanedDocument& out) {
    out = CleanedDocument{};
    if (!can_clean(format)) return fail(out, DocumentError::cannot_clean);
    if (file.size() > max_document_size) return fail(out, DocumentError::too_large);
    if (::access("/usr/bin/bwrap", X_OK) != 0)
        return fail(out, DocumentError::sandbox_failed, "/usr/bin/bwrap is missing");
    if (::access("/usr/bin/mat2", X_OK) != 0)
        return fail(out, DocumentError::sandbox_failed, "/usr/bin/mat2 is missing");
    RunResult r = run_sandbox(file, info_of(format).extension, limits);
    out.bytes = std::move(r.out);
    if (!r.started) return fail(out, DocumentError::sandbox_failed, "cannot start a process");
    if (r.timed_out) return fail(out, DocumentError::timed_out);
    if (r.output_too_large) return fail(out, DocumentError::output_too_large);
    if (!WIFEXITED(r.status)) {
        return fail(out, DocumentError::sandbox_failed,
                    "the sandbox was stopped by signal " + std::to_string(WTERMSIG(r.status)));
    }
    if (WEXITSTATUS(r.status) == exit_mat2_failed)
        return fail(out, DocumentError::mat2_failed, last_lines(r.messages));
    if (WEXITSTATUS(r.status) != 0 || out.bytes.empty())
        return fail(out, DocumentError::sandbox_failed, last_lines(r.messages));
    out.removed = removed_fields(r.before, r.after);
    return {};
}

DocumentFormat attachment_document_format(const std::filesystem::path& path,
                                          const OutgoingAttachment& a) {
    unsigned char head[1024] = {};
    const ssize_t got = ::pread(a.fd.get(), head, sizeof head, 0);
    if (got < 0) tooling::io_error(tr("cannot read '{file}'", {{"file", path.string()}}));
    const ByteView start(head, static_cast<std::size_t>(got));
    // A zip is told by its members, from the whole file; a large one is not looked into.
    if (!starts_with(start, 0, "PK\x03\x04")) return detect_document_format(start);
    if (a.info.size > max_document_size) return DocumentFormat::none;
    Bytes whole = read_whole(a.fd.get(), static_cast<std::size_t>(a.info.size), path);
    const DocumentFormat format = detect_document_format(whole);
    sodium_memzero(whole.data(), whole.size());
    return format;
}

std::string clean_attachment_document(const std::filesystem::path& path, OutgoingAttachment& a) {
    const DocumentFormat format = attachment_document_format(path, a);
    if (format == DocumentFormat::none) return {};
    const std::string name = path.string();
    const std::string keep_hint =
        tr("nothing was sent; to send the file as it is, metadata and all, add --keep-metadata");
    if (!can_clean(format)) {
        tooling::io_error(
            tr("cannot remove the metadata of '{file}': it is an {kind}, which "
               "carries metadata mat2 cannot remove",
               {{"file", name}, {"kind", translated_kind(format)}}),
            {tr("save it in another format (PDF, .docx, .odt, MP4) and send that"), keep_hint});
    }
    if (a.info.size > max_document_size) {
        tooling::io_error(
            tr("'{file}' is too large to remove its metadata (over 256 MiB)", {{"file", name}}),
            {tr("remove the metadata yourself and send it with --keep-metadata")});
    }
    Bytes original = read_whole(a.fd.get(), static_cast<std::size_t>(a.info.size), path);
    CleanedDocument cleaned;
    const std::error_code ec =
        clean_document(original, format, limits_for(original.size()), cleaned);
    sodium_memzero(original.data(), original.size());
    if (ec) {
        std::vector<std::string> hints;
        if (!cleaned.detail.empty())
            hints.push_back(
                tr("the cleaner said: {detail}", {{"detail", escape_for_display(cleaned.detail)}}));
        if (ec == DocumentError::sandbox_failed)
            hints.push_back(tr("cleaning needs Debian's mat2 and bubblewrap packages"));
        hints.push_back(keep_hint);
        tooling::io_error(
            tr("cannot remove the metadata of '{file}' ({kind}): {error}",
               {{"file", name}, {"kind", translated_kind(format)}, {"error", ec.message()}}),
            hints);
    }
    a.cleaned = std::move(cleaned.bytes);
    a.info.size = a.cleaned.size();
    a.source = std::make_unique<crypto::MemorySource>(a.cleaned);
    a.metadata_stripped = true;
    std::string text;
    for (const std::string& field : cleaned.removed) {
        if (!text.empty()) text += ", ";
        text += field;
    }
    return escape_for_display(text);
}

}  // namespace tipline::client
