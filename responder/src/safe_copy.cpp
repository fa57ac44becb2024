// Safe copies: two bubblewrap sandboxes with a strict check of the pixels between them.
#include "tipline/responder/safe_copy.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "tipline/client/messages.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::responder {
namespace {

using client::tr;
using tooling::UniqueFd;

constexpr const char* bwrap = "/usr/bin/bwrap";
constexpr std::size_t max_stderr = 64 * 1024;

// Each message is whole, "no safe copy: " included, so that a translation can word it freely.
[[noreturn]] void fail(std::string message) {
    throw tooling::ToolError(tooling::exit_verification_failure, std::move(message));
}

bool is_space(unsigned char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// SIGPIPE ignored while a sandbox runs: one that stops reading its input must not end this process.
class IgnoreSigpipe {
  public:
    IgnoreSigpipe() { old_ = ::signal(SIGPIPE, SIG_IGN); }
    ~IgnoreSigpipe() { ::signal(SIGPIPE, old_); }
    IgnoreSigpipe(const IgnoreSigpipe&) = delete;
    IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

  private:
    sighandler_t old_;
};

bool starts_with(std::span<const unsigned char> head, std::string_view magic, std::size_t at = 0) {
    return head.size() >= at + magic.size() &&
           std::memcmp(head.data() + at, magic.data(), magic.size()) == 0;
}

struct SandboxResult {
    std::vector<unsigned char> out;
    std::string err;
    int status = -1;
    bool timed_out = false;
    bool too_much = false;
};

// Runs script under /bin/sh in a sandbox with no network, /usr read-only, a private /tmp of
// limits.tmp_bytes, and the process limits, feeding input on its standard input.
SandboxResult run_sandboxed(const std::string& script, std::span<const unsigned char> input,
                            const SafeCopyLimits& limits) {
    const std::string tmp_size = std::to_string(limits.tmp_bytes);
    const std::vector<std::string> args = {
        "bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64",
        "/lib64", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--ro-bind-try",
        "/etc/fonts", "/etc/fonts", "--ro-bind-try", "/var/cache/fontconfig",
        "/var/cache/fontconfig",
        // LibreOffice's configuration, which Debian keeps there.
        "--ro-bind-try", "/etc/libreoffice", "/etc/libreoffice", "--proc", "/proc", "--dev", "/dev",
        "--size", tmp_size, "--tmpfs", "/tmp", "--chdir", "/tmp", "--clearenv", "--setenv", "PATH",
        "/usr/bin", "--setenv", "HOME", "/tmp", "--", "/bin/sh", "-c", script};
    const IgnoreSigpipe no_sigpipe;
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
        ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        // TRANSLATORS: a safe copy: a copy of an attachment rebuilt from its pixels alone, in a
        // sandbox, that a responder can open without risk; the original may be built to attack
        // a reader. Pipes: the channels to the sandboxed programs.
        fail(tr("no safe copy: cannot make pipes: {error}", {{"error", std::strerror(errno)}}));
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        fail(tr("no safe copy: cannot start the sandbox: {error}",
                {{"error", std::strerror(errno)}}));
    }
    if (pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        const rlimit as{limits.memory, limits.memory};
        const rlimit cpu{limits.seconds, limits.seconds};
        const rlimit fsize{limits.tmp_bytes, limits.tmp_bytes};
        const rlimit files{limits.open_files, limits.open_files};
        ::setrlimit(RLIMIT_AS, &as);
        ::setrlimit(RLIMIT_CPU, &cpu);
        ::setrlimit(RLIMIT_FSIZE, &fsize);
        ::setrlimit(RLIMIT_NOFILE, &files);
        ::execv(bwrap, argv.data());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    UniqueFd to_child(in_pipe[1]), from_child(out_pipe[0]), errors(err_pipe[0]);
    ::fcntl(to_child.get(), F_SETFL, O_NONBLOCK);

    SandboxResult r;
    std::size_t written = 0;
    if (input.empty()) to_child.reset();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits.seconds);
    std::vector<unsigned char> buffer(1 << 16);
    while (from_child || errors) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            break;
        }
        pollfd fds[3];
        nfds_t n = 0;
        int out_at = -1, err_at = -1, in_at = -1;
        if (from_child) out_at = static_cast<int>(n), fds[n++] = {from_child.get(), POLLIN, 0};
        if (errors) err_at = static_cast<int>(n), fds[n++] = {errors.get(), POLLIN, 0};
        if (to_child) in_at = static_cast<int>(n), fds[n++] = {to_child.get(), POLLOUT, 0};
        if (::poll(fds, n, static_cast<int>(left.count())) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (in_at >= 0 && fds[in_at].revents != 0) {
            const ssize_t k =
                ::write(to_child.get(), input.data() + written, input.size() - written);
            if (k > 0) written += static_cast<std::size_t>(k);
            if (k < 0 && errno != EAGAIN) to_child.reset();  // it stopped reading
            if (written == input.size()) to_child.reset();
        }
        if (out_at >= 0 && fds[out_at].revents != 0) {
            const ssize_t k = ::read(from_child.get(), buffer.data(), buffer.size());
            if (k <= 0) {
                from_child.reset();
            } else {
                r.out.insert(r.out.end(), buffer.begin(), buffer.begin() + k);
                if (r.out.size() > limits.output_bytes) {
                    r.too_much = true;
                    break;
                }
            }
        }
        if (err_at >= 0 && fds[err_at].revents != 0) {
            const ssize_t k = ::read(errors.get(), buffer.data(), buffer.size());
            if (k <= 0) {
                errors.reset();
            } else if (r.err.size() < max_stderr) {
                r.err.append(reinterpret_cast<const char*>(buffer.data()),
                             static_cast<std::size_t>(k));
            }
        }
    }
    if (r.timed_out || r.too_much) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.status = status;
    return r;
}

// One image of a Netpbm stream, checked and given a canonical header.
struct Pixels {
    bool gray = false;
    unsigned width = 0, height = 0;
    std::span<const unsigned char> data;
};

// Reads the images of a PPM/PGM stream (P6 or P5, maxval 255, no comments), strictly.
std::vector<Pixels> parse_pixels(std::span<const unsigned char> stream,
                                 const SafeCopyLimits& limits) {
    std::vector<Pixels> images;
    std::size_t at = 0;
    const auto number = [&](unsigned max) {
        if (at >= stream.size() || stream[at] < '0' || stream[at] > '9')
            fail(tr("no safe copy: bad pixels"));
        std::uint64_t v = 0;
        while (at < stream.size() && stream[at] >= '0' && stream[at] <= '9') {
            v = v * 10 + (stream[at++] - '0');
            if (v > max) fail(tr("no safe copy: an image is too large"));
        }
        return static_cast<unsigned>(v);
    };
    const auto space = [&] {
        if (at >= stream.size() || !is_space(stream[at])) fail(tr("no safe copy: bad pixels"));
        while (at < stream.size() && is_space(stream[at])) ++at;
    };
    while (at < stream.size()) {
        if (stream.size() - at < 2 || stream[at] != 'P' ||
            (stream[at + 1] != '6' && stream[at + 1] != '5'))
            fail(tr("no safe copy: the renderer gave something other than pixels"));
        Pixels p;
        p.gray = stream[at + 1] == '5';
        at += 2;
        space();
        p.width = number(limits.max_side);
        space();
        p.height = number(limits.max_side);
        space();
        if (number(65535) != 255) fail(tr("no safe copy: pixels of another depth than 8 bits"));
        if (at >= stream.size() || !is_space(stream[at])) fail(tr("no safe copy: bad pixels"));
        ++at;
        if (p.width == 0 || p.height == 0) fail(tr("no safe copy: an empty image"));
        const std::uint64_t bytes = std::uint64_t{p.width} * p.height * (p.gray ? 1 : 3);
        if (stream.size() - at < bytes) fail(tr("no safe copy: the pixels end early"));
        p.data = stream.subspan(at, static_cast<std::size_t>(bytes));
        at += static_cast<std::size_t>(bytes);
        images.push_back(p);
        if (images.size() > limits.max_pages) fail(tr("no safe copy: too many pages"));
    }
    if (images.empty()) fail(tr("no safe copy: the file gave no pixels"));
    return images;
}

std::vector<unsigned char> canonical_stream(const std::vector<Pixels>& images) {
    std::vector<unsigned char> out;
    for (const Pixels& p : images) {
        const std::string header = std::string(p.gray ? "P5\n" : "P6\n") + std::to_string(p.width) +
                                   " " + std::to_string(p.height) + "\n255\n";
        out.insert(out.end(), header.begin(), header.end());
        out.insert(out.end(), p.data.begin(), p.data.end());
    }
    return out;
}

std::string render_script(SafeCopyInput input, const SafeCopyLimits& limits) {
    const std::string save = "cat > /tmp/in || exit 3; ";
    switch (input) {
        case SafeCopyInput::pdf:
            return save +
                   "pdfinfo /tmp/in 2>/dev/null | grep '^Pages:' >&2; pdftoppm -scale-to 1600 -l " +
                   std::to_string(limits.max_pages) +
                   " /tmp/in /tmp/p || exit 4; for f in /tmp/p-*.ppm; do cat \"$f\"; rm -f \"$f\"; "
                   "done";
        case SafeCopyInput::jpeg:
            return save + "djpeg -pnm /tmp/in";
        case SafeCopyInput::png:
            return save + "pngtopnm -mix /tmp/in | pamdepth 255";
        case SafeCopyInput::gif:
            return save + "giftopnm /tmp/in | pamdepth 255";
        case SafeCopyInput::webp:
            return save + "dwebp /tmp/in -ppm -o - 2>/dev/null";
        case SafeCopyInput::tiff:
            return save + "tifftopnm /tmp/in | pamdepth 255";
        case SafeCopyInput::office:
            // LibreOffice writes a PDF with a profile of its own in the sandbox's /tmp, then the
            // PDF's pages become pixels there too; only the pixels come out.
            return save +
                   "soffice --headless --norestore --nologo --nodefault --nolockcheck "
                   "-env:UserInstallation=file:///tmp/profile --convert-to pdf --outdir /tmp/out "
                   "/tmp/in >/dev/null 2>&1 && test -s /tmp/out/in.pdf || exit 5; "
                   "pdfinfo /tmp/out/in.pdf 2>/dev/null | grep '^Pages:' >&2; pdftoppm -scale-to "
                   "1600 -l " +
                   std::to_string(limits.max_pages) +
                   " /tmp/out/in.pdf /tmp/p || exit 4; for f in /tmp/p-*.ppm; do cat \"$f\"; rm -f "
                   "\"$f\"; done";
        case SafeCopyInput::unsupported:
            break;
    }
    fail(
        tr("no safe copy: only PDFs, Office documents, JPEG, PNG, GIF, WebP and TIFF images get "
           "safe copies"));
}

}  // namespace

SafeCopyInput sniff_safe_copy_input(std::span<const unsigned char> head) noexcept {
    if (starts_with(head, "%PDF-")) return SafeCopyInput::pdf;
    if (starts_with(head, "\xFF\xD8\xFF")) return SafeCopyInput::jpeg;
    if (starts_with(head, "\x89PNG\r\n\x1A\n")) return SafeCopyInput::png;
    if (starts_with(head, "GIF87a") || starts_with(head, "GIF89a")) return SafeCopyInput::gif;
    if (starts_with(head, "RIFF") && starts_with(head, "WEBP", 8)) return SafeCopyInput::webp;
    if (starts_with(head, std::string_view("II*\0", 4)) ||
        starts_with(head, std::string_view("MM\0*", 4)))
        return SafeCopyInput::tiff;
    // Word, Excel and PowerPoint before 2007 (OLE2 compound files), and RTF.
    if (starts_with(head, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") || starts_with(head, "{\\rtf"))
        return SafeCopyInput::office;
    // A ZIP archive is an Office document when it holds OOXML's or OpenDocument's parts: their
    // names are stored in the clear, in each entry's header and in the directory at the end.
    if (starts_with(head, "PK\x03\x04")) {
        const std::string_view all(reinterpret_cast<const char*>(head.data()), head.size());
        const std::size_t window = 64 * 1024;
        for (const std::string_view part :
             {std::string_view(all.substr(0, window)),
              all.substr(all.size() - std::min(all.size(), window))}) {
            for (const std::string_view name :
                 {std::string_view("[Content_Types].xml"),
                  std::string_view("mimetypeapplication/vnd.oasis.opendocument.")}) {
                if (part.find(name) != std::string_view::npos) return SafeCopyInput::office;
            }
        }
    }
    return SafeCopyInput::unsupported;
}

bool office_copies_available() { return ::access("/usr/bin/soffice", X_OK) == 0; }

bool safe_copies_available(std::string& missing) {
    missing.clear();
    for (const char* tool :
         {"/usr/bin/bwrap", "/usr/bin/pdftoppm", "/usr/bin/pdfinfo", "/usr/bin/gm",
          "/usr/bin/djpeg", "/usr/bin/pngtopnm", "/usr/bin/giftopnm", "/usr/bin/tifftopnm",
          "/usr/bin/pamdepth", "/usr/bin/dwebp", "/usr/bin/pnmtopng"}) {
        if (::access(tool, X_OK) != 0) missing += (missing.empty() ? "" : ", ") + std::string(tool);
    }
    return missing.empty();
}

SafeCopy make_safe_copy(std::span<const unsigned char> original, SafeCopyInput input,
                        const SafeCopyLimits& limits) {
    std::string missing;
    if (!safe_copies_available(missing)) {
        throw tooling::ToolError(
            tooling::exit_usage_or_io,
            // TRANSLATORS: {tools} is a list of programs' paths, as /usr/bin/bwrap, /usr/bin/gm.
            tr("safe copies need tools this machine lacks: {tools}", {{"tools", missing}}),
            // TRANSLATORS: a command to type: keep it as it is.
            {tr("install them: apt-get install bubblewrap poppler-utils graphicsmagick netpbm "
                "libjpeg-turbo-progs webp")});
    }
    SafeCopyLimits render_limits = limits;
    if (input == SafeCopyInput::office) {
        if (!office_copies_available()) {
            throw tooling::ToolError(
                tooling::exit_usage_or_io,
                tr("safe copies of Office documents need LibreOffice, which this machine lacks"),
                // TRANSLATORS: a command to type: keep it as it is.
                {tr("install it: apt-get install --no-install-recommends libreoffice-writer-nogui "
                    "libreoffice-calc-nogui libreoffice-impress-nogui")});
        }
        // LibreOffice maps far more than the other renderers, and opens more files.
        render_limits.memory = std::max<std::uint64_t>(limits.memory, std::uint64_t{8} << 30);
        render_limits.open_files = std::max(limits.open_files, 1024U);
    }
    SandboxResult rendered = run_sandboxed(render_script(input, limits), original, render_limits);
    const auto cleanup = [](SandboxResult& r) { sodium_memzero(r.out.data(), r.out.size()); };
    if (rendered.timed_out) fail(tr("no safe copy: rendering took too long"));
    if (rendered.too_much) fail(tr("no safe copy: the rendered pixels are too large"));
    if (!WIFEXITED(rendered.status) || WEXITSTATUS(rendered.status) != 0) {
        cleanup(rendered);
        fail(
            tr("no safe copy: the file could not be rendered (it may be damaged, or built to "
               "attack a reader)"));
    }
    SafeCopy copy;
    std::vector<unsigned char> pixels;
    try {
        const std::vector<Pixels> images = parse_pixels(rendered.out, limits);
        copy.pages = static_cast<unsigned>(images.size());
        pixels = canonical_stream(images);
    } catch (...) {
        cleanup(rendered);
        throw;
    }
    cleanup(rendered);
    if (input == SafeCopyInput::pdf || input == SafeCopyInput::office) {
        const std::size_t at = rendered.err.find("Pages:");
        if (at != std::string::npos) {
            const unsigned total =
                static_cast<unsigned>(std::strtoul(rendered.err.c_str() + at + 6, nullptr, 10));
            if (total > copy.pages) {
                copy.note = "the first " + std::to_string(copy.pages) + " of " +
                            std::to_string(total) + " pages";
            }
        }
    }

    const bool pdf = input == SafeCopyInput::pdf || input == SafeCopyInput::office;
    const std::string build =
        pdf ? "gm convert -units PixelsPerInch -density 100x100 pnm:- -compress JPEG -quality 85 "
              "pdf:-"
            : "pnmtopng";
    SandboxResult built = run_sandboxed(build, pixels, limits);
    sodium_memzero(pixels.data(), pixels.size());
    if (built.timed_out) fail(tr("no safe copy: rebuilding took too long"));
    if (built.too_much) fail(tr("no safe copy: the rebuilt file is too large"));
    const std::string_view magic = pdf ? "%PDF-" : "\x89PNG\r\n\x1A\n";
    if (!WIFEXITED(built.status) || WEXITSTATUS(built.status) != 0 ||
        !starts_with(built.out, magic)) {
        cleanup(built);
        fail(tr("no safe copy: the pixels could not be rebuilt into a file"));
    }
    copy.bytes = std::move(built.out);
    copy.media_type = pdf ? "application/pdf" : "image/png";
    copy.extension = pdf ? ".pdf" : ".png";
    return copy;
}

}  // namespace tipline::responder
