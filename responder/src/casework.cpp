// Describing, exporting and answering a conversation, shared by tipline-responder's commands and
// its inbox.
#include "tipline/responder/casework.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>

#include "tipline/client/display_text.hpp"
#include "tipline/client/interrupt.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/client/safe_name.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/responder/safe_copy.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::responder {
namespace {

namespace fs = std::filesystem;
using client::escape_for_display;
using client::escape_text_for_display;

// Passes every chunk on, after checking for Ctrl-C: an export of a large attachment stops within
// one chunk, and its temporary files go with the exception.
class InterruptibleSink final : public crypto::ByteSink {
  public:
    explicit InterruptibleSink(crypto::ByteSink& to) : to_(to) {}
    void write(std::span<const unsigned char> bytes) override {
        client::stop_if_interrupted();
        to_.write(bytes);
    }

  private:
    crypto::ByteSink& to_;
};

// Removes the export's folder unless dismissed, when the export made it: an export that fails or
// is interrupted leaves the place as it found it (the folder's files are gone by then).
class CreatedFolder {
  public:
    explicit CreatedFolder(fs::path folder) : folder_(std::move(folder)) {}
    ~CreatedFolder() {
        std::error_code ignored;
        if (!folder_.empty()) fs::remove(folder_, ignored);  // removes only an empty folder
    }
    CreatedFolder(const CreatedFolder&) = delete;
    CreatedFolder& operator=(const CreatedFolder&) = delete;
    void dismiss() noexcept { folder_.clear(); }

  private:
    fs::path folder_;
};

}  // namespace

std::string kind_text(const std::string& kind) { return kind == "follow_up" ? "follow-up" : kind; }

std::string describe_conversation(const Conversation& c) {
    std::ostringstream out;
    const ConversationSummary& s = c.summary;
    out << "conversation " << s.thread << "\n";
    out << "status: " << s.status << "\n";
    out << "assigned to: " << (s.assignee.empty() ? "nobody" : s.assignee) << "\n";
    std::string tags;
    for (const std::string& t : s.tags) tags += (tags.empty() ? "" : ", ") + t;
    out << "tags: " << escape_for_display(tags) << "\n";
    out << "reply: "
        << (c.reply_key ? "possible (tipline-responder reply)"
                        : "not possible, the witness kept no receipt")
        << "\n";
    for (const StoredMessage& m : c.messages) {
        out << "\n--- " << kind_text(m.kind) << " " << m.item << ", received "
            << crypto::format_day(m.day);
        if (m.kind == "reply")
            out << (m.signer.empty() ? ", unsigned" : ", signed by responder " + m.signer);
        out << ", language " << escape_for_display(m.language) << "\n";
        out << escape_text_for_display(m.body) << "\n";
        for (const StoredAttachment& a : m.attachments) {
            out << "attachment: \"" << escape_for_display(a.name) << "\", " << a.size
                << " bytes, declared type " << escape_for_display(a.media_type) << "; ";
            if (a.safe_copy) {
                out << "safe copy: " << a.safe_copy->media_type << ", " << a.safe_copy->pages
                    << (a.safe_copy->pages == 1 ? " page" : " pages")
                    << (a.safe_copy->note.empty() ? "" : " (" + a.safe_copy->note + ")") << "\n";
            } else {
                out << "no safe copy: unsafe to open\n";
            }
        }
    }
    for (const StoredNote& n : c.notes) {
        out << "\n--- note by responder " << n.author << ", " << crypto::format_day(n.day) << "\n"
            << escape_text_for_display(n.text) << "\n";
    }
    return out.str();
}

void check_export_folder(const fs::path& out) {
    if (fs::exists(fs::symlink_status(out)) && (!fs::is_directory(out) || !fs::is_empty(out))) {
        tooling::usage_error(
            client::tr("'{folder}' exists and is not an empty folder", {{"folder", out.string()}}),
            // TRANSLATORS: the export: a conversation copied out of the case store into a folder.
            {client::tr("choose a new folder for the export")});
    }
}

std::size_t export_conversation(CaseStore& store, const Conversation& conversation,
                                const fs::path& out) {
    using namespace tooling;
    check_export_folder(out);
    std::error_code ec;
    const bool existed = fs::exists(fs::symlink_status(out));
    fs::create_directories(out, ec);
    if (ec) {
        io_error(client::tr("cannot create '{folder}': {error}",
                            {{"folder", out.string()}, {"error", ec.message()}}));
    }
    ::chmod(out.c_str(), 0700);
    CreatedFolder created(existed ? fs::path() : out);
    client::NameAllocator names({"conversation.txt"});
    // Destroyed before `created`: a file not installed is removed, its plaintext with it.
    std::vector<std::unique_ptr<PendingFile>> pending;
    std::string listing;
    for (const StoredMessage& m : conversation.messages) {
        for (const StoredAttachment& a : m.attachments) {
            // An original that has a safe copy is named so that no viewer opens it by a click.
            const std::string name = names.claim(a.safe_copy ? a.name + ".UNSAFE" : a.name);
            pending.push_back(std::make_unique<PendingFile>(out / name, 0600));
            FdSink file_sink(pending.back()->fd(), "'" + (out / name).string() + "'");
            InterruptibleSink sink(file_sink);
            store.read_attachment(a.file, sink);
            listing += "  " + name + ": \"" + escape_for_display(a.name) + "\" from " +
                       kind_text(m.kind) + " " + m.item +
                       (a.safe_copy ? ", as the witness sent it: unsafe to open\n" : "\n");
            if (!a.safe_copy) continue;
            const std::string stem = a.name.substr(0, a.name.rfind('.'));
            const std::string safe_name =
                names.claim((stem.empty() ? a.name : stem) + ".safe" +
                            (a.safe_copy->media_type == "application/pdf" ? ".pdf" : ".png"));
            pending.push_back(std::make_unique<PendingFile>(out / safe_name, 0600));
            FdSink safe_file_sink(pending.back()->fd(), "'" + (out / safe_name).string() + "'");
            InterruptibleSink safe_sink(safe_file_sink);
            store.read_attachment(a.safe_copy->file, safe_sink);
            listing += "  " + safe_name + ": its safe copy, rebuilt from its pixels\n";
        }
    }
    std::string report = describe_conversation(conversation);
    if (!listing.empty()) report += "\nfiles in this folder:\n" + listing;
    report +=
        "\nThe attachments are as the witness sent them: open them only on a machine that "
        "cannot reach the network.\n";
    pending.push_back(std::make_unique<PendingFile>(out / "conversation.txt", 0600));
    pending.back()->write({reinterpret_cast<const unsigned char*>(report.data()), report.size()});
    client::stop_if_interrupted();  // the last moment at which nothing is in place yet
    std::vector<PendingFile*> all;
    for (auto& p : pending) all.push_back(p.get());
    install_files(all, false);
    created.dismiss();
    return all.size() - 1;
}

std::vector<SafeCopyOutcome> make_safe_copies(CaseStore& store, const Conversation& conversation) {
    std::vector<SafeCopyOutcome> outcomes;
    std::size_t made = 0;
    // Ctrl-C: the copies made so far are written to the store, and the message says how many.
    const auto keep_and_stop_if_interrupted = [&] {
        if (!client::interrupted()) return;
        if (made > 0) store.save();
        try {
            client::stop_if_interrupted();
        } catch (const client::Interrupted& e) {
            throw client::Interrupted(
                e.exit_code(),
                // TRANSLATORS: Ctrl-C during 'safe-copy': {made} safe copies were finished and
                // kept before it.
                client::tr("interrupted: {made} safe copies were made and kept; the attachments "
                           "after them have none yet",
                           {{"made", std::to_string(made)}}),
                {client::tr("run safe-copy again to make the others")});
        }
    };
    for (const StoredMessage& m : conversation.messages) {
        for (const StoredAttachment& a : m.attachments) {
            keep_and_stop_if_interrupted();
            SafeCopyOutcome& o = outcomes.emplace_back();
            o.name = a.name;
            if (a.safe_copy) {
                o.kind = SafeCopyOutcome::had_one;
                continue;
            }
            crypto::VectorSink original;
            store.read_attachment(a.file, original);
            const auto wipe = [&] {
                sodium_memzero(original.bytes().data(), original.bytes().size());
            };
            const SafeCopyInput input = sniff_safe_copy_input(original.bytes());
            if (input == SafeCopyInput::unsupported ||
                (input == SafeCopyInput::office && !office_copies_available())) {
                o.kind = SafeCopyOutcome::unsupported;
                if (input == SafeCopyInput::office)
                    o.detail = client::tr("an Office document: its safe copy needs LibreOffice");
                wipe();
                continue;
            }
            try {
                SafeCopy copy = make_safe_copy(original.bytes(), input);
                wipe();
                add_safe_copy(store, a.file, copy.bytes, copy.media_type, copy.pages, copy.note);
                sodium_memzero(copy.bytes.data(), copy.bytes.size());
                ++made;
                o.detail = copy.media_type + ", " + std::to_string(copy.pages) +
                           (copy.pages == 1 ? " page" : " pages") +
                           (copy.note.empty() ? "" : " (" + copy.note + ")");
            } catch (const tooling::ToolError& e) {
                wipe();
                // The conversion may have failed because Ctrl-C ended it.
                keep_and_stop_if_interrupted();
                if (e.exit_code() != tooling::exit_verification_failure) throw;
                o.kind = SafeCopyOutcome::failed;
                o.detail = e.what();
            }
        }
    }
    if (made > 0) store.save();
    return outcomes;
}

fs::path write_outbox_file(const fs::path& outbox, const std::string& prefix,
                           std::string_view extension, std::span<const unsigned char> bytes) {
    std::error_code ec;
    if (outbox.has_parent_path()) fs::create_directories(outbox.parent_path(), ec);
    if (ec || (::mkdir(outbox.c_str(), 0700) != 0 && errno != EEXIST)) {
        const std::string error = ec ? ec.message() : std::string(std::strerror(errno));
        tooling::io_error(client::tr("cannot create '{folder}': {error}",
                                     {{"folder", outbox.string()}, {"error", error}}));
    }
    unsigned char random[4];
    randombytes_buf(random, sizeof random);
    const fs::path path =
        outbox / (prefix + "-" + crypto::to_hex(random) + "." + std::string(extension));
    tooling::write_new_file(path, bytes, 0600, false);
    return path;
}

std::vector<unsigned char> seal_reply_file(const crypto::BoxPublicKey& reply_key,
                                           const crypto::SecretIdentity& identity,
                                           const std::string& message, const std::string& language,
                                           std::span<const crypto::BoxPublicKey> cc) {
    crypto::TipHeader header;
    header.kind = crypto::TipKind::reply;
    header.created_at = static_cast<std::int64_t>(std::time(nullptr));
    header.language = language;
    header.reply_key = reply_key;  // the witness it answers, under the signature
    header.message = message;
    if (crypto::validate_tip_header(header))
        tooling::usage_error(
            client::tr("the reply's language must be a tag such as en, ko or zh-Hans"));
    // The witness, this responder (to read the thread later) and each colleague named.
    std::vector<crypto::BoxPublicKey> recipients{reply_key, identity.public_identity.box};
    for (const crypto::BoxPublicKey& c : cc) {
        if (std::find(recipients.begin(), recipients.end(), c) == recipients.end())
            recipients.push_back(c);
    }
    if (recipients.size() > crypto::envelope_max_recipients)
        // TRANSLATORS: colleagues: other responders, each sent a copy of the reply (--cc).
        tooling::usage_error(client::tr("at most 14 colleagues can get a copy"));
    crypto::VectorSink sealed;
    // Signed, so the witness's tools can tell it from words anyone else put in the mailbox.
    if (auto ec = crypto::seal_signed_reply(recipients, header, {}, identity, sealed))
        tooling::io_error(client::tr("cannot seal the reply: {error}", {{"error", ec.message()}}));
    return client::encode_reply_file(crypto::mailbox_id(reply_key), sealed.bytes());
}

}  // namespace tipline::responder
