// tipline-responder: the NGO's tool. Offline commands hold decryption keys; online ones never need
// them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "responder_cases.hpp"
#include "tipline/client/fetch.hpp"
#include "tipline/client/http_client.hpp"
#include "tipline/client/interrupt.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/client/outgoing.hpp"
#include "tipline/client/pinning.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/client/tip_folder.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/responder/case_store.hpp"
#include "tipline/responder/casework.hpp"
#include "tipline/responder/conversations.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"
#include "tipline/tooling/key_io.hpp"
#include "tipline/tooling/manual.hpp"

namespace {

namespace fs = std::filesystem;
namespace crypto = tipline::crypto;
using namespace tipline::client;
using namespace tipline::tooling;

constexpr std::string_view tool = "tipline-responder";

void add_passphrase_options(CLI::App* cmd, PassphraseSource& source) {
    cmd->add_option("--passphrase-file", source.file,
                    "read the passphrase from the first line of this file");
    cmd->add_option("--passphrase-fd", source.fd,
                    "read the passphrase from this open file descriptor");
}

// What every online command takes: where the responder API is, how to reach it, and the signing
// key.
void add_online_options(CLI::App* cmd, std::string& server, std::string& proxy, fs::path& key,
                        PassphraseSource& source) {
    cmd->add_option("--server", server, "the responder onion's address, e.g. http://ADDRESS.onion")
        ->required();
    cmd->add_option("--proxy", proxy,
                    "Tor's SOCKS port, HOST:PORT or socks5h://HOST:PORT (127.0.0.1:9050 for the "
                    "tor daemon); names are resolved by Tor, never here");
    cmd->add_option("--key", key, "your signing key (sign-only or full)")->required();
    add_passphrase_options(cmd, source);
}

// Binary output never goes to a terminal, where it would be unreadable and could drive it.
void refuse_terminal(const StreamOutput& output) {
    if (output.is_terminal()) {
        usage_error(tr("refusing to write binary data to the terminal"),
                    {tr("give --out a file name, or redirect standard output to a file")});
    }
}

// What StreamOutput refuses, checked before any passphrase is asked for.
void check_binary_output(const fs::path& out) {
    StreamOutput::check(out, false);
    if (is_standard_stream(out) && ::isatty(STDOUT_FILENO) == 1) {
        usage_error(tr("refusing to write binary data to the terminal"),
                    {tr("give --out a file name, or redirect standard output to a file")});
    }
}

crypto::KdfLimits kdf_by_name(const std::string& name) {
    if (name == "interactive") return crypto::kdf_interactive();
    if (name == "sensitive") return crypto::kdf_sensitive();
    return crypto::kdf_moderate();
}

// A responder's key pair, or with organisation the NGO's list-signing key: PATH (0600) and
// PATH.pub.
int keygen(const fs::path& out, const PassphraseSource& source, bool force, const std::string& kdf,
           bool organisation = false) {
    refuse_standard_stream_for_file(out, "--out",
                                    tr("a secret key is written to a new file of mode 0600, "
                                       "never to standard output"));
    const fs::path pub = out.string() + ".pub";
    if (!force) {
        for (const fs::path& p : {out, pub}) {
            if (fs::exists(fs::symlink_status(p))) {
                usage_error(tr("'{file}' already exists", {{"file", p.string()}}),
                            {tr("refusing to overwrite a key; use --force only if the old key may "
                                "be lost")});
            }
        }
    }
    const crypto::SecretBuffer passphrase =
        obtain_passphrase(source, tr("Passphrase for the new key: "), true);
    if (passphrase.size() < 12)
        print_warning(tool, tr("the passphrase is short; prefer several random words"));

    const crypto::SecretIdentity identity = organisation
                                                ? crypto::SecretIdentity::generate_organisation()
                                                : crypto::SecretIdentity::generate();
    const auto file =
        crypto::seal_secret_key_file(identity,
                                     organisation ? crypto::KeyFileContents::organisation
                                                  : crypto::KeyFileContents::decrypt_and_sign,
                                     passphrase.span(), kdf_by_name(kdf));
    const crypto::OrganisationKey organisation_key{identity.public_identity.sign};
    const std::string text = (organisation ? crypto::encode_organisation_key(organisation_key)
                                           : crypto::encode_public_key(identity.public_identity)) +
                             "\n";
    // Both files or neither: a new secret key beside an old public key would lose every tip sealed
    // to it.
    PendingFile secret_file(out, 0600), public_file(pub, 0644);
    secret_file.write(file);
    public_file.write({reinterpret_cast<const unsigned char*>(text.data()), text.size()});
    PendingFile* both[] = {&secret_file, &public_file};
    install_files(both, force);

    std::cout << tr("secret key: {file} (keep it on the offline machine)", {{"file", out.string()}})
              << "\n"
              << tr("public key: {file}", {{"file", pub.string()}}) << "\n"
              << (organisation
                      ? tr("organisation fingerprint: {fingerprint} (publish it where witnesses "
                           "can compare it: a flyer, the NGO's website)",
                           {{"fingerprint", crypto::organisation_fingerprint(organisation_key)}})
                      : tr("fingerprint: {fingerprint}",
                           {{"fingerprint", crypto::fingerprint(identity.public_identity)}}))
              << "\n";
    return exit_success;
}

std::vector<unsigned char> read_list(const fs::path& path) {
    return read_small_input(path, crypto::recipient_list_max_size + 1);
}

// A list file, its signature checked; a list that does not verify is exit 1.
crypto::RecipientList open_list(const fs::path& path) {
    crypto::RecipientList list;
    if (const std::error_code ec = crypto::decode_recipient_list(read_list(path), list)) {
        open_failure(tr("'{file}' is not a valid recipient list", {{"file", path.string()}}), ec);
    }
    return list;
}

void print_list(const crypto::RecipientList& list, std::ostream& to = std::cout) {
    to << tr("organisation: {fingerprint}",
             {{"fingerprint", crypto::organisation_fingerprint(list.organisation)}})
       << "\n"
       // TRANSLATORS: the recipient list's serial number, which grows with each new list.
       << tr("serial: {serial}", {{"serial", std::to_string(list.serial)}})
       << "\n"
       // TRANSLATORS: {day} is the last day the list is valid, as 2027-06-30.
       << tr("valid through: {day}", {{"day", crypto::format_day(list.expires_day)}}) << "\n";
    for (const auto& r : list.recipients)
        to << tr("responder {fingerprint}", {{"fingerprint", crypto::fingerprint(r)}}) << "\n";
}

// Signs the responders into a new list. Its serial follows the list it replaces (--previous), so
// that witnesses who remember serials accept it and refuse the old one from then on.
int org_sign(const fs::path& key_path, const PassphraseSource& source,
             const std::vector<std::string>& responders, const fs::path& previous,
             std::uint64_t serial, const std::string& expires, const fs::path& out) {
    check_binary_output(out);
    constexpr std::int64_t default_validity_days = 180;
    crypto::RecipientList list;
    for (const std::string& r : responders) {
        const auto id = load_public_key(r);
        if (std::find(list.recipients.begin(), list.recipients.end(), id) !=
            list.recipients.end()) {
            usage_error(tr("responder {fingerprint} is named twice",
                           {{"fingerprint", crypto::fingerprint(id)}}));
        }
        list.recipients.push_back(id);
    }
    if (list.recipients.size() > crypto::recipient_list_max_entries)
        usage_error(tr("a list names at most 16 responders"));
    std::optional<crypto::RecipientList> before;
    if (!previous.empty()) before = open_list(previous);
    list.serial = before ? before->serial + 1 : serial;
    if (list.serial == 0)
        usage_error(tr("give the list being replaced with --previous, or a --serial above 0"));
    const std::int64_t today = crypto::current_day();
    const auto day =
        expires.empty() ? std::optional(today + default_validity_days) : crypto::parse_day(expires);
    if (!day) usage_error(tr("--expires takes a date such as 2027-06-30"));
    // TRANSLATORS: {date} is the date given with --expires, as it was typed.
    if (*day < today) usage_error(tr("--expires {date} is in the past", {{"date", expires}}));
    if (*day > std::int64_t{0xFFFFFFFF}) usage_error(tr("--expires is too far away"));
    list.expires_day = static_cast<std::uint32_t>(*day);

    const crypto::SecretIdentity organisation = load_organisation_key(key_path, source);
    list.organisation.key = organisation.public_identity.sign;
    if (before && before->organisation != list.organisation) {
        usage_error(
            tr("'{file}' was signed by another organisation key", {{"file", previous.string()}}),
            {tr("sign with the key that signed the list being replaced")});
    }
    StreamOutput output(out, 0644, false);
    refuse_terminal(output);
    FdSink(output.fd(), output.name()).write(crypto::sign_recipient_list(list, organisation));
    output.finish();
    // With the list on standard output, what is said about it goes to standard error.
    std::ostream& report = output.shares_standard_output() ? std::cerr : std::cout;
    print_list(list, report);
    if (before) {
        for (const auto& r : list.recipients) {
            if (std::find(before->recipients.begin(), before->recipients.end(), r) ==
                before->recipients.end()) {
                // TRANSLATORS: a responder the new list names and the list it replaces did not.
                report << tr("joins: responder {fingerprint}",
                             {{"fingerprint", crypto::fingerprint(r)}})
                       << "\n";
            }
        }
        for (const auto& r : before->recipients) {
            if (std::find(list.recipients.begin(), list.recipients.end(), r) ==
                list.recipients.end()) {
                // TRANSLATORS: a responder the replaced list named and the new list does not.
                report << tr("leaves: responder {fingerprint}",
                             {{"fingerprint", crypto::fingerprint(r)}})
                       << "\n";
            }
        }
    }
    if (output.is_new_file()) {
        // TRANSLATORS: the command after "run:" is typed as it is (DATADIR is the server's data
        // folder); {name} is the new list file's name.
        report << tr("signed into {file}; carry it to the server and run: tiplined recipients "
                     "install DATADIR {name}",
                     {{"file", out.string()}, {"name", out.filename().string()}})
               << "\n";
    }
    return exit_success;
}

// Checks a list and prints it; with keys_only, for scripts, only its responders' key texts and
// only once every check passed.
int org_show(const fs::path& list_path, const std::vector<std::string>& expect, bool keys_only) {
    const Pins pins = parse_pins(expect);
    const crypto::RecipientList list = open_list(list_path);
    if (!keys_only) print_list(list);
    if (!pins.empty() && !pins.contains(crypto::organisation_fingerprint(list.organisation))) {
        throw ToolError(exit_verification_failure,
                        tr("the list is not signed by the organisation key you expect"),
                        {tr("do not install it; ask the organisation for its list")});
    }
    if (crypto::current_day() > static_cast<std::int64_t>(list.expires_day)) {
        throw ToolError(
            exit_verification_failure,
            tr("the list expired on {day}", {{"day", crypto::format_day(list.expires_day)}}),
            {tr("sign a new one with 'tipline-responder org sign --previous'")});
    }
    if (keys_only) {
        for (const auto& r : list.recipients) std::cout << crypto::encode_public_key(r) << "\n";
    }
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
    return n == static_cast<ssize_t>(sizeof magic) &&
           std::equal(expected.begin(), expected.end(), magic);
}

// Where 'open' notes each tip folder it wrote with a reply key, so 'reply --tip ID' finds it from
// anywhere: $XDG_DATA_HOME/tipline/opened-tips, else ~/.local/share/tipline/opened-tips. One line
// per tip: the id, a tab, the folder's absolute path. It holds no tip content.
fs::path tip_index_path() {
    const char* xdg = std::getenv("XDG_DATA_HOME");
    const char* home = std::getenv("HOME");
    if (xdg != nullptr && *xdg == '/') return fs::path(xdg) / "tipline" / "opened-tips";
    if (home != nullptr && *home == '/')
        return fs::path(home) / ".local" / "share" / "tipline" / "opened-tips";
    return {};
}

void note_opened_tips(const fs::path& out, const std::vector<std::string>& folder_names) {
    const fs::path index = tip_index_path();
    if (index.empty()) return;
    std::string lines;
    for (const std::string& name : folder_names) {
        const fs::path folder = fs::absolute(out / name);
        if (name.size() < 33 || !read_reply_key(folder))
            continue;  // only tips that can be answered
        lines += name.substr(name.size() - 32) + "\t" + folder.string() + "\n";
    }
    if (lines.empty()) return;
    std::error_code ec;
    fs::create_directories(index.parent_path(), ec);
    const int fd =
        ::open(index.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, lines.data(), lines.size()) != static_cast<ssize_t>(lines.size())) {
        print_warning(tool, tr("cannot note the opened tips in '{file}'; give 'reply' the "
                               "folder with --in",
                               {{"file", index.string()}}));
    }
    if (fd >= 0) ::close(fd);
}

// What open did with each tip of a bundle it went through.
void print_opened(const fs::path& out, const BundleReport& report) {
    for (const std::string& name : report.opened)
        std::cout << tr("opened {folder}", {{"folder", (out / name).string()}}) << "\n";
    note_opened_tips(out, report.opened);
    for (const std::string& id : report.not_for_this_key)
        std::cout << tr("not for this key: tip {id}", {{"id", id}}) << "\n";
    for (const auto& [id, ec] : report.damaged) {
        print_error(tool,
                    tr("tip {id} cannot be opened: {error}", {{"id", id}, {"error", ec.message()}}),
                    {});
    }
}

// Ctrl-C in the middle of a bundle: the tips opened so far stay, and the message says how many.
[[noreturn]] void report_interrupted_bundle(const fs::path& out, const BundleReport& report) {
    print_opened(out, report);
    if (report.opened.empty()) throw;  // "nothing was kept": the folder is as it was
    const std::string opened = std::to_string(report.opened.size());
    const std::string tips = std::to_string(report.tips);
    const std::string folder = out.string();
    throw Interrupted(
        exit_usage_or_io,
        report.interrupted_in_tip
            // TRANSLATORS: {opened} of the bundle's {tips} tips were opened (decrypted) into the
            // folder {folder} before Ctrl-C; the tip that was being opened then was deleted.
            ? tr("interrupted: {opened} of {tips} tips were opened into '{folder}' and stay "
                 "there; the tip being opened was removed",
                 {{"opened", opened}, {"tips", tips}, {"folder", folder}})
            // TRANSLATORS: {opened} of the bundle's {tips} tips were opened (decrypted) into the
            // folder {folder} before Ctrl-C, which came between two tips.
            : tr("interrupted: {opened} of {tips} tips were opened into '{folder}' and stay there",
                 {{"opened", opened}, {"tips", tips}, {"folder", folder}}),
        {tr("to open the rest, open the bundle again into a new folder")});
}

int open(const fs::path& input, const fs::path& key_path, const PassphraseSource& source,
         const fs::path& out) {
    refuse_standard_stream_for_folder(out, "--out");
    UniqueFd fd = open_input(input);
    const crypto::SecretIdentity identity = load_secret_key(key_path, source, KeyUse::decrypt);
    const crypto::BoxKeyPair* ids[] = {&identity.box};
    FdSource in(fd.get(), "'" + input.string() + "'");
    catch_interrupts();
    if (!is_bundle(fd.get())) {
        OpenedTip tip;
        if (auto ec = open_tip_to_folder(ids, in, out, tip))
            open_failure(tr("cannot open '{file}'", {{"file", input.string()}}), ec);
        std::cout << tr("opened into {folder}", {{"folder", out.string()}}) << "\n"
                  << describe_tip(tip);
        return exit_success;
    }
    struct stat st {};
    ::fstat(fd.get(), &st);
    BundleReport report;
    std::error_code ec;
    try {
        ec = open_bundle_to_folders(ids, in, static_cast<std::uint64_t>(st.st_size), out, report);
    } catch (const Interrupted&) {
        report_interrupted_bundle(out, report);
    }
    print_opened(out, report);
    if (ec) open_failure(tr("cannot open the bundle '{file}'", {{"file", input.string()}}), ec);
    // TRANSLATORS: how many tips of the bundle were opened, were sealed to other responders' keys,
    // and could not be opened.
    std::cout << tr("{opened} opened, {other} for other keys, {damaged} damaged",
                    {{"opened", std::to_string(report.opened.size())},
                     {"other", std::to_string(report.not_for_this_key.size())},
                     {"damaged", std::to_string(report.damaged.size())}})
              << "\n";
    if (!report.damaged.empty()) {
        throw ToolError(
            exit_verification_failure, tr("some tips in the bundle are damaged"),
            {tr("the others were opened; copy the bundle again to retry the damaged ones")});
    }
    return exit_success;
}

// The online machine's key: a sign-only copy of the identity, under its own passphrase.
int signing_key(const fs::path& key_path, const PassphraseSource& source,
                const PassphraseSource& new_source, const fs::path& out) {
    refuse_standard_stream_for_file(out, "--out",
                                    tr("a secret key is written to a new file of mode 0600, "
                                       "never to standard output"));
    if (fs::exists(fs::symlink_status(out))) {
        usage_error(tr("'{file}' already exists", {{"file", out.string()}}),
                    {tr("choose a new file name")});
    }
    const crypto::SecretIdentity identity = load_secret_key(key_path, source);
    const crypto::SecretBuffer passphrase =
        obtain_passphrase(new_source, tr("Passphrase for the signing key: "), true);
    const auto file = crypto::seal_secret_key_file(identity, crypto::KeyFileContents::sign_only,
                                                   passphrase.span(), crypto::kdf_moderate());
    PendingFile pending(out, 0600);
    pending.write(file);
    PendingFile* files[] = {&pending};
    install_files(files, false);
    // TRANSLATORS: the sign-only copy of the key, which signs the online machine's requests.
    std::cout << tr("signing key: {file} (for the online machine; it cannot open tips)",
                    {{"file", out.string()}})
              << "\n"
              << tr("fingerprint: {fingerprint}",
                    {{"fingerprint", crypto::fingerprint(identity.public_identity)}})
              << "\n";
    return exit_success;
}

// A tip folder from an id (looked for as *-ID under dir) or a folder path.
fs::path find_tip_folder(const std::string& tip, const fs::path& dir) {
    refuse_standard_stream_for_folder(dir, "--in");
    if (fs::is_directory(tip)) return tip;
    if (tip.size() != 32 || tip.find_first_not_of("0123456789abcdef") != std::string::npos) {
        usage_error(tr("--tip takes a tip id (32 hex digits) or the folder 'open' wrote it to"));
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_directory() && name.size() > tip.size() && name.ends_with("-" + tip))
            return entry.path();
    }
    // Then where 'open' noted it; the latest note wins.
    fs::path noted;
    if (const fs::path index = tip_index_path(); !index.empty()) {
        std::ifstream in(index);
        for (std::string line; std::getline(in, line);) {
            if (line.size() > tip.size() + 1 && line.starts_with(tip) && line[tip.size()] == '\t')
                noted = line.substr(tip.size() + 1);
        }
    }
    if (!noted.empty() && fs::is_directory(noted)) return noted;
    usage_error(tr("no folder for tip {id} here or where 'open' noted it", {{"id", tip}}),
                {tr("open the bundle first, or give --in the folder 'open --out' wrote to")});
}

// Where a reply goes: the witness's reply key, from a tip folder or the case store's conversation.
struct ReplyTarget {
    crypto::BoxPublicKey reply_key{};
    std::string label;          // how the tool names it: the folder's name, or the conversation's
    bool conversation = false;  // label is a conversation's short id
};

ReplyTarget reply_target_from_folder(const std::string& tip, const fs::path& in_dir) {
    const fs::path folder = find_tip_folder(tip, in_dir);
    const auto reply_key = read_reply_key(folder);
    if (!reply_key) {
        usage_error(
            tr("the sender of '{folder}' cannot receive replies", {{"folder", folder.string()}}),
            {tr("the tip came without a receipt")});
    }
    return {*reply_key, folder.filename().string(), false};
}

ReplyTarget reply_target_from_store(const std::string& conversation, const fs::path& store_dir,
                                    const crypto::SecretIdentity& identity) {
    tipline::responder::CaseStore store(
        store_dir.empty() ? tipline::responder::default_store_folder() : store_dir, identity);
    const std::string thread = tipline::responder::find_thread(store, conversation);
    const auto c = tipline::responder::load_conversation(store, thread);
    if (!c.reply_key) {
        usage_error(tr("the witness of conversation {conversation} cannot receive replies",
                       {{"conversation", c.summary.short_id()}}),
                    {tr("the tip came without a receipt")});
    }
    return {*c.reply_key, c.summary.short_id(), true};
}

struct ReplyText {
    std::string message;
    std::vector<std::string> cc;
    std::string language;
    fs::path out;
};

int reply(const ReplyTarget& target, const crypto::SecretIdentity& identity,
          const ReplyText& text) {
    std::vector<crypto::BoxPublicKey> cc;
    for (const std::string& c : text.cc) cc.push_back(load_public_key(c).box);
    StreamOutput output(text.out, 0644, false);
    refuse_terminal(output);
    FdSink(output.fd(), output.name())
        .write(tipline::responder::seal_reply_file(target.reply_key, identity, text.message,
                                                   text.language, cc));
    output.finish();
    // With the reply file on standard output, the line about it goes to standard error.
    std::ostream& report = output.shares_standard_output() ? std::cerr : std::cout;
    report << (target.conversation
                   // TRANSLATORS: "sealed": encrypted for the witness. {conversation} is the
                   // conversation's short id. The command after "run:" is typed as it is.
                   ? tr("reply for conversation {conversation} sealed into {file}; carry it to "
                        "the online machine and run: tipline-responder push",
                        {{"conversation", target.label}, {"file", text.out.string()}})
                   // TRANSLATORS: "sealed": encrypted for the witness. {folder} is the name of
                   // the tip's folder, from 'open'. The command after "run:" is typed as it is.
                   : tr("reply for {folder} sealed into {file}; carry it to the online "
                        "machine and run: tipline-responder push",
                        {{"folder", target.label}, {"file", text.out.string()}}))
           << "\n";
    return exit_success;
}

int fetch(const std::string& server, const std::string& proxy, const fs::path& key_path,
          const PassphraseSource& source, const fs::path& out, bool all, bool delete_items) {
    check_binary_output(out);
    if (delete_items) {
        struct stat st {};
        if (is_standard_stream(out) || (::stat(out.c_str(), &st) == 0 && !S_ISREG(st.st_mode))) {
            usage_error(tr("--delete needs the bundle in a new file on disk, and '{file}' is not "
                           "one",
                           {{"file", out.string()}}),
                        {tr("the items are deleted from the server only once the bundle is safe "
                            "on disk; fetch without --delete, or into a file")});
        }
    }
    // A sign-only key or a full one: only the signing half is used.
    const crypto::SecretIdentity identity = load_secret_key(key_path, source);
    HttpClient http(server, proxy);
    ResponderClient api(http, identity);
    // Ctrl-C: the download stops at once, and nothing is written; the marking, once begun, stops
    // between two requests.
    catch_interrupts();
    std::vector<ResponderItem> items = api.items();
    if (!all) std::erase_if(items, [](const ResponderItem& i) { return i.acknowledged; });
    std::uint64_t total = 0;
    for (const ResponderItem& item : items) total += item.size;
    // The bundle on disk holds them all, in order, or does not appear.
    StreamOutput output(out, 0600, false);
    refuse_terminal(output);
    try {
        FdSink sink(output.fd(), output.name());
        fetch_bundle(api, items, sink);  // written to the output only once all is downloaded
    } catch (const Interrupted&) {
        throw Interrupted(exit_usage_or_io,
                          tr("interrupted before the bundle was complete: nothing was written, and "
                             "the server's items are as they were"));
    }
    output.finish();  // flushed to disk before anything is acknowledged
    std::ostream& report = output.shares_standard_output() ? std::cerr : std::cout;

    std::size_t tips = 0, follow_ups = 0, replies = 0, team = 0;
    for (const auto& i : items) {
        (i.kind == "tip"         ? tips
         : i.kind == "follow_up" ? follow_ups
         : i.kind == "team"      ? team
                                 : replies) += 1;
    }
    const std::string count = std::to_string(items.size());
    const std::string tip_count = std::to_string(tips);
    const std::string follow_up_count = std::to_string(follow_ups);
    const std::string reply_count = std::to_string(replies);
    const std::string bytes = std::to_string(total);
    report << (team > 0
                   // TRANSLATORS: "fetched": downloaded from the server into the bundle file
                   // {file}. Follow-ups are witnesses' later messages on their tips, replies
                   // the responders' answers; {team} counts the copies of the team's shared
                   // case state.
                   ? tr("fetched {count} items ({tips} tips, {follow_ups} follow-ups, {replies} "
                        "replies, {team} of the team's state), {bytes} bytes of ciphertext, "
                        "into {file}",
                        {{"count", count},
                         {"tips", tip_count},
                         {"follow_ups", follow_up_count},
                         {"replies", reply_count},
                         {"team", std::to_string(team)},
                         {"bytes", bytes},
                         {"file", out.string()}})
                   // TRANSLATORS: "fetched": downloaded from the server into the bundle file
                   // {file}. Follow-ups are witnesses' later messages on their tips, replies
                   // the responders' answers.
                   : tr("fetched {count} items ({tips} tips, {follow_ups} follow-ups, {replies} "
                        "replies), {bytes} bytes of ciphertext, into {file}",
                        {{"count", count},
                         {"tips", tip_count},
                         {"follow_ups", follow_up_count},
                         {"replies", reply_count},
                         {"bytes", bytes},
                         {"file", out.string()}}))
           << "\n";
    if (!items.empty()) {
        http.stop_on_interrupt(false);  // a request sent is answered, so that the count is exact
        std::size_t acknowledged = 0;
        std::string done;
        try {
            done = std::to_string(acknowledge_items(api, items, delete_items, {}, &acknowledged));
        } catch (const Interrupted&) {
            const std::string marked = std::to_string(acknowledged);
            const std::string all_items = std::to_string(items.size());
            throw Interrupted(
                exit_usage_or_io,
                delete_items
                    // TRANSLATORS: the bundle was complete in {output} (a file's name in quotes,
                    // or "standard output") when Ctrl-C came; of its {count} items, {marked}
                    // were deleted on the server.
                    ? tr("interrupted: the bundle written to {output} is complete; {marked} of "
                         "its {count} items were deleted on the server",
                         {{"output", output.name()}, {"marked", marked}, {"count", all_items}})
                    // TRANSLATORS: the bundle was complete in {output} (a file's name in quotes,
                    // or "standard output") when Ctrl-C came; of its {count} items, {marked}
                    // were marked as fetched on the server.
                    : tr("interrupted: the bundle written to {output} is complete; {marked} of "
                         "its {count} items were marked as fetched on the server",
                         {{"output", output.name()}, {"marked", marked}, {"count", all_items}}),
                {tr("the others come again with the next fetch; importing a bundle twice adds "
                    "nothing twice")});
        }
        report << (delete_items
                       ? tr("deleted {count} items on the server", {{"count", done}})
                       // TRANSLATORS: the items stay on the server, marked so that the next
                       // fetch without --all skips them.
                       : tr("marked as fetched {count} items on the server", {{"count", done}}))
               << "\n";
        // The server keeps a reply for its witness; only this responder's copy goes.
        if (delete_items && replies > 0) {
            report << tr("{count} replies among them stay in their mailboxes until their "
                         "witnesses have read them",
                         {{"count", reply_count}})
                   << "\n";
        }
    }
    return exit_success;
}

// A file that push sends: a reply for a witness's mailbox, or the team's state.
struct CarriedFile {
    std::vector<unsigned char> bytes;
    bool team = false;
};

int push(const std::string& server, const std::string& proxy, const fs::path& key_path,
         const PassphraseSource& source, const std::vector<fs::path>& paths) {
    // Every file is checked before anything is sent.
    std::vector<CarriedFile> files;
    for (const fs::path& p : paths) {
        UniqueFd fd = open_input(p);
        FdSource in(fd.get(), "'" + p.string() + "'");
        CarriedFile file;
        std::vector<unsigned char> buffer(1 << 16);
        for (std::size_t n; (n = in.read(buffer)) > 0;) {
            file.bytes.insert(file.bytes.end(), buffer.begin(),
                              buffer.begin() + static_cast<std::ptrdiff_t>(n));
            if (file.bytes.size() > 64 * 1024 * 1024)
                usage_error(tr("'{file}' is too large to be a reply or team-state file",
                               {{"file", p.string()}}));
        }
        const auto team_magic = crypto::as_bytes(crypto::labels::team_file_magic);
        file.team = file.bytes.size() >= team_magic.size() &&
                    std::equal(team_magic.begin(), team_magic.end(), file.bytes.begin());
        crypto::MailboxId mailbox{};
        std::span<const unsigned char> envelope;
        if (file.team) {
            if (auto ec = decode_team_file(file.bytes, envelope)) {
                usage_error(tr("'{file}' is not a team-state file: {error}",
                               {{"file", p.string()}, {"error", ec.message()}}),
                            {tr("make one with 'tipline-responder share' on the offline machine")});
            }
        } else if (auto ec = decode_reply_file(file.bytes, mailbox, envelope)) {
            usage_error(tr("'{file}' is not a reply file: {error}",
                           {{"file", p.string()}, {"error", ec.message()}}),
                        {tr("make one with 'tipline-responder reply' on the offline machine")});
        }
        files.push_back(std::move(file));
    }
    // A sign-only key or a full one: only the signing half is used.
    const crypto::SecretIdentity identity = load_secret_key(key_path, source);
    HttpClient http(server, proxy);
    ResponderClient api(http, identity);
    for (std::size_t i = 0; i < files.size(); ++i) {
        crypto::MailboxId mailbox{};
        std::span<const unsigned char> envelope;
        if (files[i].team) {
            decode_team_file(files[i].bytes, envelope);
            const std::string id = api.post_team_state(envelope);
            // TRANSLATORS: {id} is the id the server gave the stored team-state file.
            std::cout << tr("{file}: the team's state, stored as {id}",
                            {{"file", paths[i].string()}, {"id", id}})
                      << "\n";
            continue;
        }
        decode_reply_file(files[i].bytes, mailbox, envelope);
        const std::string id = api.post_reply(mailbox, envelope);
        // TRANSLATORS: {id} is the id the server gave the stored reply.
        std::cout << tr("{file}: stored as {id}", {{"file", paths[i].string()}, {"id", id}})
                  << "\n";
    }
    return exit_success;
}

Manual manual() {
    Manual m;
    m.summary = "the responder's tool: keys, tips, the case store and replies";
    m.description =
        "tipline-responder is the Tipline responder's tool. Its offline commands run on the "
        "air-gapped machine that holds the responder's decryption key: they make keys, sign the "
        "organisation's list of responders, open tips and bundles, keep the case store "
        "(conversations, triage, search, safe copies of attachments, the inbox in a browser on "
        "127.0.0.1) and seal replies. Its online commands run on a machine with Tor and only a "
        "sign-only copy of the key: fetch downloads new ciphertext into a bundle, push uploads "
        "sealed replies and the team's state. Ciphertext crosses between the two machines on "
        "removable media.\n\n"
        "Secret key files are encrypted with a passphrase (Argon2id) and written with mode 0600; "
        "no command replaces an existing file unless told to with --force.\n\n"
        "Messages follow the responder's language (Korean, Chinese or English) from the "
        "environment below.";
    m.environment = {
        {"LANGUAGE, LC_ALL, LC_MESSAGES, LANG",
         "the language of messages, in gettext's order: ko and zh (Simplified) have catalogs; "
         "anything else is English"},
        {"XDG_DATA_HOME, HOME",
         "the case store is in $XDG_DATA_HOME/tipline, else ~/.local/share/tipline, unless "
         "--store names another folder"}};
    m.files = {{"~/.local/share/tipline",
                "the case store (encrypted at rest), its outbox, and the list of opened tips"}};
    m.see_also = {"tipline-submit(1)", "tiplined(8)", "tor(1)"};
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    // The responder's language, from the environment, before anything is said (po/README.md).
    init_messages(responder_message_domain);
    CLI::App app{
        "Tipline responder tool. Offline commands run on the air-gapped machine that holds the "
        "decryption key.",
        std::string(tool)};
    app.require_subcommand(1);
    const std::string offline = "Offline (air-gapped machine)";

    fs::path out, key, input, open_out;
    PassphraseSource passphrase, new_passphrase;
    bool force = false;
    std::string kdf = "moderate";
    std::string pub, tip, server, proxy, language = "und";
    fs::path in_dir = ".", message_file;
    std::vector<std::string> cc;
    std::string reply_conversation;
    fs::path reply_store;
    std::vector<fs::path> reply_files;
    std::vector<std::string> responders, expect;
    fs::path previous_list;
    std::uint64_t serial = 0;
    std::string expires;
    bool keys_only = false;
    bool all = false, delete_items = false;
    const std::string online = "Online (signs requests; never needs the decryption key)";

    auto* keygen_cmd =
        app.add_subcommand("keygen", "create a key pair: PATH (secret, 0600) and PATH.pub");
    keygen_cmd->group(offline);
    keygen_cmd->add_option("--out", out, "path of the secret key file")->required();
    keygen_cmd->add_flag("--force", force, "replace existing key files (the old key is lost)");
    keygen_cmd->add_option("--kdf", kdf, "Argon2id cost: interactive, moderate or sensitive")
        ->check(CLI::IsMember({"interactive", "moderate", "sensitive"}));
    add_passphrase_options(keygen_cmd, passphrase);

    auto* org_cmd =
        app.add_subcommand("org",
                           "the organisation key, which signs the list of responders tips are "
                           "sealed to");
    org_cmd->group(offline);
    org_cmd->require_subcommand(1);
    auto* org_keygen_cmd = org_cmd->add_subcommand(
        "keygen", "create the organisation key: PATH (secret, 0600) and PATH.pub");
    org_keygen_cmd->add_option("--out", out, "path of the organisation's secret key file")
        ->required();
    org_keygen_cmd->add_flag(
        "--force", force,
        "replace existing key files (witnesses who pinned the old key must be told)");
    org_keygen_cmd->add_option("--kdf", kdf, "Argon2id cost: interactive, moderate or sensitive")
        ->check(CLI::IsMember({"interactive", "moderate", "sensitive"}));
    add_passphrase_options(org_keygen_cmd, passphrase);
    auto* org_fp_cmd = org_cmd->add_subcommand(
        "fingerprint", "print the organisation key's fingerprint, to publish");
    org_fp_cmd->add_option("public-key", pub, "PATH.pub or the key text (tipline-org1-...)")
        ->required();
    auto* org_sign_cmd = org_cmd->add_subcommand(
        "sign", "sign the responders' public keys into a new recipient list");
    org_sign_cmd->add_option("--key", key, "the organisation's secret key file")->required();
    org_sign_cmd
        ->add_option("--responder", responders, "a responder's PATH.pub or key text (repeatable)")
        ->required();
    auto* previous_opt = org_sign_cmd->add_option("--previous", previous_list,
                                                  "the list this one replaces: the new "
                                                  "serial follows its serial");
    auto* serial_opt =
        org_sign_cmd->add_option("--serial", serial, "the serial of a first list (usually 1)");
    previous_opt->excludes(serial_opt);
    org_sign_cmd->add_option("--expires", expires,
                             "the last day the list is valid, YYYY-MM-DD (default: 180 days on)");
    org_sign_cmd->add_option("--out", out, "the new list file")->required();
    add_passphrase_options(org_sign_cmd, passphrase);
    auto* org_show_cmd = org_cmd->add_subcommand("show", "check a list's signature and print it");
    org_show_cmd->add_option("list", input, "a list file from 'org sign'")->required();
    org_show_cmd->add_option("--expect", expect,
                             "also check that this organisation fingerprint signed it");
    org_show_cmd->add_flag("--keys", keys_only,
                           "print only the responders' public keys, one a line, for scripts");

    auto* fp_cmd = app.add_subcommand("fingerprint",
                                      "print the fingerprint of a public key, to compare aloud");
    fp_cmd->group(offline);
    fp_cmd->add_option("public-key", pub, "PATH.pub or the key text")->required();

    auto* open_cmd =
        app.add_subcommand("open", "decrypt an envelope, or every tip of a bundle, into a folder");
    open_cmd->group(offline);
    open_cmd
        ->add_option("input", input,
                     "an envelope, or a bundle from 'tiplined export' (-: standard input)")
        ->required();
    open_cmd->add_option("--key", key, "your secret key file")->required();
    open_cmd->add_option("--out", open_out, "a new or empty folder for the tip")->required();
    add_passphrase_options(open_cmd, passphrase);

    auto* sign_cmd =
        app.add_subcommand("signing-key", "write a sign-only copy of a key for the online machine");
    sign_cmd->group(offline);
    sign_cmd->add_option("--key", key, "your secret key file")->required();
    sign_cmd->add_option("--out", out, "the new sign-only key file")->required();
    add_passphrase_options(sign_cmd, passphrase);
    sign_cmd->add_option("--new-passphrase-file", new_passphrase.file,
                         "read the signing key's own passphrase from this file instead of asking");

    auto* reply_cmd =
        app.add_subcommand("reply", "seal a reply to a tip's sender into a reply file");
    reply_cmd->group(offline);
    auto* tip_opt = reply_cmd->add_option("--tip", tip, "the tip's id, or its folder from 'open'");
    auto* conversation_opt = reply_cmd->add_option(
        "--conversation", reply_conversation,
        "a conversation of the case store: its id, or its first digits (instead of --tip)");
    tip_opt->excludes(conversation_opt);
    reply_cmd->add_option("--store", reply_store,
                          "with --conversation: the case store's folder (default: "
                          "$XDG_DATA_HOME/tipline)");
    reply_cmd->add_option("--in", in_dir, "where 'open' wrote the tip folders (default: here)");
    reply_cmd->add_option("--key", key, "your secret key file")->required();
    reply_cmd->add_option("--message-file", message_file,
                          "read the reply from this file instead of standard input");
    reply_cmd->add_option("--cc", cc,
                          "a colleague's public key, who also gets a copy (repeatable)");
    reply_cmd->add_option("--lang", language, "language tag of the reply, e.g. ko or zh-Hans");
    reply_cmd->add_option("--out", out, "the new reply file")->required();
    add_passphrase_options(reply_cmd, passphrase);

    auto* fetch_cmd =
        app.add_subcommand("fetch", "download new tips, follow-ups and replies into a bundle");
    fetch_cmd->group(online);
    add_online_options(fetch_cmd, server, proxy, key, passphrase);
    fetch_cmd->add_option("--out", out, "the new bundle file")->required();
    fetch_cmd->add_flag("--all", all, "also items already fetched");
    fetch_cmd->add_flag("--delete", delete_items,
                        "delete the items from the server once the bundle is on disk (a reply "
                        "stays in its mailbox until the witness has read it)");

    auto* push_cmd = app.add_subcommand(
        "push", "send reply files to the witnesses' mailboxes, and team-state files to the team");
    push_cmd->group(online);
    add_online_options(push_cmd, server, proxy, key, passphrase);
    push_cmd
        ->add_option("reply-files", reply_files,
                     "reply files from 'reply', team-state files from 'share'")
        ->required();

    CaseCommands cases;
    add_case_commands(app, cases, offline);

    return run_tool(tool, app, manual(), argc, argv, [&] {
        umask(077);
        proxy = proxy_url(proxy);  // a --proxy at fault is named before any key is read
        if (auto done = run_case_command(cases)) return *done;
        if (*keygen_cmd) return keygen(out, passphrase, force, kdf);
        if (*fp_cmd) return fingerprint(pub);
        if (org_keygen_cmd->parsed()) return keygen(out, passphrase, force, kdf, true);
        if (org_fp_cmd->parsed()) {
            std::cout << crypto::organisation_fingerprint(load_organisation_public_key(pub))
                      << "\n";
            return exit_success;
        }
        if (org_sign_cmd->parsed()) {
            if (previous_list.empty() && serial == 0) {
                usage_error(
                    tr("give the list this one replaces with --previous, or --serial 1 for the "
                       "first list"));
            }
            return org_sign(key, passphrase, responders, previous_list, serial, expires, out);
        }
        if (org_show_cmd->parsed()) return org_show(input, expect, keys_only);
        if (*sign_cmd) return signing_key(key, passphrase, new_passphrase, out);
        if (*reply_cmd) {
            if (tip.empty() && reply_conversation.empty())
                usage_error(tr("name what to answer with --tip or --conversation"));
            check_binary_output(out);
            if (!tip.empty()) {
                // The tip's folder and the message are found before the passphrase is asked for.
                const ReplyTarget target = reply_target_from_folder(tip, in_dir);
                const ReplyText text{read_message(message_file, tool), cc, language, out};
                return reply(target, load_secret_key(key, passphrase), text);
            }
            refuse_standard_stream_for_folder(reply_store, "--store");
            const ReplyText text{read_message(message_file, tool), cc, language, out};
            const crypto::SecretIdentity identity =
                load_secret_key(key, passphrase, KeyUse::decrypt);
            return reply(reply_target_from_store(reply_conversation, reply_store, identity),
                         identity, text);
        }
        if (*fetch_cmd) return fetch(server, proxy, key, passphrase, out, all, delete_items);
        if (*push_cmd) return push(server, proxy, key, passphrase, reply_files);
        return open(input, key, passphrase, open_out);
    });
}
