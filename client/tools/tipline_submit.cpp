// tipline-submit: the witness's tool. Seals a message and files to the NGO's public keys, and sends
// them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include "tipline/client/display_text.hpp"
#include "tipline/client/document_metadata.hpp"
#include "tipline/client/http_client.hpp"
#include "tipline/client/interrupt.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/client/outgoing.hpp"
#include "tipline/client/pinning.hpp"
#include "tipline/client/progress.hpp"
#include "tipline/client/resume_file.hpp"
#include "tipline/client/safe_name.hpp"
#include "tipline/client/source_api.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"
#include "tipline/tooling/key_io.hpp"
#include "tipline/tooling/manual.hpp"

namespace {

namespace fs = std::filesystem;
namespace crypto = tipline::crypto;
using namespace tipline::client;
using namespace tipline::tooling;

constexpr std::string_view tool = "tipline-submit";
constexpr std::uint64_t default_chunk_bytes = 1024 * 1024;

struct TipOptions {
    std::vector<std::string> to;
    std::vector<fs::path> files;
    fs::path message_file;
    std::string language = "und";
    bool keep_metadata = false;
};

// The message and attachments, checked and ready to seal.
struct PreparedTip {
    crypto::TipHeader header;
    std::vector<OutgoingAttachment> attachments;
    std::vector<crypto::ByteSource*> sources;
};

PreparedTip prepare_tip(const TipOptions& o, crypto::TipKind kind = crypto::TipKind::tip) {
    PreparedTip tip;
    tip.header.kind = kind;
    tip.header.created_at = static_cast<std::int64_t>(std::time(nullptr));
    tip.header.language = o.language;
    crypto::TipHeader language_only;
    language_only.language = o.language;
    if (crypto::validate_tip_header(language_only))
        usage_error(tr("--lang must be a language tag such as en, ko or zh-Hans"));
    if (o.files.size() > crypto::tip_max_attachments)
        usage_error(tr("at most 256 files can go in one tip"));
    for (const fs::path& f : o.files) {
        tip.attachments.push_back(prepare_attachment(f));
        OutgoingAttachment& a = tip.attachments.back();
        if (!o.keep_metadata) {
            // Images are cleaned here, in memory; documents, recordings and videos by mat2 in a
            // sandbox. Either refuses (exit 2) a file it cannot clean, before anything is sent.
            std::string removed = strip_attachment_metadata(f, a);
            if (!a.metadata_stripped) removed = clean_attachment_document(f, a);
            if (!removed.empty())
                std::cerr << tr("removed from '{file}': {what}",
                                {{"file", f.string()}, {"what", removed}})
                          << "\n";
        }
        const std::string& type = a.info.media_type;
        const bool stripped = !o.keep_metadata && a.metadata_stripped;
        if (!stripped && (type.starts_with("image/") || type.starts_with("video/") ||
                          type.starts_with("audio/"))) {
            print_warning(tool, tr("'{file}' keeps its metadata (device, time, perhaps GPS "
                                   "position); remove it before sending if it could identify you",
                                   {{"file", f.string()}}));
        } else if (!stripped && attachment_document_format(f, a) != DocumentFormat::none) {
            print_warning(tool, tr("'{file}' keeps its metadata (author, software, dates); "
                                   "remove it before sending if it could identify you",
                                   {{"file", f.string()}}));
        }
        tip.header.attachments.push_back(tip.attachments.back().info);
        tip.sources.push_back(tip.attachments.back().source.get());
    }
    tip.header.message = read_message(o.message_file, tool);
    if (crypto::validate_tip_header(tip.header))
        usage_error(tr("an attached file is too large to seal"));
    return tip;
}

std::vector<crypto::BoxPublicKey> box_keys(const std::vector<crypto::PublicIdentity>& ids) {
    if (ids.size() > crypto::envelope_max_recipients)
        usage_error(tr("at most 16 recipients are allowed"));
    std::vector<crypto::BoxPublicKey> keys;
    for (const auto& id : ids) {
        std::cerr << tr("sealing to {fingerprint}", {{"fingerprint", crypto::fingerprint(id)}})
                  << "\n";
        keys.push_back(id.box);
    }
    return keys;
}

// What the witness pins and remembers, checked before anything reaches the network.
struct Trust {
    Pins pins;
    ListMemory memory;
};

Trust trust_from(const std::vector<std::string>& expect, const fs::path& remember) {
    refuse_standard_stream_for_file(
        remember, "--remember",
        tr("the file is read and written again on every run, to keep the highest serial seen"));
    Trust t{parse_pins(expect), remember.empty() ? ListMemory() : ListMemory(remember)};
    return t;
}

// The keys this tool may seal to and trust replies from, with every warning shown; throws (exit 1)
// when there is none, before anything is sealed.
TrustedRecipients trusted_recipients(const ServerKeys& keys, Trust& trust) {
    TrustedRecipients chosen = choose_recipients(keys.recipients, keys.recipient_list, trust.pins,
                                                 trust.memory, crypto::current_day());
    for (const std::string& w : chosen.warnings) print_warning(tool, w);
    if (chosen.identities.empty()) {
        throw ToolError(
            exit_verification_failure, chosen.refusal,
            {tr("the keys may have been replaced: do not send, and check the fingerprint with the "
                "NGO through another channel")});
    }
    if (chosen.list && chosen.pinned) {
        std::cerr << tr("the organisation you pinned vouches for {count} responder(s): list "
                        "serial {serial}, valid through {day}",
                        {{"count", std::to_string(chosen.list->recipients.size())},
                         {"serial", std::to_string(chosen.list->serial)},
                         {"day", crypto::format_day(chosen.list->expires_day)}})
                  << "\n";
    }
    return chosen;
}

// Passes bytes on to another sink, drawing how far the envelope's sealing has got; where signals
// are caught (InterruptScope), it stops there once one has come.
class SealingProgress final : public crypto::ByteSink {
  public:
    SealingProgress(crypto::ByteSink& inner, std::uint64_t total)
        // TRANSLATORS: a progress line's first word, "sealing 40% of 12.5 MB": encrypting the tip.
        : inner_(inner), line_(tr("sealing"), total) {}
    void write(std::span<const unsigned char> bytes) override {
        stop_if_interrupted();
        inner_.write(bytes);
        done_ += bytes.size();
        line_.update(done_);
    }

  private:
    crypto::ByteSink& inner_;
    ProgressLine line_;
    std::uint64_t done_ = 0;
};

void seal_into(const std::vector<crypto::BoxPublicKey>& recipients, PreparedTip& tip,
               crypto::ByteSink& sink) {
    if (const std::error_code ec = crypto::seal_tip(recipients, tip.header, tip.sources, sink)) {
        io_error(tr("cannot seal the tip: {error}", {{"error", ec.message()}}),
                 {tr("a file may have changed or shrunk while it was read")});
    }
}

std::vector<crypto::PublicIdentity> keys_from_arguments(const std::vector<std::string>& to) {
    std::vector<crypto::PublicIdentity> ids;
    for (const std::string& t : to) ids.push_back(load_public_key(t));
    return ids;
}

[[noreturn]] void refuse_terminal_envelope() {
    usage_error(tr("refusing to write a binary envelope to the terminal"),
                {tr("redirect it to a file: > tip.env, or use --out")});
}

int seal(const TipOptions& o, const fs::path& out_option, bool force) {
    const fs::path out = out_option.empty() ? fs::path("-") : out_option;
    const auto recipients = box_keys(keys_from_arguments(o.to));
    StreamOutput::check(out, force);
    if (is_standard_stream(out) && ::isatty(STDOUT_FILENO) == 1) refuse_terminal_envelope();
    PreparedTip tip = prepare_tip(o);
    // Ctrl-C while sealing leaves no partial file: a new file appears only once complete.
    InterruptScope signals;
    StreamOutput output(out, 0644, force);
    if (output.is_terminal()) refuse_terminal_envelope();
    FdSink sink(output.fd(), output.name());
    try {
        std::vector<unsigned char> encoded;
        crypto::encode_tip_header(tip.header, encoded);
        SealingProgress progress(
            sink, crypto::envelope_size(crypto::tip_document_length(encoded.size(), tip.header),
                                        recipients.size()));
        seal_into(recipients, tip, progress);
    } catch (const Interrupted&) {
        if (output.is_new_file()) throw;  // "nothing was kept"
        throw Interrupted(exit_usage_or_io,
                          // TRANSLATORS: {output} is "standard output" or a file's name in quotes.
                          tr("interrupted: what was written to {output} is an incomplete envelope",
                             {{"output", output.name()}}),
                          {tr("it cannot be opened; do not send it")});
    }
    output.finish();
    return exit_success;
}

// The receipt, shown once on the terminal (standard error) and optionally saved where asked.
// Refuses a --receipt-out that exists before anything is sent, so saving it cannot fail later.
void check_receipt_out(const fs::path& receipt_out) {
    if (receipt_out.empty()) return;
    refuse_standard_stream_for_file(receipt_out, "--receipt-out",
                                    tr("the receipt is saved in a new file of mode 0600, and shown "
                                       "on the terminal in any case"));
    struct stat st {};
    const bool stream = ::stat(receipt_out.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
    if (!stream && fs::exists(fs::symlink_status(receipt_out))) {
        usage_error(tr("'{file}' already exists", {{"file", receipt_out.string()}}),
                    {tr("choose a new file for the receipt")});
    }
    StreamOutput::check(receipt_out, false);
}

// The tip is stored by now: the receipt is shown first, so a failure to save it loses nothing.
void show_receipt(const crypto::SecretBuffer& digits, const fs::path& receipt_out) {
    const crypto::SecretBuffer shown = crypto::format_receipt(digits.span());
    std::cerr << "\n"
              // TRANSLATORS: the receipt's 20 digits follow; the web form calls it the receipt
              // number.
              << "  " << tr("Your receipt:") << "  "
              << std::string_view(reinterpret_cast<const char*>(shown.data()), shown.size())
              << "\n\n"
              << "  "
              << tr("Write it down now and keep it somewhere safe. It is shown only this once.")
              << "\n"
              << "  "
              << tr("With it you can read the replies and answer them (tipline-submit check).")
              << "\n"
              << "  " << tr("Anyone who has it can read the replies too.") << "\n\n";
    if (receipt_out.empty()) return;
    try {
        StreamOutput output(receipt_out, 0600, false);
        FdSink sink(output.fd(), output.name());
        sink.write(shown.span());
        const unsigned char newline = '\n';
        sink.write({&newline, 1});
        output.finish();
    } catch (const std::exception& e) {
        print_warning(tool, tr("the tip was stored, but the receipt could not be saved: {error}; "
                               "copy it from above",
                               {{"error", e.what()}}));
    }
}

std::uint64_t upload_chunk(const ServerKeys& keys) {
    return keys.upload_chunk_bytes != 0 ? keys.upload_chunk_bytes : default_chunk_bytes;
}

// The upload's progress, drawn on a terminal: how far, how fast, how long is left.
std::function<void(const UploadProgress&)> progress_printer(ProgressLine& line) {
    return [&line](const UploadProgress& p) { line.update(p.done); };
}

// A tip the server would refuse for its size is refused here, before any sealing: sealing a
// large file only to be told "too large" can take minutes.
void check_size(std::uint64_t size, const ServerKeys& keys) {
    if (keys.envelope_bytes == 0 || size <= keys.envelope_bytes) return;
    usage_error(tr("the tip is too large for this tip line: sealed, it would be {size}, and the "
                   "server stores at most {limit}",
                   {{"size", human_bytes(size)}, {"limit", human_bytes(keys.envelope_bytes)}}),
                {tr("send fewer or smaller files, or split them over follow-ups")});
}

int resume(const std::string& server, const std::string& proxy, const fs::path& resume_file,
           const fs::path& receipt_out);

int send(const TipOptions& o, const std::string& server, const std::string& proxy, Trust& trust,
         const fs::path& receipt_out, const fs::path& resume_file) {
    refuse_standard_stream_for_file(resume_file, "--resume-file",
                                    tr("the resume file is read and written again while the tip "
                                       "is sent, and after a crash"));
    if (!resume_file.empty() && fs::exists(fs::symlink_status(resume_file))) {
        if (!o.files.empty() || !o.message_file.empty() || !o.to.empty()) {
            usage_error(tr("'{file}' exists: this run resumes the tip sealed in it",
                           {{"file", resume_file.string()}}),
                        {tr("run again with only --server, --proxy and --resume-file, or choose a "
                            "new resume file")});
        }
        check_receipt_out(receipt_out);
        return resume(server, proxy, resume_file, receipt_out);
    }
    check_receipt_out(receipt_out);
    HttpClient http(server, proxy);
    ServerKeys server_keys = fetch_server_keys(http);
    // Keys given with --to are the witness's own choice; the server's are only what pinning allows.
    const auto recipients =
        box_keys(o.to.empty() ? trusted_recipients(server_keys, trust).identities
                              : keys_from_arguments(o.to));
    PreparedTip tip = prepare_tip(o);
    // The receipt opens a mailbox for replies: the tip carries the reply key, the server gets the
    // mailbox's name and the token's hash.
    const crypto::SecretBuffer receipt = crypto::generate_receipt();
    const MailboxAccess mailbox = MailboxAccess::from_receipt(receipt.span(), server_keys.salt);
    tip.header.reply_key = mailbox.reply.public_key;
    const auto opening = mailbox.opening_headers();
    std::vector<unsigned char> encoded;
    crypto::encode_tip_header(tip.header, encoded);
    const std::uint64_t size = crypto::envelope_size(
        crypto::tip_document_length(encoded.size(), tip.header), recipients.size());
    check_size(size, server_keys);
    if (server_keys.inline_bytes != 0 && size <= server_keys.inline_bytes && resume_file.empty()) {
        crypto::VectorSink sealed;
        {
            SealingProgress progress(sealed, size);
            seal_into(recipients, tip, progress);
        }
        const std::string id = submit_envelope(http, sealed.bytes(), opening, server_keys.proof);
        show_receipt(receipt, receipt_out);
        std::cout << id << "\n";
        return exit_success;
    }
    // Larger tips go up in chunks. The envelope is sealed into an unnamed temporary file
    // (ciphertext only), or with --resume-file into that file, together with the receipt and the
    // upload key, so that a later run can go on where this one stopped.
    UniqueFd file = resume_file.empty() ? anonymous_temp_file()
                                        : create_resume_file(resume_file, receipt.span(), size);
    const std::uint64_t base = resume_file.empty() ? 0 : resume_header_size;
    FdSink sink(file.get(),
                resume_file.empty() ? "a temporary file" : "'" + resume_file.string() + "'");
    try {
        // Ctrl-C while sealing into the resume file removes it; once sealed, it stays for a
        // later run, and the signals end the tool as usual.
        std::optional<InterruptScope> signals;
        if (!resume_file.empty()) signals.emplace();
        {
            SealingProgress progress(sink, size);
            seal_into(recipients, tip, progress);
        }
        if (!resume_file.empty()) finish_resume_file(file.get(), resume_file);
    } catch (...) {
        if (!resume_file.empty()) ::unlink(resume_file.c_str());  // nothing was sent yet
        throw;
    }
    // TRANSLATORS: a progress line's first word, "sending 40% of 12.5 MB".
    ProgressLine sending(tr("sending"), size);
    UploadJob job{file.get(),        base, size, upload_chunk(server_keys),
                  opening,           {},   {},   progress_printer(sending),
                  &server_keys.proof};
    if (!resume_file.empty()) {
        job.on_started = [&](const std::string& key) {
            record_upload_key(file.get(), resume_file, key);
        };
    }
    const std::string id = upload_envelope(http, job);
    sending.finish();
    show_receipt(receipt, receipt_out);
    if (!resume_file.empty()) ::unlink(resume_file.c_str());
    std::cout << id << "\n";
    return exit_success;
}

// Goes on with the upload a resume file describes, and finishes the tip.
int resume(const std::string& server, const std::string& proxy, const fs::path& resume_file,
           const fs::path& receipt_out) {
    HttpClient http(server, proxy);
    ServerKeys server_keys = fetch_server_keys(http);
    UniqueFd file(::open(resume_file.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
    if (!file) io_error(tr("cannot open '{file}'", {{"file", resume_file.string()}}));
    ResumeState state;
    if (const std::error_code ec = read_resume_file(file.get(), state)) {
        usage_error(tr("'{file}' is not a resume file: {error}",
                       {{"file", resume_file.string()}, {"error", ec.message()}}),
                    {tr("it is made by 'tipline-submit send --resume-file' for a large tip")});
    }
    std::cerr << tr("resuming the tip in '{file}'", {{"file", resume_file.string()}}) << "\n";
    const MailboxAccess mailbox =
        MailboxAccess::from_receipt(state.receipt.span(), server_keys.salt, state.receipt_kdf);
    ProgressLine sending(tr("sending"), state.envelope_length);
    UploadJob job{file.get(),
                  resume_header_size,
                  state.envelope_length,
                  upload_chunk(server_keys),
                  mailbox.opening_headers(),
                  state.upload_key,
                  {},
                  progress_printer(sending),
                  &server_keys.proof};
    job.on_started = [&](const std::string& key) {
        record_upload_key(file.get(), resume_file, key);
    };
    const std::string id = upload_envelope(http, job);
    sending.finish();
    show_receipt(state.receipt, receipt_out);
    ::unlink(resume_file.c_str());
    std::cout << id << "\n";
    return exit_success;
}

// The receipt from a file (its first line) or typed on the terminal without echo, checked.
crypto::SecretBuffer obtain_receipt(const fs::path& receipt_file) {
    const crypto::SecretBuffer typed =
        obtain_passphrase({receipt_file, -1}, tr("receipt (20 digits): "), false);
    crypto::SecretBuffer digits;
    if (crypto::parse_receipt({reinterpret_cast<const char*>(typed.data()), typed.size()},
                              digits)) {
        usage_error(tr("that is not a receipt"),
                    {tr("a receipt is 20 digits, written in groups of four")});
    }
    return digits;
}

int check(const std::string& server, const std::string& proxy, Trust& trust,
          const fs::path& receipt_file) {
    HttpClient http(server, proxy);
    const ServerKeys server_keys = fetch_server_keys(http);
    const TrustedRecipients trusted = trusted_recipients(server_keys, trust);
    const crypto::SecretBuffer digits = obtain_receipt(receipt_file);
    const auto [mailbox, bundle] = open_mailbox(http, digits.span(), server_keys.salt);
    const crypto::BoxKeyPair* keys[] = {&mailbox.reply};
    std::vector<crypto::OpenedMessage> replies;
    std::size_t unreadable = 0;
    if (crypto::open_bundle_messages(bundle, keys, crypto::TipKind::reply, replies, unreadable)) {
        io_error(tr("the server's list of replies is damaged"));
    }
    if (replies.empty() && unreadable == 0) {
        std::cout << tr("no replies yet") << "\n";
        return exit_success;
    }
    // Only replies a trusted responder signed for this receipt are shown; the rest are counted.
    std::size_t shown = 0, unverified = 0;
    for (const crypto::OpenedMessage& r : replies) {
        if (!crypto::is_trusted_reply(r.header, trusted.identities, mailbox.reply.public_key)) {
            ++unverified;
            continue;
        }
        const std::string text = escape_text_for_display(r.header.message);
        const std::string number = std::to_string(++shown);
        const std::string day = crypto::format_day(r.day);
        const std::string signer = crypto::fingerprint(*r.header.signer);
        // The header is the tool's own; the reply's text below it is the server's, escaped.
        std::cout << (trusted.pinned
                          ? tr("--- reply {number} ({day}), from the NGO, signed by responder "
                               "{fingerprint}",
                               {{"number", number}, {"day", day}, {"fingerprint", signer}})
                          : tr("--- reply {number} ({day}), signed by responder {fingerprint}",
                               {{"number", number}, {"day", day}, {"fingerprint", signer}}))
                  << "\n"
                  << text << (text.ends_with('\n') ? "" : "\n");
    }
    if (shown == 0) std::cout << tr("no replies yet that a responder you trust signed") << "\n";
    if (unverified > 0) {
        print_warning(tool, tr("{count} message(s) in the mailbox are not signed by a responder "
                               "you trust, and are not shown: do not act on anything that claims "
                               "to come from the NGO without that signature",
                               {{"count", std::to_string(unverified)}}));
    }
    if (unreadable > 0) {
        print_warning(tool, tr("{count} message(s) in the mailbox could not be opened with this "
                               "receipt",
                               {{"count", std::to_string(unreadable)}}));
    }
    return exit_success;
}

int follow_up(const TipOptions& o, const std::string& server, const std::string& proxy,
              Trust& trust, const fs::path& receipt_file) {
    HttpClient http(server, proxy);
    ServerKeys server_keys = fetch_server_keys(http);
    const auto recipients = box_keys(trusted_recipients(server_keys, trust).identities);
    const crypto::SecretBuffer digits = obtain_receipt(receipt_file);
    // Found first, so that the follow-up carries the reply key of the receipt's own version.
    const MailboxAccess mailbox = find_mailbox(http, digits.span(), server_keys.salt);
    PreparedTip tip = prepare_tip(o, crypto::TipKind::follow_up);
    tip.header.reply_key = mailbox.reply.public_key;
    crypto::VectorSink sealed;
    seal_into(recipients, tip, sealed);
    if (server_keys.inline_bytes != 0 && sealed.bytes().size() > server_keys.inline_bytes) {
        usage_error(tr("a follow-up can carry at most {limit} bytes sealed",
                       {{"limit", std::to_string(server_keys.inline_bytes)}}),
                    {tr("send large files as a new tip with tipline-submit send")});
    }
    std::cout << send_follow_up(http, mailbox, sealed.bytes(), server_keys.proof) << "\n";
    return exit_success;
}

void add_tip_options(CLI::App* cmd, TipOptions& o, bool to_required) {
    auto* to = cmd->add_option("--to", o.to,
                               "a responder's public key, as text or a PATH.pub file (repeatable)");
    if (to_required) to->required();
    cmd->add_option("--file", o.files, "a file to attach (repeatable)");
    cmd->add_option(
        "--message-file", o.message_file,
        "read the message from this file instead of standard input (-: standard input)");
    cmd->add_option("--lang", o.language, "language tag of the message, e.g. ko or zh-Hans");
    cmd->add_flag("--keep-metadata", o.keep_metadata,
                  "send files as they are: without removing the Exif, GPS, XMP, IPTC and comments "
                  "of JPEG, PNG and WebP images (done in memory), nor the author, software, dates, "
                  "GPS and tags of PDF, Office and OpenDocument files, recordings and videos "
                  "(done by Debian's mat2 in a bubblewrap sandbox without network, on this "
                  "machine). Without it, a file that cannot be cleaned is not sent");
}

Manual manual() {
    Manual m;
    m.summary = "the witness's tool: seal a tip, send it over Tor, read the replies";
    m.description =
        "tipline-submit is the witness's tool for a Tipline tip line. It seals a message and "
        "files on this machine so that only the NGO's responders can read them, and sends them "
        "to the tip line's onion address through Tor. It prints a receipt: keep it, and only "
        "it, to read the responders' replies and to answer them later (check, reply).\n\n"
        "Before sealing, it removes what photos, documents, recordings and videos say about "
        "place, time, device and author, unless told otherwise with --keep-metadata. It pins "
        "the responders' or the organisation's fingerprint given with --expect, and refuses to "
        "seal to any other key.\n\n"
        "It writes nothing to disk that was not asked for: no history, no cache, no log. The "
        "receipt is shown on the terminal, or written only where --receipt-out names.\n\n"
        "Messages follow the witness's language (Korean, Chinese or English) from the "
        "environment below.";
    m.environment = {{"LANGUAGE, LC_ALL, LC_MESSAGES, LANG",
                      "the language of messages, in gettext's order: ko and zh (Simplified) have "
                      "catalogs; anything else is English"}};
    m.see_also = {"tipline-responder(1)", "tiplined(8)", "torsocks(1)"};
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    // First: every message from here on, the subcommands' descriptions among them, is translated.
    init_messages();
    CLI::App app{tr("Tipline witness tool. Seals a tip so that only the NGO's responders can read "
                    "it."),
                 std::string(tool)};
    app.require_subcommand(1);
    TipOptions seal_opts, send_opts, reply_opts;
    fs::path out, receipt_out, receipt_file, resume_file;
    bool force = false;
    std::string server, proxy;
    const std::string proxy_help =
        "Tor's SOCKS port, HOST:PORT or socks5h://HOST:PORT (127.0.0.1:9050 for the tor daemon, "
        "127.0.0.1:9150 for Tor Browser); the name of the tip line is resolved by Tor, never here";
    std::vector<std::string> expect;
    fs::path remember;
    // Pinning and remembering take the same words in every command that talks to a tip line.
    const auto add_trust_options = [&](CLI::App* cmd) {
        cmd->add_option("--expect", expect,
                        "seal only to keys with this fingerprint, a responder's or the "
                        "organisation's whose signed "
                        "list names the responders (repeatable; 25 digits in any grouping)");
        cmd->add_option(
            "--remember", remember,
            "keep the highest list serial seen in this file, to notice a list rolled back to an "
            "older "
            "one (the file names the tip line's organisation: keep it only where that is safe)");
    };

    auto* seal_cmd =
        app.add_subcommand("seal", tr("seal a message and files into an envelope file"));
    add_tip_options(seal_cmd, seal_opts, true);
    seal_cmd->add_option("--out", out,
                         "write the envelope to this new file (- or none: standard output)");
    seal_cmd->add_flag("--force", force, "replace the --out file if it exists");

    auto* send_cmd = app.add_subcommand(
        "send", tr("seal a message and files and send them to a tip line; prints the tip's id"));
    add_tip_options(send_cmd, send_opts, false);
    send_cmd->add_option("--server", server, "the tip line's address, e.g. http://ADDRESS.onion")
        ->required();
    send_cmd->add_option("--proxy", proxy, proxy_help);
    add_trust_options(send_cmd);
    send_cmd->get_option("--expect")->excludes(send_cmd->get_option("--to"));
    send_cmd->add_option("--receipt-out", receipt_out,
                         "also save the receipt in this new file (mode 0600)");
    send_cmd->add_option(
        "--resume-file", resume_file,
        "keep the sealed tip, its receipt and its upload here until it is stored, so that running "
        "again with the same file goes on after a crash or a lost connection");

    auto* check_cmd =
        app.add_subcommand("check", tr("read the replies to a tip, with its receipt"));
    check_cmd->add_option("--server", server, "the tip line's address, e.g. http://ADDRESS.onion")
        ->required();
    check_cmd->add_option("--proxy", proxy, proxy_help);
    check_cmd->add_option("--receipt-file", receipt_file,
                          "read the receipt from this file instead of asking (-: standard input)");
    add_trust_options(check_cmd);

    auto* reply_cmd = app.add_subcommand(
        "reply", tr("answer the replies: send a follow-up with the same receipt"));
    reply_cmd->add_option("--server", server, "the tip line's address, e.g. http://ADDRESS.onion")
        ->required();
    reply_cmd->add_option("--proxy", proxy, proxy_help);
    reply_cmd->add_option("--receipt-file", receipt_file,
                          "read the receipt from this file instead of asking (-: standard input)");
    add_trust_options(reply_cmd);
    reply_cmd->add_option("--file", reply_opts.files, "a file to attach (repeatable)");
    reply_cmd->add_option(
        "--message-file", reply_opts.message_file,
        "read the message from this file instead of standard input (-: standard input)");
    reply_cmd->add_option("--lang", reply_opts.language,
                          "language tag of the message, e.g. ko or zh-Hans");
    reply_cmd->add_flag("--keep-metadata", reply_opts.keep_metadata,
                        "send files without removing their metadata (see send --help)");

    return run_tool(tool, app, manual(), argc, argv, [&] {
        if (*seal_cmd) return seal(seal_opts, out, force);
        proxy = proxy_url(proxy);  // a --proxy at fault is named before anything is sent
        // Both would read standard input: refused before the tip line is asked anything.
        if (*reply_cmd && is_standard_stream(receipt_file) &&
            (reply_opts.message_file.empty() || is_standard_stream(reply_opts.message_file))) {
            usage_error(tr("the receipt and the message cannot both come from standard input"),
                        {tr("give the message with --message-file FILE")});
        }
        Trust trust = trust_from(expect, remember);
        if (*check_cmd) return check(server, proxy, trust, receipt_file);
        if (*reply_cmd) return follow_up(reply_opts, server, proxy, trust, receipt_file);
        return send(send_opts, server, proxy, trust, receipt_out, resume_file);
    });
}
