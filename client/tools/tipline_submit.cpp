// tipline-submit: the witness's tool. Seals a message and files to the NGO's public keys, and sends them.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include "tipline/client/diagnostics.hpp"
#include "tipline/client/file_io.hpp"
#include "tipline/client/http_client.hpp"
#include "tipline/client/key_io.hpp"
#include "tipline/client/outgoing.hpp"
#include "tipline/client/source_api.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/tip_document.hpp"

namespace {

namespace fs = std::filesystem;
namespace crypto = tipline::crypto;
using namespace tipline::client;

constexpr std::string_view tool = "tipline-submit";
constexpr std::uint64_t default_chunk_bytes = 1024 * 1024;

struct TipOptions {
    std::vector<std::string> to;
    std::vector<fs::path> files;
    fs::path message_file;
    std::string language = "und";
};

// The message and attachments, checked and ready to seal.
struct PreparedTip {
    crypto::TipHeader header;
    std::vector<OutgoingAttachment> attachments;
    std::vector<crypto::ByteSource*> sources;
};

PreparedTip prepare_tip(const TipOptions& o) {
    PreparedTip tip;
    tip.header.kind = crypto::TipKind::tip;
    tip.header.created_at = static_cast<std::int64_t>(std::time(nullptr));
    tip.header.language = o.language;
    crypto::TipHeader language_only;
    language_only.language = o.language;
    if (crypto::validate_tip_header(language_only)) usage_error("--lang must be a language tag such as en, ko or zh-Hans");
    if (o.files.size() > crypto::tip_max_attachments) usage_error("at most 256 files can go in one tip");
    for (const fs::path& f : o.files) {
        tip.attachments.push_back(prepare_attachment(f));
        const std::string& type = tip.attachments.back().info.media_type;
        if (type.starts_with("image/") || type.starts_with("video/") || type.starts_with("audio/")) {
            print_warning(tool, "'" + f.string() + "' keeps its metadata (device, time, perhaps GPS position); "
                                "remove it before sending if it could identify you");
        }
        tip.header.attachments.push_back(tip.attachments.back().info);
        tip.sources.push_back(tip.attachments.back().source.get());
    }
    tip.header.message = read_message(o.message_file);
    if (crypto::validate_tip_header(tip.header)) usage_error("an attached file is too large to seal");
    return tip;
}

std::vector<crypto::BoxPublicKey> box_keys(const std::vector<crypto::PublicIdentity>& ids) {
    if (ids.size() > crypto::envelope_max_recipients) usage_error("at most 16 recipients are allowed");
    std::vector<crypto::BoxPublicKey> keys;
    for (const auto& id : ids) {
        std::cerr << "sealing to " << crypto::fingerprint(id) << "\n";
        keys.push_back(id.box);
    }
    return keys;
}

// Stops before anything is sealed when a fingerprint the witness expects is not among the keys.
void check_expected(const std::vector<crypto::PublicIdentity>& ids, const std::vector<std::string>& expected) {
    for (const std::string& want : expected) {
        bool found = false;
        for (const auto& id : ids) found = found || crypto::fingerprint(id) == want;
        if (!found) {
            throw ToolError(exit_verification_failure, "no responder key has the fingerprint " + want,
                            {"the keys may have been replaced; do not send, and check the fingerprint with the NGO"});
        }
    }
}

void seal_into(const std::vector<crypto::BoxPublicKey>& recipients, PreparedTip& tip, crypto::ByteSink& sink) {
    if (const std::error_code ec = crypto::seal_tip(recipients, tip.header, tip.sources, sink)) {
        io_error("cannot seal the tip: " + ec.message(), {"a file may have changed or shrunk while it was read"});
    }
}

std::vector<crypto::PublicIdentity> keys_from_arguments(const std::vector<std::string>& to) {
    std::vector<crypto::PublicIdentity> ids;
    for (const std::string& t : to) ids.push_back(load_public_key(t));
    return ids;
}

int seal(const TipOptions& o, const fs::path& out, bool force) {
    const auto recipients = box_keys(keys_from_arguments(o.to));
    if (out.empty() && ::isatty(STDOUT_FILENO) == 1) {
        usage_error("refusing to write a binary envelope to the terminal", {"redirect it to a file: > tip.env, or use --out"});
    }
    PreparedTip tip = prepare_tip(o);
    // With --out the envelope appears only once complete; a failure leaves no partial file behind.
    std::optional<PendingFile> pending;
    if (!out.empty()) pending.emplace(out, 0644);
    FdSink sink(pending ? pending->fd() : STDOUT_FILENO, pending ? "'" + out.string() + "'" : "standard output");
    seal_into(recipients, tip, sink);
    if (pending) {
        PendingFile* files[] = {&*pending};
        install_files(files, force);
    }
    return exit_success;
}

int send(const TipOptions& o, const std::string& server, const std::string& proxy,
         const std::vector<std::string>& expect) {
    HttpClient http(server, proxy);
    const ServerKeys server_keys = fetch_server_keys(http);
    const std::vector<crypto::PublicIdentity> ids = o.to.empty() ? server_keys.recipients : keys_from_arguments(o.to);
    check_expected(ids, expect);
    const auto recipients = box_keys(ids);
    PreparedTip tip = prepare_tip(o);
    std::vector<unsigned char> encoded;
    crypto::encode_tip_header(tip.header, encoded);
    const std::uint64_t size =
        crypto::envelope_size(crypto::tip_document_length(encoded.size(), tip.header), recipients.size());
    if (server_keys.inline_bytes != 0 && size <= server_keys.inline_bytes) {
        crypto::VectorSink sealed;
        seal_into(recipients, tip, sealed);
        std::cout << submit_envelope(http, sealed.bytes()) << "\n";
        return exit_success;
    }
    // Larger tips are sealed into an unnamed temporary file (ciphertext only) and uploaded in chunks.
    UniqueFd scratch = anonymous_temp_file();
    FdSink sink(scratch.get(), "a temporary file");
    seal_into(recipients, tip, sink);
    const bool show = ::isatty(STDERR_FILENO) == 1;
    const std::uint64_t chunk = server_keys.upload_chunk_bytes != 0 ? server_keys.upload_chunk_bytes : default_chunk_bytes;
    const std::string id = upload_envelope(http, scratch.get(), size, chunk, [show](const UploadProgress& p) {
        if (show) std::cerr << "\rsent " << p.done * 100 / p.total << "% of " << p.total << " bytes" << std::flush;
    });
    if (show) std::cerr << "\n";
    std::cout << id << "\n";
    return exit_success;
}

void add_tip_options(CLI::App* cmd, TipOptions& o, bool to_required) {
    auto* to = cmd->add_option("--to", o.to, "a responder's public key, as text or a PATH.pub file (repeatable)");
    if (to_required) to->required();
    cmd->add_option("--file", o.files, "a file to attach (repeatable)");
    cmd->add_option("--message-file", o.message_file, "read the message from this file instead of standard input");
    cmd->add_option("--lang", o.language, "language tag of the message, e.g. ko or zh-Hans");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Tipline witness tool. Seals a tip so that only the NGO's responders can read it.", std::string(tool)};
    app.require_subcommand(1);
    TipOptions seal_opts, send_opts;
    fs::path out;
    bool force = false;
    std::string server, proxy;
    std::vector<std::string> expect;

    auto* seal_cmd = app.add_subcommand("seal", "seal a message and files into an envelope file");
    add_tip_options(seal_cmd, seal_opts, true);
    seal_cmd->add_option("--out", out, "write the envelope here instead of standard output");
    seal_cmd->add_flag("--force", force, "replace the --out file if it exists");

    auto* send_cmd = app.add_subcommand("send", "seal a message and files and send them to a tip line; prints the tip's id");
    add_tip_options(send_cmd, send_opts, false);
    send_cmd->add_option("--server", server, "the tip line's address, e.g. http://ADDRESS.onion")->required();
    send_cmd->add_option("--proxy", proxy, "SOCKS proxy, e.g. socks5h://127.0.0.1:9050 for Tor");
    send_cmd->add_option("--expect", expect, "stop unless a responder key has this fingerprint (repeatable)");

    return run_tool(tool, app, argc, argv, [&] {
        if (*seal_cmd) return seal(seal_opts, out, force);
        return send(send_opts, server, proxy, expect);
    });
}
