// tipline-submit: the witness's tool. Seals a message and files to the NGO's public keys.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include "tipline/client/diagnostics.hpp"
#include "tipline/client/file_io.hpp"
#include "tipline/client/key_io.hpp"
#include "tipline/client/outgoing.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/tip_document.hpp"

namespace {

namespace fs = std::filesystem;
namespace crypto = tipline::crypto;
using namespace tipline::client;

constexpr std::string_view tool = "tipline-submit";

struct SealOptions {
    std::vector<std::string> to;
    std::vector<fs::path> files;
    fs::path message_file;
    fs::path out;
    std::string language = "und";
    bool force = false;
};

int seal(const SealOptions& o) {
    if (o.to.size() > crypto::envelope_max_recipients) usage_error("at most 16 recipients (--to) are allowed");
    std::vector<crypto::BoxPublicKey> recipients;
    for (const std::string& to : o.to) {
        const crypto::PublicIdentity id = load_public_key(to);
        std::cerr << "sealing to " << crypto::fingerprint(id) << "\n";
        recipients.push_back(id.box);
    }
    if (o.out.empty() && ::isatty(STDOUT_FILENO) == 1) {
        usage_error("refusing to write a binary envelope to the terminal", {"redirect it to a file: > tip.env, or use --out"});
    }

    crypto::TipHeader header;
    header.kind = crypto::TipKind::tip;
    header.created_at = static_cast<std::int64_t>(std::time(nullptr));
    header.language = o.language;
    std::vector<OutgoingAttachment> attachments;
    std::vector<crypto::ByteSource*> sources;
    for (const fs::path& f : o.files) {
        attachments.push_back(prepare_attachment(f));
        const std::string& type = attachments.back().info.media_type;
        if (type.starts_with("image/") || type.starts_with("video/") || type.starts_with("audio/")) {
            print_warning(tool, "'" + f.string() + "' keeps its metadata (device, time, perhaps GPS position); "
                                "remove it before sending if it could identify you");
        }
        header.attachments.push_back(attachments.back().info);
        sources.push_back(attachments.back().source.get());
    }
    if (header.attachments.size() > crypto::tip_max_attachments) usage_error("at most 256 files can go in one tip");
    header.message = read_message(o.message_file);
    crypto::TipHeader language_only;
    language_only.language = o.language;
    if (crypto::validate_tip_header(language_only)) {
        usage_error("--lang must be a language tag such as en, ko or zh-Hans");
    }
    if (crypto::validate_tip_header(header)) usage_error("an attached file is too large to seal");

    // With --out the envelope appears only once complete; a failure leaves no partial file behind.
    std::optional<PendingFile> pending;
    if (!o.out.empty()) pending.emplace(o.out, 0644);
    FdSink sink(pending ? pending->fd() : STDOUT_FILENO, pending ? "'" + o.out.string() + "'" : "standard output");
    if (const std::error_code ec = crypto::seal_tip(recipients, header, sources, sink)) {
        io_error("cannot seal the tip: " + ec.message(), {"a file may have changed or shrunk while it was read"});
    }
    if (pending) {
        PendingFile* files[] = {&*pending};
        install_files(files, o.force);
    }
    return exit_success;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Tipline witness tool. Seals a tip so that only the NGO's responders can read it.",
                 std::string(tool)};
    app.require_subcommand(1);
    SealOptions seal_opts;

    auto* seal_cmd = app.add_subcommand("seal", "seal a message (standard input by default) and files into an envelope");
    seal_cmd->add_option("--to", seal_opts.to, "a responder's public key, as text or a PATH.pub file")->required();
    seal_cmd->add_option("--file", seal_opts.files, "a file to attach (repeatable)");
    seal_cmd->add_option("--message-file", seal_opts.message_file, "read the message from this file");
    seal_cmd->add_option("--out", seal_opts.out, "write the envelope here instead of standard output");
    seal_cmd->add_option("--lang", seal_opts.language, "language tag of the message, e.g. ko or zh-Hans");
    seal_cmd->add_flag("--force", seal_opts.force, "replace the --out file if it exists");

    return run_tool(tool, app, argc, argv, [&] { return seal(seal_opts); });
}
