// Data directory commands over Store and the bundle format.
#include "tipline/server/data_dir.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <system_error>

#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/fd_stream.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/receipt.hpp"

namespace tipline::server {
namespace {

namespace fs = std::filesystem;
constexpr const char* salt_key = "deployment_salt";

std::system_error errno_error(const std::string& what) {
    return {errno, std::generic_category(), what};
}

void fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw errno_error("cannot open '" + dir.string() + "'");
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw errno_error("cannot flush '" + dir.string() + "'");
}

}  // namespace

fs::path database_path(const fs::path& dir) { return dir / database_file_name; }

std::uint64_t init_data_dir(const fs::path& dir, const std::vector<std::string>& responders) {
    std::error_code ec;
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
            throw std::runtime_error("'" + dir.string() + "' exists and is not an empty folder");
        }
        ::chmod(dir.c_str(), 0700);
    } else if (::mkdir(dir.c_str(), 0700) != 0) {
        throw errno_error("cannot create '" + dir.string() + "'");
    }
    struct statvfs space {};
    if (::statvfs(dir.c_str(), &space) != 0)
        throw errno_error("cannot read the free space of '" + dir.string() + "'");
    const std::uint64_t quota =
        default_quota(static_cast<std::uint64_t>(space.f_bavail) * space.f_frsize);
    {
        const int fd =
            ::open((dir / config_file_name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) throw errno_error("cannot create the configuration file");
        crypto::FdSink sink(fd, "the configuration file");
        const std::string text = default_config_text(responders, quota);
        sink.write({reinterpret_cast<const unsigned char*>(text.data()), text.size()});
        const int rc = ::fsync(fd);
        ::close(fd);
        if (rc != 0) throw errno_error("cannot flush the configuration file");
    }
    auto store = Store::open(database_path(dir), true);
    crypto::ensure_sodium();
    crypto::DeploymentSalt salt{};
    randombytes_buf(salt.data(), salt.size());
    store->in_transaction([&] { store->set_meta(salt_key, crypto::to_hex(salt)); });
    fsync_dir(dir);
    return quota;
}

ServerInfo load_server_info(const fs::path& dir, const Config& config) {
    ServerInfo info;
    info.recipients->replace(load_recipients(dir, config.responders));
    info.salt_hex = Store::open(database_path(dir), false)->meta(salt_key);
    if (info.salt_hex.size() != 2 * crypto::deployment_salt_bytes) {
        throw std::runtime_error(
            "the database has no deployment salt; was it made by 'tiplined init'?");
    }
    apply_limits(info, config.limits);
    return info;
}

ExportResult export_bundle(const fs::path& dir, const fs::path& out, bool delete_exported,
                           std::int64_t since_day) {
    auto store = Store::open(database_path(dir), false);
    std::vector<StoredTip> tips = store->export_items();
    std::erase_if(tips, [since_day](const StoredTip& t) { return t.day < since_day; });
    ExportResult result;
    for (const StoredTip& t : tips) {
        result.bytes += t.size;
        if (t.kind == ItemKind::reply) ++result.replies;
        if (t.kind == ItemKind::team) ++result.team_states;
    }
    result.items = tips.size();

    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            throw std::runtime_error("'" + out.string() +
                                     "' already exists; refusing to replace it");
        throw errno_error("cannot create '" + out.string() + "'");
    }
    try {
        crypto::FdSink sink(fd, "'" + out.string() + "'");
        store->write_bundle(tips, sink);
        if (::fsync(fd) != 0) throw errno_error("cannot flush '" + out.string() + "'");
        ::close(fd);
    } catch (...) {
        ::close(fd);
        ::unlink(out.c_str());
        throw;
    }
    fsync_dir(out.parent_path());

    if (delete_exported && !tips.empty()) {
        store->in_transaction([&] {
            for (const StoredTip& t : tips)
                ++(store->delete_exported(t) ? result.deleted : result.replies_kept);
        });
        if (result.deleted > 0) store->checkpoint(true);
    }
    return result;
}

std::uint64_t backup_database(const fs::path& dir, const fs::path& out) {
    auto store = Store::open(database_path(dir), false);
    // Created private and exclusive here; SQLite then writes into the empty file.
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            throw std::runtime_error("'" + out.string() +
                                     "' already exists; refusing to replace it");
        throw errno_error("cannot create '" + out.string() + "'");
    }
    ::close(fd);
    try {
        store->backup_into(out);
        const int copy = ::open(out.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (copy < 0 || ::fsync(copy) != 0) {
            const auto e = errno_error("cannot flush '" + out.string() + "'");
            if (copy >= 0) ::close(copy);
            throw e;
        }
        ::close(copy);
    } catch (...) {
        ::unlink(out.c_str());
        throw;
    }
    fsync_dir(out.parent_path());
    return fs::file_size(out);
}

std::size_t expire_uploads(const fs::path& dir, unsigned upload_expiry_days, std::int64_t today) {
    auto store = Store::open(database_path(dir), false);
    return store->in_transaction([&] {
        return store->delete_uploads_before(today - static_cast<std::int64_t>(upload_expiry_days));
    });
}

PurgeResult purge(const fs::path& dir, const Config& config, std::int64_t today) {
    PurgeResult result;
    {
        auto store = Store::open(database_path(dir), false);
        const std::int64_t cutoff = today - static_cast<std::int64_t>(config.retention_days);
        const auto expired = store->expired_items(
            cutoff, today - static_cast<std::int64_t>(config.unread_reply_days));
        store->in_transaction([&] {
            for (const StoredTip& t : expired) store->delete_tip(t.seq);
            result.mailboxes = store->delete_idle_mailboxes(cutoff);
        });
        for (const StoredTip& t : expired) {
            ++(t.kind == ItemKind::team    ? result.team_states
               : t.kind != ItemKind::reply ? result.tips
               : t.read_day                ? result.read_replies
                                           : result.unread_replies);
        }
    }
    result.uploads = expire_uploads(dir, config.limits.upload_expiry_days, today);
    Store::open(database_path(dir), false)->checkpoint(true);
    return result;
}

}  // namespace tipline::server
