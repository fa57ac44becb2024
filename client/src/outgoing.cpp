// Preparing the parts of an outgoing tip.
#include "tipline/client/outgoing.hpp"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <utility>

#include "tipline/client/display_text.hpp"
#include "tipline/client/image_metadata.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/client/safe_name.hpp"
#include "tipline/crypto/utf8.hpp"
#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return s;
}

std::string cut_name(std::string name) {
    while (name.size() > crypto::tip_max_name_size) {
        name.pop_back();
        while (!name.empty() && !crypto::is_valid_utf8(name)) name.pop_back();
    }
    return name;
}

}  // namespace

std::string media_type_for(const std::filesystem::path& path) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> table = {{
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".png", "image/png"},
        {".webp", "image/webp"},
        {".gif", "image/gif"},
        {".heic", "image/heic"},
        {".pdf", "application/pdf"},
        {".txt", "text/plain"},
        {".mp4", "video/mp4"},
        {".mov", "video/quicktime"},
        {".m4a", "audio/mp4"},
        {".mp3", "audio/mpeg"},
        {".ogg", "audio/ogg"},
        {".wav", "audio/wav"},
        {".zip", "application/zip"},
        {".csv", "text/csv"},
        {".doc", "application/msword"},
        {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    }};
    const std::string ext = lower(path.extension().string());
    for (const auto& [e, type] : table) {
        if (e == ext) return std::string(type);
    }
    return "application/octet-stream";
}

OutgoingAttachment prepare_attachment(const std::filesystem::path& path) {
    refuse_standard_stream_for_file(
        path, "--file",
        tr("a file goes into the tip with its name; save what is to be attached in a file first"));
    OutgoingAttachment a;
    a.fd = open_for_reading(path);
    struct stat st {};
    if (::fstat(a.fd.get(), &st) != 0)
        io_error(tr("cannot inspect '{file}'", {{"file", path.string()}}));
    a.info.name = cut_name(path.filename().string());
    if (a.info.name.empty() || !crypto::is_valid_utf8(a.info.name)) {
        usage_error(tr("the name of '{file}' is not valid UTF-8", {{"file", path.string()}}),
                    {tr("rename the file and try again")});
    }
    a.info.media_type = media_type_for(path);
    a.info.size = static_cast<std::uint64_t>(st.st_size);
    a.source = std::make_unique<FdSource>(a.fd.get(), "'" + path.string() + "'");
    return a;
}

std::string strip_attachment_metadata(const std::filesystem::path& path, OutgoingAttachment& a) {
    unsigned char head[16] = {};
    const ssize_t got = ::pread(a.fd.get(), head, sizeof head, 0);
    if (got < 0) io_error(tr("cannot read '{file}'", {{"file", path.string()}}));
    if (detect_image_format({head, static_cast<std::size_t>(got)}) == ImageFormat::not_an_image)
        return {};
    if (a.info.size > max_image_size) {
        io_error(tr("'{file}' is too large to remove its metadata (over 256 MiB)",
                    {{"file", path.string()}}),
                 {tr("remove the metadata yourself and send it with --keep-metadata")});
    }
    std::vector<unsigned char> original(static_cast<std::size_t>(a.info.size));
    if (crypto::read_fully(*a.source, original) != original.size())
        io_error(tr("'{file}' changed while it was read", {{"file", path.string()}}));
    CleanedImage cleaned;
    if (const std::error_code ec = strip_image_metadata(original, cleaned)) {
        std::vector<std::string> hints;
        if (!cleaned.detail.empty())
            hints.push_back(tr("the image library said: {detail}",
                               {{"detail", escape_for_display(cleaned.detail)}}));
        hints.push_back(
            tr("nothing was sent; to send the file as it is, metadata and all, add "
               "--keep-metadata"));
        io_error(tr("cannot remove the metadata of '{file}': {error}",
                    {{"file", path.string()}, {"error", ec.message()}}),
                 hints);
    }
    sodium_memzero(original.data(), original.size());
    a.cleaned = std::move(cleaned.bytes);
    a.info.size = a.cleaned.size();
    a.source = std::make_unique<crypto::MemorySource>(a.cleaned);
    a.metadata_stripped = true;
    return cleaned.report.found_any() ? describe_removed(cleaned.report) : std::string();
}

std::string read_message(const std::filesystem::path& path, std::string_view tool) {
    UniqueFd owned;
    int fd = STDIN_FILENO;
    std::string what = "standard input";
    if (!path.empty() && !is_standard_stream(path)) {
        owned = open_for_reading(path);
        fd = owned.get();
        what = "'" + path.string() + "'";
    } else {
        try {
            claim_standard_input();
        } catch (const ToolError& e) {
            if (!path.empty()) throw;
            usage_error(e.what(), {tr("the message comes from standard input unless "
                                      "--message-file names a file")});
        }
        if (::isatty(STDIN_FILENO) == 1)
            print_warning(tool, tr("type the message, then press Ctrl-D on a new line"));
    }
    std::string message(crypto::tip_max_message_size + 1, '\0');
    FdSource source(fd, what);
    const std::size_t n =
        source.read({reinterpret_cast<unsigned char*>(message.data()), message.size()});
    if (n > crypto::tip_max_message_size) {
        usage_error(tr("the message is longer than 1 MiB"),
                    {tr("send long text as an attachment with --file")});
    }
    message.resize(n);
    if (!crypto::is_valid_utf8(message)) {
        usage_error(tr("the message is not valid UTF-8"),
                    {tr("save the text as UTF-8, or send it as an attachment with --file")});
    }
    return message;
}

}  // namespace tipline::client
