// Preparing the parts of an outgoing tip.
#include "tipline/client/outgoing.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <utility>

#include "tipline/client/diagnostics.hpp"
#include "tipline/crypto/utf8.hpp"

namespace tipline::client {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
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
        {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"}, {".png", "image/png"},        {".webp", "image/webp"},
        {".gif", "image/gif"},   {".heic", "image/heic"}, {".pdf", "application/pdf"},  {".txt", "text/plain"},
        {".mp4", "video/mp4"},   {".mov", "video/quicktime"}, {".m4a", "audio/mp4"},    {".mp3", "audio/mpeg"},
        {".ogg", "audio/ogg"},   {".wav", "audio/wav"},   {".zip", "application/zip"},  {".csv", "text/csv"},
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
    OutgoingAttachment a;
    a.fd = open_for_reading(path);
    struct stat st {};
    if (::fstat(a.fd.get(), &st) != 0) io_error("cannot inspect '" + path.string() + "'");
    a.info.name = cut_name(path.filename().string());
    if (a.info.name.empty() || !crypto::is_valid_utf8(a.info.name)) {
        usage_error("the name of '" + path.string() + "' is not valid UTF-8", {"rename the file and try again"});
    }
    a.info.media_type = media_type_for(path);
    a.info.size = static_cast<std::uint64_t>(st.st_size);
    a.source = std::make_unique<FdSource>(a.fd.get(), "'" + path.string() + "'");
    return a;
}

std::string read_message(const std::filesystem::path& path) {
    UniqueFd owned;
    int fd = STDIN_FILENO;
    std::string what = "standard input";
    if (!path.empty()) {
        owned = open_for_reading(path);
        fd = owned.get();
        what = "'" + path.string() + "'";
    } else if (::isatty(STDIN_FILENO) == 1) {
        print_warning("tipline-submit", "type the message, then press Ctrl-D on a new line");
    }
    std::string message(crypto::tip_max_message_size + 1, '\0');
    FdSource source(fd, what);
    const std::size_t n = source.read({reinterpret_cast<unsigned char*>(message.data()), message.size()});
    if (n > crypto::tip_max_message_size) {
        usage_error("the message is longer than 1 MiB", {"send long text as an attachment with --file"});
    }
    message.resize(n);
    if (!crypto::is_valid_utf8(message)) {
        usage_error("the message is not valid UTF-8", {"save the text as UTF-8, or send it as an attachment with --file"});
    }
    return message;
}

}  // namespace tipline::client
