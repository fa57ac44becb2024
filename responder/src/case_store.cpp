// Opening, locking, loading and writing back the case store, and its attachment files.
#include "tipline/responder/case_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <stdexcept>
#include <utility>

#include "tipline/client/messages.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/responder/schema.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/sqlite.hpp"

namespace tipline::responder {
namespace {

namespace fs = std::filesystem;
using client::tr;
using tooling::io_error;
using tooling::usage_error;

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// SQLite's memory, wiped when freed: the decrypted database lives there. Installed once, before
// SQLite's first use in the process; where something used SQLite first (the test programs also
// run a server) it stays SQLite's own allocator.
constexpr std::size_t size_header = 16;

void* wiping_malloc(int n) {
    if (n <= 0) return nullptr;
    auto* p = static_cast<unsigned char*>(std::malloc(static_cast<std::size_t>(n) + size_header));
    if (p == nullptr) return nullptr;
    std::memcpy(p, &n, sizeof n);
    return p + size_header;
}
int wiping_size(void* p) {
    if (p == nullptr) return 0;
    int n = 0;
    std::memcpy(&n, static_cast<unsigned char*>(p) - size_header, sizeof n);
    return n;
}
void wiping_free(void* p) {
    if (p == nullptr) return;
    auto* base = static_cast<unsigned char*>(p) - size_header;
    sodium_memzero(base, static_cast<std::size_t>(wiping_size(p)) + size_header);
    std::free(base);
}
void* wiping_realloc(void* p, int n) {
    void* fresh = wiping_malloc(n);
    if (fresh == nullptr) return nullptr;
    if (p != nullptr) {
        std::memcpy(fresh, p, static_cast<std::size_t>(std::min(n, wiping_size(p))));
        wiping_free(p);
    }
    return fresh;
}
int wiping_roundup(int n) { return (n + 7) & ~7; }
int wiping_init(void*) { return SQLITE_OK; }
void wiping_shutdown(void*) {}

void use_wiping_allocator() {
    static const bool done = [] {
        static const sqlite3_mem_methods methods = {wiping_malloc,   wiping_free,    wiping_realloc,
                                                    wiping_size,     wiping_roundup, wiping_init,
                                                    wiping_shutdown, nullptr};
        return sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) == SQLITE_OK;
    }();
    (void)done;
}

// The serialized database, wiped and freed however save() ends.
struct Image {
    unsigned char* bytes = nullptr;
    sqlite3_int64 size = 0;
    ~Image() {
        if (bytes == nullptr) return;
        sodium_memzero(bytes, static_cast<std::size_t>(size));
        sqlite3_free(bytes);
    }
};

// Receives the decrypted database into memory SQLite owns, so deserialize can take it over.
class ImageSink final : public crypto::ByteSink {
  public:
    explicit ImageSink(std::uint64_t capacity)
        : capacity_(capacity),
          bytes_(static_cast<unsigned char*>(sqlite3_malloc64(capacity == 0 ? 1 : capacity))) {
        if (bytes_ == nullptr) throw std::bad_alloc();
    }
    ~ImageSink() override {
        if (bytes_ == nullptr) return;
        sodium_memzero(bytes_, capacity_);
        sqlite3_free(bytes_);
    }
    ImageSink(const ImageSink&) = delete;
    ImageSink& operator=(const ImageSink&) = delete;

    void write(std::span<const unsigned char> bytes) override {
        if (bytes.size() > capacity_ - size_) throw std::system_error(crypto::Error::malformed);
        std::memcpy(bytes_ + size_, bytes.data(), bytes.size());
        size_ += bytes.size();
    }
    std::uint64_t size() const noexcept { return size_; }
    std::uint64_t capacity() const noexcept { return capacity_; }
    unsigned char* release() noexcept { return std::exchange(bytes_, nullptr); }

  private:
    std::uint64_t capacity_;
    unsigned char* bytes_;
    std::uint64_t size_ = 0;
};

const crypto::StoreFileId database_id{};

bool is_file_id(std::string_view name, crypto::StoreFileId& id) {
    return name.size() == 32 && crypto::from_hex(name, id) && crypto::to_hex(id) == name;
}

// The folder exists, is this user's, and nobody else can read it; created when missing.
void prepare_folder(const fs::path& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            io_error(tr("cannot use '{folder}': {error}",
                        {{"folder", dir.string()}, {"error", std::strerror(errno)}}));
        }
        std::error_code ec;
        if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            io_error(tr("cannot create '{folder}': {error}",
                        {{"folder", dir.string()}, {"error", std::strerror(errno)}}));
        }
        if (::stat(dir.c_str(), &st) != 0) {
            io_error(tr("cannot use '{folder}': {error}",
                        {{"folder", dir.string()}, {"error", std::strerror(errno)}}));
        }
    }
    if (!S_ISDIR(st.st_mode)) usage_error(tr("'{path}' is not a folder", {{"path", dir.string()}}));
    if (st.st_uid != ::geteuid()) {
        usage_error(
            // TRANSLATORS: the case store: the responder's encrypted store of conversations, kept
            // in the folder {folder}.
            tr("the case store '{folder}' belongs to another user", {{"folder", dir.string()}}));
    }
    if ((st.st_mode & 077) != 0) {
        usage_error(
            tr("the case store '{folder}' can be read by other users", {{"folder", dir.string()}}),
            // TRANSLATORS: a command to type: keep it as it is.
            {tr("run: chmod 700 {folder}", {{"folder", dir.string()}})});
    }
}

}  // namespace

fs::path default_store_folder() {
    const char* data_home = std::getenv("XDG_DATA_HOME");
    if (data_home != nullptr && data_home[0] == '/') return fs::path(data_home) / "tipline";
    const char* home = std::getenv("HOME");
    if (home == nullptr || home[0] != '/')
        usage_error(tr("neither XDG_DATA_HOME nor HOME names a folder for the case store"),
                    {tr("name one with --store DIR")});
    return fs::path(home) / ".local" / "share" / "tipline";
}

NewAttachment::NewAttachment(const fs::path& files, std::span<const unsigned char> store_key,
                             std::uint64_t size)
    : id_([] {
          crypto::StoreFileId id;
          randombytes_buf(id.data(), id.size());
          return id;
      }()),
      file_(files / crypto::to_hex(id_), 0600),
      sink_(file_.fd(), "an attachment in the case store"),
      writer_(store_key, crypto::StoreFileKind::attachment, id_, size, sink_) {}

CaseStore::CaseStore(fs::path dir, const crypto::SecretIdentity& identity)
    : dir_(std::move(dir)),
      identity_(identity),
      me_(crypto::fingerprint(identity.public_identity)) {
    if (!identity.can_decrypt()) {
        // TRANSLATORS: a sign-only key: a copy of the responder's key that can sign replies but
        // not decrypt; the full key decrypts too and stays on the offline machine.
        usage_error(tr("a sign-only key cannot open the case store"),
                    {tr("use your full key, on the offline machine")});
    }
    key_ = crypto::derive_store_key(identity.box);
    prepare_folder(dir_);
    const fs::path files = dir_ / files_folder_name;
    if (::mkdir(files.c_str(), 0700) != 0 && errno != EEXIST) {
        io_error(tr("cannot create '{folder}': {error}",
                    {{"folder", files.string()}, {"error", std::strerror(errno)}}));
    }

    const fs::path lock = dir_ / lock_file_name;
    lock_ =
        tooling::UniqueFd(::open(lock.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!lock_) {
        io_error(tr("cannot open '{file}': {error}",
                    {{"file", lock.string()}, {"error", std::strerror(errno)}}));
    }
    if (::flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) {
        std::cerr << tr("waiting for another tipline-responder that is using the case store")
                  << "\n";
        if (::flock(lock_.get(), LOCK_EX) != 0) {
            io_error(tr("cannot lock '{file}': {error}",
                        {{"file", lock.string()}, {"error", std::strerror(errno)}}));
        }
    }
    held_ = true;
    use_wiping_allocator();
    try {
        open_database();
    } catch (...) {
        sqlite3_close(db_);  // no destructor runs for an object whose constructor threw
        throw;
    }
}

void CaseStore::open_database() {
    if (db_ != nullptr) sqlite3_close(db_);
    db_ = nullptr;
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::bad_alloc();
    }
    loaded_ = current_file_state();
    load();
    remove_strays();
}

CaseStore::FileState CaseStore::current_file_state() const {
    struct stat st {};
    if (::stat((dir_ / database_file_name).c_str(), &st) != 0) return {};
    return {true, static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

void CaseStore::release() {
    if (!held_) return;
    ::flock(lock_.get(), LOCK_UN);
    held_ = false;
}

void CaseStore::acquire() {
    if (held_) return;
    if (::flock(lock_.get(), LOCK_EX) != 0) {
        io_error(tr("cannot lock the case store '{folder}': {error}",
                    {{"folder", dir_.string()}, {"error", std::strerror(errno)}}));
    }
    held_ = true;
    if (current_file_state() != loaded_) open_database();
}

CaseStore::~CaseStore() { sqlite3_close(db_); }

void CaseStore::load() {
    const fs::path file = dir_ / database_file_name;
    if (!fs::exists(fs::symlink_status(file))) {
        create_schema();
        return;
    }
    tooling::UniqueFd fd = tooling::open_for_reading(file);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        io_error(tr("cannot read '{file}'", {{"file", file.string()}}));
    crypto::FdSource in(fd.get(), quoted(file));
    ImageSink image(static_cast<std::uint64_t>(st.st_size));
    const std::error_code ec = crypto::open_store_file(key_.span(), crypto::StoreFileKind::database,
                                                       database_id, in, image);
    if (ec == crypto::Error::authentication_failed) {
        throw tooling::ToolError(
            tooling::exit_verification_failure,
            tr("the case store '{folder}' does not open with this key: {error}",
               {{"folder", dir_.string()}, {"error", ec.message()}}),
            {tr("each responder's store opens only with that responder's key; check the key "
                "file, or name your own store with --store DIR"),
             tr("if the key is right, the file was altered or damaged: restore it from a backup")});
    }
    // TRANSLATORS: the start of a message, followed by ": " and what is wrong with the file.
    if (ec) tooling::open_failure(tr("the case store '{file}'", {{"file", file.string()}}), ec);
    const auto size = static_cast<sqlite3_int64>(image.size());
    const auto capacity = static_cast<sqlite3_int64>(image.capacity());
    if (sqlite3_deserialize(db_, "main", image.release(), size, capacity,
                            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
        SQLITE_OK) {
        tooling::throw_sqlite_error(db_, "load");
    }
    check_schema(db_, dir_);
}

void CaseStore::create_schema() { responder::create_schema(db_); }

void CaseStore::remove_strays() {
    // Temporary files of a writer that was cut off.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with(std::string(database_file_name) + ".tmp-")) fs::remove(entry, ec);
    }
    // Attachment files the database does not name: from an import cut off before its database
    // was written, or left by a deletion.
    std::set<std::string> known;
    tooling::Statement st(db_, "SELECT file FROM attachment UNION SELECT file FROM safe_copy");
    while (st.step()) known.insert(crypto::to_hex(st.blob(0)));
    for (const auto& entry : fs::directory_iterator(dir_ / files_folder_name, ec)) {
        const std::string name = entry.path().filename().string();
        crypto::StoreFileId id;
        if (!is_file_id(name, id) || !known.contains(name)) fs::remove(entry, ec);
    }
}

void CaseStore::save() {
    if (!held_) throw std::logic_error("the case store is written only while its lock is held");
    Image image;
    image.bytes = sqlite3_serialize(db_, "main", &image.size, 0);
    if (image.bytes == nullptr) tooling::throw_sqlite_error(db_, "serialize");
    tooling::PendingFile pending(dir_ / database_file_name, 0600);
    crypto::FdSink sink(pending.fd(), quoted(dir_ / database_file_name));
    crypto::StoreFileWriter writer(key_.span(), crypto::StoreFileKind::database, database_id,
                                   static_cast<std::uint64_t>(image.size), sink);
    writer.write({image.bytes, static_cast<std::size_t>(image.size)});
    if (auto ec = writer.finish()) throw std::system_error(ec);
    tooling::PendingFile* files[] = {&pending};
    tooling::install_files(files, true);
    loaded_ = current_file_state();
}

std::unique_ptr<NewAttachment> CaseStore::new_attachment(std::uint64_t size) {
    return std::make_unique<NewAttachment>(dir_ / files_folder_name, key_.span(), size);
}

void CaseStore::install_attachments(std::span<NewAttachment* const> files) {
    std::vector<tooling::PendingFile*> pending;
    for (NewAttachment* f : files) {
        if (auto ec = f->writer_.finish()) throw std::system_error(ec);
        pending.push_back(&f->file_);
    }
    tooling::install_files(pending, false);
}

void CaseStore::remove_attachments(std::span<const crypto::StoreFileId> files) {
    const fs::path folder = dir_ / files_folder_name;
    std::vector<unsigned char> zeros(1 << 16);
    for (const crypto::StoreFileId& id : files) {
        const fs::path file = folder / crypto::to_hex(id);
        tooling::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st {};
        if (fd && ::fstat(fd.get(), &st) == 0) {
            auto left = static_cast<std::uint64_t>(st.st_size);
            while (left > 0) {
                const auto n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
                if (::write(fd.get(), zeros.data(), n) != static_cast<ssize_t>(n)) break;
                left -= n;
            }
            ::fsync(fd.get());
        }
        fd.reset();
        if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
            io_error(tr("cannot remove '{file}': {error}",
                        {{"file", file.string()}, {"error", std::strerror(errno)}}));
        }
    }
    tooling::fsync_directory(folder);
}

void CaseStore::read_attachment(const crypto::StoreFileId& id, crypto::ByteSink& out) {
    const fs::path file = dir_ / files_folder_name / crypto::to_hex(id);
    if (!fs::exists(fs::symlink_status(file))) {
        throw tooling::ToolError(tooling::exit_verification_failure,
                                 tr("the case store has lost an attachment: '{file}' is missing",
                                    {{"file", file.string()}}),
                                 {tr("restore the store's folder from a backup")});
    }
    tooling::UniqueFd fd = tooling::open_for_reading(file);
    crypto::FdSource in(fd.get(), quoted(file));
    const std::error_code ec =
        crypto::open_store_file(key_.span(), crypto::StoreFileKind::attachment, id, in, out);
    if (ec) {
        tooling::open_failure(
            // TRANSLATORS: the start of a message, followed by ": " and what is wrong with the
            // file.
            tr("an attachment of the case store, '{file}'", {{"file", file.string()}}), ec);
    }
}

}  // namespace tipline::responder
