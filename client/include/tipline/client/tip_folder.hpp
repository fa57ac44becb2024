// Opening one sealed tip into a folder: message.txt, info.txt and the attachments under safe names.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/crypto/tip_document.hpp"

namespace tipline::client {

inline constexpr std::string_view message_file_name = "message.txt";
inline constexpr std::string_view info_file_name = "info.txt";
inline constexpr std::string_view reply_key_file_name =
    "reply-key.txt";  // present when a reply is possible

// The witness's reply key as 64 hex digits (also how a mailbox name is shown), and read back from
// a tip folder's reply-key.txt.
std::string encode_reply_key(std::span<const unsigned char, 32> key);
std::optional<crypto::BoxPublicKey> read_reply_key(const std::filesystem::path& folder);

struct OpenedTip {
    crypto::TipHeader header;
    std::vector<std::string> attachment_files;  // sanitized names, in header order
};

// Writes into dir, which must be missing or empty. Everything is staged in a hidden folder inside
// dir and moved into place only once the whole envelope has authenticated; on any failure the
// staged files are removed and dir is left as it was. Files are 0600, folders 0700.
std::error_code open_tip_to_folder(std::span<const crypto::BoxKeyPair* const> identities,
                                   crypto::ByteSource& in, const std::filesystem::path& dir,
                                   OpenedTip& out);

struct BundleReport {
    std::size_t tips = 0;                                          // in the bundle's manifest
    std::vector<std::string> opened;                               // folder names, one per tip
    std::vector<std::string> not_for_this_key;                     // tip ids
    std::vector<std::pair<std::string, std::error_code>> damaged;  // tip id, what failed
    bool interrupted_in_tip = false;  // a signal stopped it inside a tip, which was removed
};

// Opens every tip of a bundle it can into dir/DATE-ID/, going on past tips for other keys and
// damaged ones. A bad manifest is an error for the whole bundle and nothing is written. Stopped
// by a caught signal (interrupt.hpp), it throws Interrupted: the tips in report.opened stay, the
// one it was opening is removed, and dir too when it made dir and no tip is in it; report says
// which happened. The same holds when any other failure stops it.
std::error_code open_bundle_to_folders(std::span<const crypto::BoxKeyPair* const> identities,
                                       crypto::ByteSource& in, std::uint64_t file_size,
                                       const std::filesystem::path& dir, BundleReport& report);

// The text of info.txt, also printed by tools that summarise a tip.
std::string describe_tip(const OpenedTip& tip);

}  // namespace tipline::client
