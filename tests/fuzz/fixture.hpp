// The fixed deployment the fuzz targets run against: one responder, its server's view, a scratch
// store.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/server/api.hpp"
#include "tipline/server/store.hpp"

namespace tipline::fuzz {

// Stops the run as a crash when a property of the target does not hold; not inlined, so the crash's
// stack names the line that failed.
[[gnu::noinline]] inline void require(bool condition) {
    if (!condition) std::abort();
}

// The only responder: its box key opens every envelope of the seed corpora, its sign key signs
// responder API requests. Derived from fixed seeds, so the corpora and the targets agree.
const crypto::SecretIdentity& responder();
const std::string& responder_key_text();

// Key files in the corpus use this passphrase and the cheapest parameters a reader accepts.
inline constexpr std::string_view key_file_passphrase = "correct horse battery staple";
inline constexpr crypto::KdfLimits key_file_kdf{1, crypto::kdf_min_memlimit};

// What signed requests claim as their time, and what the responder API takes as now.
inline constexpr std::int64_t fixed_now = 1700000000;
// The day writes are stamped with, so a run does not depend on the date.
inline constexpr std::int64_t fixed_day = 19675;

// A mailbox the scratch store holds from the start, with one reply in it.
inline constexpr std::string_view mailbox_name_hex =
    "6d61696c626f786d61696c626f786d61696c626f786d61696c626f786d61696c";
inline constexpr std::string_view mailbox_token_hex =
    "746f6b656e746f6b656e746f6b656e746f6b656e746f6b656e746f6b656e746f";

// A fresh ServerInfo as tiplined builds it from a config naming the responder, with the default
// limits and budgets but no proof of work. Fresh per input, so no budget carries state from one
// input to the next.
server::ServerInfo server_info();

// Seals content to the responder alone.
std::vector<unsigned char> seal_to_responder(std::span<const unsigned char> content);
// An envelope holding a tip document of this kind and message, sealed to the responder.
std::vector<unsigned char> sealed_tip(crypto::TipKind kind, std::string_view message);

// Adds the four signature headers, as tipline-responder does, signed at fixed_now with this nonce.
void sign_as_responder(server::Request& request, std::uint64_t nonce_counter);

// A database in a temporary directory, made once per process and removed at exit, holding three
// tips (one opening the mailbox above) and a reply. Run writes inside a transaction and roll it
// back, so every input starts from the same store.
server::Store& scratch_store();

// A transaction rolled back when it goes out of scope, so every input sees the same store.
class RolledBack {
  public:
    explicit RolledBack(server::Store& store) : store_(store) { store_.begin(); }
    ~RolledBack() { store_.rollback(); }
    RolledBack(const RolledBack&) = delete;
    RolledBack& operator=(const RolledBack&) = delete;

  private:
    server::Store& store_;
};

// Runs a pending write on the store the way the ingest queue does, in a savepoint that is undone
// when the write fails; the caller owns the enclosing transaction.
server::Response run_write(server::PendingWrite& write, server::Store& store);

}  // namespace tipline::fuzz
