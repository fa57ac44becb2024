// tipline-responder's case store commands: import, conversations, show, triage, export, delete,
// purge, safe-copy, inbox, team and share.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tipline/tooling/key_io.hpp"

namespace tipline::client {

struct CaseCommands {
    CLI::App* import = nullptr;
    CLI::App* list = nullptr;
    CLI::App* show = nullptr;
    CLI::App* triage = nullptr;
    CLI::App* exporting = nullptr;
    CLI::App* remove = nullptr;
    CLI::App* purge = nullptr;
    CLI::App* safe_copy = nullptr;
    CLI::App* inbox = nullptr;
    CLI::App* team = nullptr;
    CLI::App* team_set = nullptr;
    CLI::App* team_show = nullptr;
    CLI::App* share = nullptr;

    std::filesystem::path key, store;
    tooling::PassphraseSource passphrase;
    std::vector<std::filesystem::path> bundles;
    std::string conversation;
    std::optional<std::string> status, tag, assignee, assign;
    bool unseen = false;
    std::string search;
    std::vector<std::string> add_tags, remove_tags;
    std::filesystem::path note_file, out;
    std::int64_t closed_days = 0;
    unsigned short port = 0;
    std::filesystem::path outbox, team_list;
    std::vector<std::string> colleagues;
    std::filesystem::path list_file;
    std::optional<std::string> expect;
};

// Adds the commands to app, in the offline group; their options fill commands.
void add_case_commands(CLI::App& app, CaseCommands& commands, const std::string& group);

// Runs whichever of them was given; nullopt when none was.
std::optional<int> run_case_command(CaseCommands& commands);

}  // namespace tipline::client
