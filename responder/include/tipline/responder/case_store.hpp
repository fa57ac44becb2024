// The responder's case store (docs/FORMAT.md section 20): an SQLite database held in memory and
// written back whole, sealed, after each change, with each attachment in a sealed file of its own.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/store_file.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::responder {

// $XDG_DATA_HOME/tipline, or ~/.local/share/tipline.
std::filesystem::path default_store_folder();

inline constexpr std::string_view database_file_name = "store.tipline";
inline constexpr std::string_view files_folder_name = "files";
inline constexpr std::string_view lock_file_name = "lock";

// An attachment being written into the store: sealed as it arrives, in a file that appears under
// its id only when CaseStore::install_attachments moves it there.
class NewAttachment final : public crypto::ByteSink {
  public:
    NewAttachment(const std::filesystem::path& files, std::span<const unsigned char> store_key,
                  std::uint64_t size);
    void write(std::span<const unsigned char> bytes) override { writer_.write(bytes); }
    const crypto::StoreFileId& id() const noexcept { return id_; }

  private:
    friend class CaseStore;
    crypto::StoreFileId id_;
    tooling::PendingFile file_;
    crypto::FdSink sink_;
    crypto::StoreFileWriter writer_;
};

class CaseStore {
  public:
    // Opens the store in dir for this responder, whose key must be able to decrypt; creates the
    // folder (0700) and an empty store when there is none. Holds the store's lock until it goes
    // away, so that two commands never write over each other's changes. ToolError when the
    // folder is another user's, readable by others, or the store does not open with this key.
    CaseStore(std::filesystem::path dir, const crypto::SecretIdentity& identity);
    ~CaseStore();
    CaseStore(const CaseStore&) = delete;
    CaseStore& operator=(const CaseStore&) = delete;

    sqlite3* db() noexcept { return db_; }
    const std::filesystem::path& folder() const noexcept { return dir_; }
    const crypto::SecretIdentity& identity() const noexcept { return identity_; }
    // This responder's fingerprint: how the store names who wrote a change.
    const std::string& me() const noexcept { return me_; }

    // Writes the database back: serialized, sealed, and renamed over the previous file.
    void save();

    // For a process that keeps the store open (the inbox): lets other commands in between its own
    // uses, then takes the lock again and reads the database again if another process wrote it
    // meanwhile. Use the database only while the lock is held.
    void release();
    void acquire();
    bool held() const noexcept { return held_; }

    std::unique_ptr<NewAttachment> new_attachment(std::uint64_t size);
    // Flushes these attachments to disk and moves each under its id.
    void install_attachments(std::span<NewAttachment* const> files);
    // Overwrites these attachments' files with zeros, flushes and removes them; for after the
    // database that no longer names them was saved. Flash storage may keep old blocks anyway.
    void remove_attachments(std::span<const crypto::StoreFileId> files);
    // Decrypts an attachment into out; ToolError (exit 1) when its file is missing or damaged.
    void read_attachment(const crypto::StoreFileId& id, crypto::ByteSink& out);

  private:
    void load();
    void open_database();
    // The database file's identity when this process last read or wrote it.
    struct FileState {
        bool exists = false;
        std::uint64_t inode = 0, size = 0;
        std::int64_t mtime_ns = 0;
        bool operator==(const FileState&) const = default;
    };
    FileState current_file_state() const;
    void create_schema();
    void remove_strays();

    std::filesystem::path dir_;
    const crypto::SecretIdentity& identity_;
    std::string me_;
    crypto::SecretBuffer key_;
    tooling::UniqueFd lock_;
    sqlite3* db_ = nullptr;
    FileState loaded_;
    bool held_ = false;
};

}  // namespace tipline::responder
