// Staged, all-or-nothing writing of an opened tip; names from inside the tip never become paths
// unsanitized.
#include "tipline/client/tip_folder.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <system_error>

#include "tipline/client/display_text.hpp"
#include "tipline/client/interrupt.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/client/progress.hpp"
#include "tipline/client/safe_name.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys
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
        if (::mkdtemp(pattern.data()) == nullptr)
            throw errno_error("cannot create a folder in '" + dir.string() + "'");
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
        UniqueFd f(::openat(fd_.get(), name.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, file_mode));
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
        for (std::size_t i = 0; i < header.attachments.size(); ++i)
            files_.push_back(staging_.create(part_name(i)));
    }

    void on_attachment_data(std::size_t index, std::span<const unsigned char> bytes) override {
        stop_if_interrupted();
        FdSink(files_.at(index).get(), "an attachment").write(bytes);
    }

    void flush() {
        // TRANSLATORS: fills "cannot flush {what} to disk".
        for (UniqueFd& f : files_) fsync_or_throw(f.get(), tr("an attachment"));
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
    FdSink(f.get(), "'" + name + "'")
        .write({reinterpret_cast<const unsigned char*>(text.data()), text.size()});
    fsync_or_throw(f.get(), "'" + name + "'");
}

// Files moved into the output folder so far; removed again unless the whole tip made it.
class Placement {
  public:
    Placement(const Staging& staging, int dir_fd) : staging_(staging), dir_fd_(dir_fd) {}
    ~Placement() {
        if (committed_) return;
        for (const std::string& name : placed_) ::unlinkat(dir_fd_, name.c_str(), 0);
    }
    Placement(const Placement&) = delete;
    Placement& operator=(const Placement&) = delete;

    // Moves from staging to the wanted name, or to the next free variant of it: a name that differs
    // only in a way NameAllocator does not fold (Unicode case on a case-insensitive USB stick)
    // exists.
    std::string move(const std::string& from, const std::string& wanted, NameAllocator& names) {
        std::string to = wanted;
        for (int attempt = 0; attempt < max_attempts; ++attempt) {
            if (::renameat2(staging_.fd(), from.c_str(), dir_fd_, to.c_str(), RENAME_NOREPLACE) ==
                0) {
                placed_.push_back(to);
                return to;
            }
            if (errno != EEXIST) break;
            to = names.claim(wanted);
        }
        throw errno_error("cannot move '" + to + "' into the output folder");
    }

    void commit() noexcept { committed_ = true; }

  private:
    static constexpr int max_attempts = 100;
    const Staging& staging_;
    int dir_fd_;
    std::vector<std::string> placed_;
    bool committed_ = false;
};

// The output folder, created when missing and removed again (if still empty) when opening fails.
class OutputFolder {
  public:
    explicit OutputFolder(const fs::path& dir) : dir_(dir) {
        std::error_code ec;
        if (!fs::exists(dir, ec)) {
            if (::mkdir(dir.c_str(), folder_mode) != 0)
                throw errno_error("cannot create '" + dir.string() + "'");
            created_ = true;
        } else if (!fs::is_directory(dir, ec)) {
            usage_error("'" + dir.string() + "' is not a folder");
        } else if (!fs::is_empty(dir, ec)) {
            std::vector<std::string> hints = {
                "choose a new folder for each tip, so nothing is mixed up"};
            for (const auto& entry : fs::directory_iterator(dir, ec)) {
                if (entry.path().filename().string().starts_with(".tipline-partial-")) {
                    hints.push_back("an earlier open was cut off and left " +
                                    entry.path().string() +
                                    "; delete it, since its content was never authenticated");
                }
            }
            usage_error("'" + dir.string() + "' is not empty", hints);
        }
        fd_ = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd_) throw errno_error("cannot open '" + dir.string() + "'");
    }
    ~OutputFolder() {
        if (created_ && !kept_) ::rmdir(dir_.c_str());
    }
    OutputFolder(const OutputFolder&) = delete;
    OutputFolder& operator=(const OutputFolder&) = delete;

    int fd() const noexcept { return fd_.get(); }
    void keep() noexcept { kept_ = true; }

  private:
    fs::path dir_;
    UniqueFd fd_;
    bool created_ = false;
    bool kept_ = false;
};

const char* kind_name(crypto::TipKind kind) {
    switch (kind) {
        case crypto::TipKind::tip:
            return "tip";
        case crypto::TipKind::follow_up:
            return "follow-up";
        case crypto::TipKind::reply:
            return "reply";
        case crypto::TipKind::team_state:
            return "team state";
    }
    return "unknown";
}

}  // namespace

std::string encode_reply_key(std::span<const unsigned char, 32> key) { return crypto::to_hex(key); }

std::optional<crypto::BoxPublicKey> read_reply_key(const fs::path& folder) {
    std::ifstream in(folder / reply_key_file_name);
    std::string line;
    if (!in || !std::getline(in, line)) return std::nullopt;
    crypto::BoxPublicKey key{};
    if (!crypto::from_hex(line, key)) return std::nullopt;
    return key;
}

std::string describe_tip(const OpenedTip& tip) {
    const crypto::TipHeader& h = tip.header;
    std::string out;
    out += "kind: " + std::string(kind_name(h.kind)) + "\n";
    out += "language: " + h.language + "\n";
    char when[64] = "unknown";
    const std::time_t t = static_cast<std::time_t>(h.created_at);
    std::tm tm{};
    if (::gmtime_r(&t, &tm) != nullptr)
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    out += "written: " + std::string(when) + " (the sender's clock, which may be wrong)\n";
    if (h.kind == crypto::TipKind::team_state) {
        // Triage from a colleague: it concerns no witness, and only the case store applies it.
        out += "signed by: responder " + crypto::fingerprint(*h.signer) +
               " (the signature verified)\n";
        out += "what: the team's triage changes, as JSON in " + std::string(message_file_name) +
               "; 'tipline-responder import' applies them to the case store\n";
        return out;
    }
    if (h.kind == crypto::TipKind::reply) {
        out +=
            h.signer
                ? "signed by: responder " + crypto::fingerprint(*h.signer) +
                      " (the signature verified; compare the fingerprint with your colleagues')\n"
                : std::string(
                      "signed by: nobody; anyone who could reach the mailbox may have written "
                      "it\n");
    }
    if (h.reply_key) {
        out +=
            h.kind == crypto::TipKind::reply
                ? "reply: possible, to the witness this reply answers (tipline-responder reply)\n"
                : "reply: possible, the sender can read replies (tipline-responder reply)\n";
        out += "mailbox: " + encode_reply_key(crypto::mailbox_id(*h.reply_key)) + "\n";
    } else {
        out += "reply: not possible, the sender kept no receipt\n";
    }
    out += "message: " + std::string(message_file_name) + " (" + std::to_string(h.message.size()) +
           " bytes)\n";
    out += "attachments: " + std::to_string(h.attachments.size()) + "\n";
    for (std::size_t i = 0; i < h.attachments.size(); ++i) {
        const crypto::AttachmentInfo& a = h.attachments[i];
        out += "  " + tip.attachment_files[i] + ": " + std::to_string(a.size) +
               " bytes, declared type " + escape_for_display(a.media_type) + ", original name \"" +
               escape_for_display(a.name) + "\"\n";
    }
    return out;
}

std::error_code open_bundle_to_folders(std::span<const crypto::BoxKeyPair* const> identities,
                                       crypto::ByteSource& in, std::uint64_t file_size,
                                       const fs::path& dir, BundleReport& report) {
    std::vector<crypto::BundleEntry> entries;
    if (auto ec = crypto::read_bundle_manifest(in, file_size, entries)) return ec;
    report.tips = entries.size();
    // A folder this made stays once a tip is in it, or once every tip was tried.
    OutputFolder folder(dir);
    ProgressLine line("opening", file_size);
    std::uint64_t at = crypto::bundle_preamble_size + crypto::bundle_entry_size * entries.size();
    for (const crypto::BundleEntry& e : entries) {
        stop_if_interrupted();  // between tips, nothing is half-written
        line.update(at);
        at += e.size;
        const std::string id = crypto::to_hex(e.id);
        const std::string name = crypto::format_day(e.day) + "-" + id;

        crypto::LimitedSource envelope(in, e.size);
        OpenedTip tip;
        std::error_code ec;
        try {
            ec = open_tip_to_folder(identities, envelope, dir / name, tip);
        } catch (const Interrupted&) {
            report.interrupted_in_tip = true;  // its folder and staged files are gone by now
            throw;
        }
        if (!envelope.skip_rest()) return crypto::Error::truncated;
        if (!ec) {
            report.opened.push_back(name);
            folder.keep();
        } else if (ec == crypto::Error::no_matching_key) {
            report.not_for_this_key.push_back(id);
        } else {
            report.damaged.emplace_back(id, ec);
        }
    }
    folder.keep();
    line.update(file_size);
    return {};
}

std::error_code open_tip_to_folder(std::span<const crypto::BoxKeyPair* const> identities,
                                   crypto::ByteSource& in, const fs::path& dir, OpenedTip& out) {
    OutputFolder folder(dir);
    Staging staging(dir);
    FolderReceiver receiver(staging);
    if (auto ec = crypto::open_tip(identities, in, receiver)) return ec;
    receiver.flush();
    stop_if_interrupted();

    OpenedTip tip;
    tip.header = receiver.header();
    const std::string message_name(message_file_name), info_name(info_file_name),
        reply_name(reply_key_file_name);
    NameAllocator names({message_name, info_name, reply_name});
    Placement placement(staging, folder.fd());
    for (std::size_t i = 0; i < tip.header.attachments.size(); ++i) {
        tip.attachment_files.push_back(
            placement.move(part_name(i), names.claim(tip.header.attachments[i].name), names));
    }
    write_text(staging, message_name, tip.header.message);
    write_text(staging, info_name, describe_tip(tip));
    placement.move(message_name, message_name, names);
    placement.move(info_name, info_name, names);
    if (tip.header.reply_key) {
        write_text(staging, reply_name, encode_reply_key(*tip.header.reply_key) + "\n");
        placement.move(reply_name, reply_name, names);
    }
    fsync_or_throw(folder.fd(), "'" + dir.string() + "'");
    placement.commit();
    folder.keep();
    out = std::move(tip);
    return {};
}

}  // namespace tipline::client
