// Small helpers shared by the test files: byte generation, temporary folders, running the real
// tools.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/proof_of_work.hpp"

namespace tipline::test {

using Bytes = std::vector<unsigned char>;

// Bytes as a string, one char each.
inline std::string as_text(const Bytes& b) { return {b.begin(), b.end()}; }

// Deterministic bytes that differ at every position, so misplaced data is caught.
Bytes pattern_bytes(std::size_t size, std::uint32_t seed = 1);

Bytes seal_bytes(std::span<const crypto::BoxPublicKey> recipients, const Bytes& content);

// A nonce that does not solve the challenge.
std::uint64_t unsolved_nonce(const crypto::PowChallenge& challenge);

// A fresh folder under the system temp folder, removed with its contents.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

struct CommandResult {
    int exit_code;
    std::string out;
    std::string err;
};

// Runs a shell command line with the given standard input; captures both outputs.
CommandResult run_command(const std::string& command_line, const std::string& input = "");

void write_file(const std::filesystem::path& path, const Bytes& bytes);
void write_file(const std::filesystem::path& path, const std::string& text);
Bytes read_file(const std::filesystem::path& path);

// Whether any file under dir holds needle.
bool folder_contains(const std::filesystem::path& dir, const std::string& needle);

// Folder that holds the built tools (from TIPLINE_TOOLS_DIR at build time).
std::filesystem::path tools_dir();

// A path in single quotes, for a shell command line (test paths hold no quote).
std::string q(const std::filesystem::path& path);
// Polls condition every 10 ms until it holds or bound passes; returns whether it held. Tests wait
// for what they need to see, never for a fixed time.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds bound = std::chrono::seconds(30));

// A key pair as `tipline-responder keygen` (or `org keygen`) writes it: key, mode 0600, and
// key.pub; and the passphrase, with a line end, in pass_file. Sealed with the least Argon2id cost
// a key file may have (one pass over 8 KiB): the tools unlock the key at every command, and at
// keygen's own costs that took about half of the process suite's CPU time. The tests of keygen
// itself, and the suites driven from shell scripts, use the tool.
void write_key_pair(const std::filesystem::path& key, const std::filesystem::path& pass_file,
                    const std::string& passphrase, bool organisation = false);

// A built program, quoted, by its path under the build folder, e.g. "server/tiplined".
std::string tool(const std::string& build_path);
// The three programs, quoted.
std::string submit();
std::string responder_tool();
std::string tiplined();

// A file's bytes as text.
std::string text_of(const std::filesystem::path& path);
bool contains(const std::string& text, const std::string& part);

}  // namespace tipline::test
