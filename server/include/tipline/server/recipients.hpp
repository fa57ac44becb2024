// The responders every tip is sealed to and the responder API accepts: the organisation-signed list
// in DATADIR/recipients.list when one is installed, else tiplined.conf's responder keys. A new list
// replaces the old one whole while the server runs.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/recipient_list.hpp"

namespace tipline::server {

inline constexpr const char* recipient_list_file_name = "recipients.list";

struct Recipients {
    std::vector<crypto::PublicIdentity> identities;
    std::vector<std::string> texts;         // public key texts, in the same order
    std::vector<std::string> fingerprints;  // in the same order
    std::optional<crypto::RecipientList> list;
    std::vector<unsigned char> list_bytes;  // the list exactly as signed, served in /api/v1/keys

    bool contains(const crypto::PublicIdentity& id) const;
};

// From tiplined.conf's responder keys; throws std::runtime_error for a key that is not valid.
Recipients recipients_from_keys(const std::vector<std::string>& texts);
// From a signed list's bytes; throws std::runtime_error saying why the list cannot be used (its
// expiry is not checked here: the server serves what the organisation signed, and warns).
Recipients recipients_from_list(std::span<const unsigned char> bytes);
// What tiplined serves from dir: the installed list, or the configuration's keys.
Recipients load_recipients(const std::filesystem::path& dir,
                           const std::vector<std::string>& config_keys);

// The current recipients, shared by every request; replace() swaps them for the next requests.
class RecipientBook {
  public:
    RecipientBook() : current_(std::make_shared<const Recipients>()) {}
    explicit RecipientBook(Recipients initial)
        : current_(std::make_shared<const Recipients>(std::move(initial))) {}
    std::shared_ptr<const Recipients> current() const;
    void replace(Recipients next);

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const Recipients> current_;
};

// Checks a new list against what dir has installed, then puts it in place (a new file renamed
// over the old one, flushed). Refused, with a std::runtime_error that says why: a list that is not
// valid, has expired, is signed by another organisation than the installed list (unless
// new_organisation), or is not newer than it. Returns what it installed; installing the very list
// that is installed already changes nothing and is not an error.
Recipients check_new_list(const std::filesystem::path& dir, std::span<const unsigned char> bytes,
                          std::int64_t today, bool new_organisation);
void install_list(const std::filesystem::path& dir, std::span<const unsigned char> bytes);

// Notices a list installed while serving (the file changed) and loads it into the book.
class ListWatcher {
  public:
    ListWatcher(std::filesystem::path dir, RecipientBook& book);
    // Returns a message for the operator's log when something changed or failed, else empty.
    std::string poll();

  private:
    std::filesystem::path file_;
    RecipientBook& book_;
    std::string seen_;  // the file's identity (inode, size, time) when it was last read
};

}  // namespace tipline::server
