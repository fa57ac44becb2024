// Loading, checking, installing and reloading the recipients a server serves.
#include "tipline/server/recipients.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "tipline/crypto/days.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"

namespace tipline::server {
namespace {

namespace fs = std::filesystem;

std::system_error errno_error(const std::string& what) {
    return {errno, std::generic_category(), what};
}

void add(Recipients& r, const crypto::PublicIdentity& id) {
    r.identities.push_back(id);
    r.texts.push_back(crypto::encode_public_key(id));
    r.fingerprints.push_back(crypto::fingerprint(id));
}

std::vector<unsigned char> read_list_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + file.string() + "'");
    std::vector<unsigned char> bytes;
    char c;
    while (in.get(c)) {
        bytes.push_back(static_cast<unsigned char>(c));
        if (bytes.size() > crypto::recipient_list_max_size) {
            throw std::runtime_error("'" + file.string() + "' is too large to be a recipient list");
        }
    }
    return bytes;
}

// A file's identity, to notice it was replaced: inode, size and modification time.
std::string file_identity(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return {};
    return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

bool Recipients::contains(const crypto::PublicIdentity& id) const {
    return std::find(identities.begin(), identities.end(), id) != identities.end();
}

Recipients recipients_from_keys(const std::vector<std::string>& texts) {
    Recipients r;
    for (const std::string& text : texts) {
        crypto::PublicIdentity id;
        if (crypto::decode_public_key(text, id)) {
            throw std::runtime_error("tiplined.conf: '" + text.substr(0, 24) +
                                     "...' is not a valid public key");
        }
        add(r, id);
    }
    if (r.identities.size() > crypto::envelope_max_recipients) {
        throw std::runtime_error("tiplined.conf names more than 16 responders");
    }
    return r;
}

Recipients recipients_from_list(std::span<const unsigned char> bytes) {
    crypto::RecipientList list;
    if (const std::error_code ec = crypto::decode_recipient_list(bytes, list)) {
        throw std::runtime_error(
            ec == crypto::Error::authentication_failed
                ? "the list's signature does not verify: it was altered or damaged"
                : "not a recipient list: " + ec.message());
    }
    Recipients r;
    for (const auto& id : list.recipients) add(r, id);
    r.list = std::move(list);
    r.list_bytes.assign(bytes.begin(), bytes.end());
    return r;
}

Recipients load_recipients(const fs::path& dir, const std::vector<std::string>& config_keys) {
    const fs::path file = dir / recipient_list_file_name;
    std::error_code ec;
    if (fs::exists(file, ec)) {
        try {
            return recipients_from_list(read_list_file(file));
        } catch (const std::runtime_error& e) {
            throw std::runtime_error("'" + file.string() + "': " + e.what());
        }
    }
    if (config_keys.empty()) {
        throw std::runtime_error(
            "no responders: tiplined.conf names none and no recipient list is installed");
    }
    return recipients_from_keys(config_keys);
}

std::shared_ptr<const Recipients> RecipientBook::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void RecipientBook::replace(Recipients next) {
    auto fresh = std::make_shared<const Recipients>(std::move(next));
    std::lock_guard lock(mutex_);
    current_ = std::move(fresh);
}

Recipients check_new_list(const fs::path& dir, std::span<const unsigned char> bytes,
                          std::int64_t today, bool new_organisation) {
    Recipients next = recipients_from_list(bytes);
    const crypto::RecipientList& list = *next.list;
    if (today > static_cast<std::int64_t>(list.expires_day)) {
        throw std::runtime_error("the list expired on " + crypto::format_day(list.expires_day) +
                                 "; witnesses' tools would refuse it");
    }
    const fs::path file = dir / recipient_list_file_name;
    std::error_code ec;
    if (!fs::exists(file, ec)) return next;
    const Recipients installed = recipients_from_list(read_list_file(file));
    if (installed.list_bytes == next.list_bytes) return next;
    if (installed.list->organisation != list.organisation && !new_organisation) {
        throw std::runtime_error("the list is signed by organisation key " +
                                 crypto::organisation_fingerprint(list.organisation) + ", not by " +
                                 crypto::organisation_fingerprint(installed.list->organisation) +
                                 ", which signed the installed list");
    }
    if (installed.list->organisation == list.organisation &&
        list.serial <= installed.list->serial) {
        throw std::runtime_error(
            "the list's serial " + std::to_string(list.serial) + " is not above the installed " +
            "list's " + std::to_string(installed.list->serial) + ": it would roll the list back");
    }
    return next;
}

void install_list(const fs::path& dir, std::span<const unsigned char> bytes) {
    const fs::path file = dir / recipient_list_file_name;
    const fs::path temp = dir / (std::string(recipient_list_file_name) + ".new");
    ::unlink(temp.c_str());  // left by an install that was interrupted
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) throw errno_error("cannot create '" + temp.string() + "'");
    const bool written =
        ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(temp.c_str(), file.c_str()) != 0) {
        const auto e = errno_error("cannot install '" + file.string() + "'");
        ::unlink(temp.c_str());
        throw e;
    }
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
        if (dir_fd >= 0) ::close(dir_fd);
        throw errno_error("cannot flush '" + dir.string() + "'");
    }
    ::close(dir_fd);
}

ListWatcher::ListWatcher(fs::path dir, RecipientBook& book)
    : file_(dir / recipient_list_file_name), book_(book), seen_(file_identity(file_)) {}

std::string ListWatcher::poll() {
    const std::string now = file_identity(file_);
    if (now == seen_) return {};
    seen_ = now;
    if (now.empty())
        return "'" + file_.string() +
               "' was removed; the list in use stays until tiplined restarts";
    try {
        Recipients next = recipients_from_list(read_list_file(file_));
        const std::string what =
            "now serving recipient list serial " + std::to_string(next.list->serial) + " (" +
            std::to_string(next.identities.size()) + " responders, valid through " +
            crypto::format_day(next.list->expires_day) + ")";
        book_.replace(std::move(next));
        return what;
    } catch (const std::exception& e) {
        return std::string("ignoring the new '") + file_.string() + "': " + e.what() +
               "; the list in use stays";
    }
}

}  // namespace tipline::server
