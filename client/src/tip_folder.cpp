// Staged, all-or-nothing writing of an opened tip; names from inside the tip never become paths unsanitized.
#include "tipline/client/tip_folder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <system_error>

#include "tipline/client/diagnostics.hpp"
#include "tipline/client/file_io.hpp"
#include "tipline/client/safe_name.hpp"
#include "tipline/crypto/errors.hpp"

namespace tipline::client {
namespace {

namespace fs = std::filesystem;

constexpr unsigned file_mode = 0600;
constexpr unsigned folder_mode = 0700;

std::system_error errno_error(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

std::string part_name(std::size_t index) { return "part-" + std::to_string(index); }

// A hidden folder inside the output folder; removed with its contents unless committed.
class Staging {
public:
    explicit Staging(const fs::path& dir) {
        std::string pattern = (dir / ".tipline-partial-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw errno_error("cannot create a folder in '" + dir.string() + "'");
        path_ = pattern;
        fd_ = UniqueFd(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd_) throw errno_error("cannot open '" + path_.string() + "'");
    }
    ~Staging() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;

    int fd() const noexcept { return fd_.get(); }

    UniqueFd create(const std::string& name) const {
        UniqueFd f(::openat(fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, file_mode));
        if (!f) throw errno_error("cannot create a file in '" + path_.string() + "'");
        return f;
    }

private:
    fs::path path_;
    UniqueFd fd_;
};

class FolderReceiver final : public crypto::TipReceiver {
public:
    explicit FolderReceiver(const Staging& staging) : staging_(staging) {}

    void on_header(const crypto::TipHeader& header) override {
        header_ = header;
        for (std::size_t i = 0; i < header.attachments.size(); ++i) files_.push_back(staging_.create(part_name(i)));
    }

    void on_attachment_data(std::size_t index, std::span<const unsigned char> bytes) override {
        FdSink(files_.at(index).get(), "an attachment").write(bytes);
    }

    void flush() {
        for (UniqueFd& f : files_) fsync_or_throw(f.get(), "an attachment");
        files_.clear();
    }

    const crypto::TipHeader& header() const noexcept { return header_; }

private:
    const Staging& staging_;
    crypto::TipHeader header_;
    std::vector<UniqueFd> files_;
};

void write_text(const Staging& staging, const std::string& name, std::string_view text) {
    UniqueFd f = staging.create(name);
    FdSink(f.get(), "'" + name + "'").write({reinterpret_cast<const unsigned char*>(text.data()), text.size()});
    fsync_or_throw(f.get(), "'" + name + "'");
}

void move_into_place(const Staging& staging, const std::string& from, int dir_fd, const std::string& to) {
    if (::renameat2(staging.fd(), from.c_str(), dir_fd, to.c_str(), RENAME_NOREPLACE) != 0) {
        throw errno_error("cannot move '" + to + "' into the output folder");
    }
}

void require_empty_folder(const fs::path& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        if (::mkdir(dir.c_str(), folder_mode) != 0) throw errno_error("cannot create '" + dir.string() + "'");
        return;
    }
    if (!fs::is_directory(dir, ec)) usage_error("'" + dir.string() + "' is not a folder");
    if (!fs::is_empty(dir, ec)) {
        usage_error("'" + dir.string() + "' is not empty", {"choose a new folder for each tip, so nothing is mixed up"});
    }
}

const char* kind_name(crypto::TipKind kind) {
    switch (kind) {
        case crypto::TipKind::tip: return "tip";
        case crypto::TipKind::follow_up: return "follow-up";
        case crypto::TipKind::reply: return "reply";
    }
    return "unknown";
}

}  // namespace

std::string describe_tip(const OpenedTip& tip) {
    const crypto::TipHeader& h = tip.header;
    std::string out;
    out += "kind: " + std::string(kind_name(h.kind)) + "\n";
    out += "language: " + h.language + "\n";
    char when[64] = "unknown";
    const std::time_t t = static_cast<std::time_t>(h.created_at);
    std::tm tm{};
    if (::gmtime_r(&t, &tm) != nullptr) std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    out += "written: " + std::string(when) + " (the sender's clock, which may be wrong)\n";
    out += std::string("reply: ") + (h.reply_key ? "possible, the sender can read replies" : "not possible") + "\n";
    out += "message: " + std::string(message_file_name) + " (" + std::to_string(h.message.size()) + " bytes)\n";
    out += "attachments: " + std::to_string(h.attachments.size()) + "\n";
    for (std::size_t i = 0; i < h.attachments.size(); ++i) {
        const crypto::AttachmentInfo& a = h.attachments[i];
        out += "  " + tip.attachment_files[i] + ": " + std::to_string(a.size) + " bytes, declared type " +
               escape_for_display(a.media_type) + ", original name \"" + escape_for_display(a.name) + "\"\n";
    }
    return out;
}

std::error_code open_tip_to_folder(std::span<const crypto::BoxKeyPair* const> identities, crypto::ByteSource& in,
                                   const fs::path& dir, OpenedTip& out) {
    require_empty_folder(dir);
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) throw errno_error("cannot open '" + dir.string() + "'");

    Staging staging(dir);
    FolderReceiver receiver(staging);
    if (auto ec = crypto::open_tip(identities, in, receiver)) return ec;
    receiver.flush();

    OpenedTip tip;
    tip.header = receiver.header();
    NameAllocator names({std::string(message_file_name), std::string(info_file_name)});
    for (const crypto::AttachmentInfo& a : tip.header.attachments) tip.attachment_files.push_back(names.claim(a.name));
    write_text(staging, std::string(message_file_name), tip.header.message);
    write_text(staging, std::string(info_file_name), describe_tip(tip));

    move_into_place(staging, std::string(message_file_name), dir_fd.get(), std::string(message_file_name));
    move_into_place(staging, std::string(info_file_name), dir_fd.get(), std::string(info_file_name));
    for (std::size_t i = 0; i < tip.attachment_files.size(); ++i) {
        move_into_place(staging, part_name(i), dir_fd.get(), tip.attachment_files[i]);
    }
    fsync_or_throw(dir_fd.get(), "'" + dir.string() + "'");
    out = std::move(tip);
    return {};
}

}  // namespace tipline::client
