// Implementation of the test helpers.
#include "support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/stream.hpp"

namespace tipline::test {

Bytes pattern_bytes(std::size_t size, std::uint32_t seed) {
    Bytes out(size);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& b : out) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        b = static_cast<unsigned char>(x);
    }
    return out;
}

Bytes seal_bytes(std::span<const crypto::BoxPublicKey> recipients, const Bytes& content) {
    crypto::MemorySource source(content);
    crypto::VectorSink sink;
    if (auto ec = crypto::seal_envelope(recipients, content.size(), source, sink)) {
        throw std::runtime_error("seal failed: " + ec.message());
    }
    return std::move(sink.bytes());
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tipline-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void write_file(const std::filesystem::path& path, const Bytes& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("cannot write " + path.string());
}

void write_file(const std::filesystem::path& path, const std::string& text) {
    write_file(path, Bytes(text.begin(), text.end()));
}

Bytes read_file(const std::filesystem::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + path.string());
    return Bytes(std::istreambuf_iterator<char>(f), {});
}

CommandResult run_command(const std::string& command_line, const std::string& input) {
    TempDir scratch;
    write_file(scratch / "in", input);
    const std::string wrapped = "(" + command_line + ") <'" + (scratch / "in").string() + "' >'" +
                                (scratch / "out").string() + "' 2>'" + (scratch / "err").string() +
                                "'";
    const int status = std::system(wrapped.c_str());
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const Bytes out = read_file(scratch / "out"), err = read_file(scratch / "err");
    r.out.assign(out.begin(), out.end());
    r.err.assign(err.begin(), err.end());
    return r;
}

std::filesystem::path tools_dir() { return TIPLINE_TOOLS_DIR; }

std::string q(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

void write_key_pair(const std::filesystem::path& key, const std::filesystem::path& pass_file,
                    const std::string& passphrase, bool organisation) {
    write_file(pass_file, passphrase + "\n");
    const crypto::SecretIdentity identity = organisation
                                                ? crypto::SecretIdentity::generate_organisation()
                                                : crypto::SecretIdentity::generate();
    const std::span<const unsigned char> secret(
        reinterpret_cast<const unsigned char*>(passphrase.data()), passphrase.size());
    write_file(
        key, crypto::seal_secret_key_file(identity,
                                          organisation ? crypto::KeyFileContents::organisation
                                                       : crypto::KeyFileContents::decrypt_and_sign,
                                          secret, crypto::KdfLimits{1, crypto::kdf_min_memlimit}));
    std::filesystem::permissions(
        key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    write_file(key.string() + ".pub",
               (organisation ? crypto::encode_organisation_key({identity.public_identity.sign})
                             : crypto::encode_public_key(identity.public_identity)) +
                   "\n");
}

std::string tool(const std::string& build_path) {
    return q(tools_dir().parent_path() / build_path);
}
std::string submit() { return tool("client/tipline-submit"); }
std::string responder_tool() { return tool("client/tipline-responder"); }
std::string tiplined() { return tool("server/tiplined"); }

std::string text_of(const std::filesystem::path& path) { return as_text(read_file(path)); }
bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

bool folder_contains(const std::filesystem::path& dir, const std::string& needle) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        const Bytes b = read_file(e.path());
        if (std::search(b.begin(), b.end(), needle.begin(), needle.end()) != b.end()) return true;
    }
    return false;
}

std::uint64_t unsolved_nonce(const crypto::PowChallenge& challenge) {
    std::uint64_t n = 0;
    while (crypto::pow_zero_bits(challenge, n) >= crypto::pow_bits(challenge)) ++n;
    return n;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds bound) {
    const auto until = std::chrono::steady_clock::now() + bound;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace tipline::test
