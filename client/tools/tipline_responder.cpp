// tipline-responder: the NGO's tool. Offline commands hold decryption keys; online ones (later) never do.
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <filesystem>
#include <iostream>

#include "tipline/client/diagnostics.hpp"
#include "tipline/client/file_io.hpp"
#include "tipline/client/interrupt.hpp"
#include "tipline/client/key_io.hpp"
#include "tipline/client/tip_folder.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/labels.hpp"

namespace {

namespace fs = std::filesystem;
namespace crypto = tipline::crypto;
using namespace tipline::client;

constexpr std::string_view tool = "tipline-responder";

void add_passphrase_options(CLI::App* cmd, PassphraseSource& source) {
    cmd->add_option("--passphrase-file", source.file, "read the passphrase from the first line of this file");
    cmd->add_option("--passphrase-fd", source.fd, "read the passphrase from this open file descriptor");
}

crypto::KdfLimits kdf_by_name(const std::string& name) {
    if (name == "interactive") return crypto::kdf_interactive();
    if (name == "sensitive") return crypto::kdf_sensitive();
    return crypto::kdf_moderate();
}

int keygen(const fs::path& out, const PassphraseSource& source, bool force, const std::string& kdf) {
    const fs::path pub = out.string() + ".pub";
    if (!force) {
        for (const fs::path& p : {out, pub}) {
            if (fs::exists(fs::symlink_status(p))) {
                usage_error("'" + p.string() + "' already exists",
                            {"refusing to overwrite a key; use --force only if the old key may be lost"});
            }
        }
    }
    const crypto::SecretBuffer passphrase = obtain_passphrase(source, "Passphrase for the new key: ", true);
    if (passphrase.size() < 12) print_warning(tool, "the passphrase is short; prefer several random words");

    const crypto::SecretIdentity identity = crypto::SecretIdentity::generate();
    const auto file = crypto::seal_secret_key_file(identity, crypto::KeyFileContents::decrypt_and_sign,
                                                   passphrase.span(), kdf_by_name(kdf));
    const std::string text = crypto::encode_public_key(identity.public_identity) + "\n";
    // Both files or neither: a new secret key beside an old public key would lose every tip sealed to it.
    PendingFile secret_file(out, 0600), public_file(pub, 0644);
    secret_file.write(file);
    public_file.write({reinterpret_cast<const unsigned char*>(text.data()), text.size()});
    PendingFile* both[] = {&secret_file, &public_file};
    install_files(both, force);

    std::cout << "secret key: " << out.string() << " (keep it on the offline machine)\n"
              << "public key: " << pub.string() << "\n"
              << "fingerprint: " << crypto::fingerprint(identity.public_identity) << "\n";
    return exit_success;
}

int fingerprint(const std::string& key) {
    std::cout << crypto::fingerprint(load_public_key(key)) << "\n";
    return exit_success;
}

// A bundle starts with its own magic; anything else is treated as a single envelope.
bool is_bundle(int fd) {
    unsigned char magic[8] = {};
    const ssize_t n = ::pread(fd, magic, sizeof magic, 0);
    const auto expected = crypto::as_bytes(crypto::labels::bundle_magic);
    return n == static_cast<ssize_t>(sizeof magic) && std::equal(expected.begin(), expected.end(), magic);
}

int open(const fs::path& input, const fs::path& key_path, const PassphraseSource& source, const fs::path& out) {
    UniqueFd fd = open_for_reading(input);
    const crypto::SecretIdentity identity = load_secret_key(key_path, source);
    if (!identity.can_decrypt()) {
        usage_error("'" + key_path.string() + "' is a signing-only key and cannot open tips",
                    {"use the full key file on the offline machine"});
    }
    const crypto::BoxKeyPair* ids[] = {&identity.box};
    FdSource in(fd.get(), "'" + input.string() + "'");
    catch_interrupts();
    if (!is_bundle(fd.get())) {
        OpenedTip tip;
        if (auto ec = open_tip_to_folder(ids, in, out, tip)) open_failure("cannot open '" + input.string() + "'", ec);
        std::cout << "opened into " << out.string() << "\n" << describe_tip(tip);
        return exit_success;
    }
    struct stat st {};
    ::fstat(fd.get(), &st);
    BundleReport report;
    if (auto ec = open_bundle_to_folders(ids, in, static_cast<std::uint64_t>(st.st_size), out, report)) {
        open_failure("cannot open the bundle '" + input.string() + "'", ec);
    }
    for (const std::string& name : report.opened) std::cout << "opened " << (out / name).string() << "\n";
    for (const std::string& id : report.not_for_this_key) std::cout << "not for this key: tip " << id << "\n";
    for (const auto& [id, ec] : report.damaged) print_error(tool, "tip " + id + " cannot be opened: " + ec.message(), {});
    std::cout << report.opened.size() << " opened, " << report.not_for_this_key.size() << " for other keys, "
              << report.damaged.size() << " damaged\n";
    if (!report.damaged.empty()) {
        throw ToolError(exit_verification_failure, "some tips in the bundle are damaged",
                        {"the others were opened; copy the bundle again to retry the damaged ones"});
    }
    return exit_success;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Tipline responder tool. Offline commands run on the air-gapped machine that holds the "
                 "decryption key.",
                 std::string(tool)};
    app.require_subcommand(1);
    const std::string offline = "Offline (air-gapped machine)";

    fs::path out, key, input, open_out;
    PassphraseSource passphrase;
    bool force = false;
    std::string kdf = "moderate";
    std::string pub;

    auto* keygen_cmd = app.add_subcommand("keygen", "create a key pair: PATH (secret, 0600) and PATH.pub");
    keygen_cmd->group(offline);
    keygen_cmd->add_option("--out", out, "path of the secret key file")->required();
    keygen_cmd->add_flag("--force", force, "replace existing key files (the old key is lost)");
    keygen_cmd->add_option("--kdf", kdf, "Argon2id cost: interactive, moderate or sensitive")
        ->check(CLI::IsMember({"interactive", "moderate", "sensitive"}));
    add_passphrase_options(keygen_cmd, passphrase);

    auto* fp_cmd = app.add_subcommand("fingerprint", "print the fingerprint of a public key, to compare aloud");
    fp_cmd->group(offline);
    fp_cmd->add_option("public-key", pub, "PATH.pub or the key text")->required();

    auto* open_cmd = app.add_subcommand("open", "decrypt an envelope, or every tip of a bundle, into a folder");
    open_cmd->group(offline);
    open_cmd->add_option("input", input, "an envelope, or a bundle from 'tiplined export'")->required();
    open_cmd->add_option("--key", key, "your secret key file")->required();
    open_cmd->add_option("--out", open_out, "a new or empty folder for the tip")->required();
    add_passphrase_options(open_cmd, passphrase);

    return run_tool(tool, app, argc, argv, [&] {
        umask(077);
        if (*keygen_cmd) return keygen(out, passphrase, force, kdf);
        if (*fp_cmd) return fingerprint(pub);
        return open(input, key, passphrase, open_out);
    });
}
