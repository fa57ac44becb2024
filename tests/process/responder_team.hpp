// The real tools as a team of responders and their witnesses use them against a real tiplined:
// keys, sending, fetching, opening and answering, shared by the process tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "support.hpp"

namespace tipline::test {

struct Responder {
    std::filesystem::path key, pub, pass;
};

Responder first_responder(const Deployment& d);

// Another responder (test::write_key_pair), added to tiplined.conf before the server starts.
Responder add_responder(const Deployment& d, const std::string& name);

// An organisation key made in dir, and the list of these responders it signed (serial 1).
struct SignedTeam {
    std::filesystem::path list;
    std::string organisation_fingerprint;  // as --expect takes it
};
SignedTeam sign_team(const std::filesystem::path& dir,
                     const std::vector<const Responder*>& members);

// tipline-responder fetch on the responder's online machine, with any further flags.
CommandResult fetch(const ServerProcess& server, const Responder& r,
                    const std::filesystem::path& out, const std::string& flags = "");

// " --key KEY --passphrase-file PASS --store STORE", for the case store's commands.
std::string store_args(const Responder& r, const std::filesystem::path& store);

// tipline-responder COMMAND on the responder's case store, with any further arguments.
CommandResult responder_run(const std::string& command, const Responder& r,
                            const std::filesystem::path& store, const std::string& more = "");

CommandResult open_bundle(const Responder& r, const std::filesystem::path& bundle,
                          const std::filesystem::path& out);

// The folder 'open' wrote under dir for the item whose message is message.
std::filesystem::path folder_with_message(const std::filesystem::path& dir,
                                          const std::string& message);

// A witness sends a tip with tipline-submit and keeps the receipt in dir/receipt.txt.
std::filesystem::path send_tip(const ServerProcess& server, const std::filesystem::path& dir,
                               const std::string& message);

// What tipline-submit check shows the witness who holds the receipt.
CommandResult check(const ServerProcess& server, const std::filesystem::path& receipt);

// The responder opens a fetched bundle offline (once), answers the tip that says tip_message (with
// a copy for cc, a .pub, when given) and pushes the reply online.
void answer(const ServerProcess& server, const Responder& r, const std::filesystem::path& bundle,
            const std::string& tip_message, const std::string& reply_text,
            const std::filesystem::path& work, const std::filesystem::path& cc = {});

}  // namespace tipline::test
