// The case store commands of tipline-responder: each opens the store (taking its lock), does one
// thing and writes the store back when it changed it.
#include "responder_cases.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <iostream>

#include "tipline/client/display_text.hpp"
#include "tipline/client/interrupt.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/responder/case_store.hpp"
#include "tipline/responder/casework.hpp"
#include "tipline/responder/conversations.hpp"
#include "tipline/responder/inbox.hpp"
#include "tipline/responder/team.hpp"
#include "tipline/responder/team_state.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::client {
namespace {

namespace fs = std::filesystem;
using namespace tooling;
using namespace responder;

constexpr std::size_t max_note_file = max_note_size + 1;

void add_store_options(CLI::App* cmd, CaseCommands& c) {
    cmd->add_option("--key", c.key, "your secret key file")->required();
    cmd->add_option("--passphrase-file", c.passphrase.file,
                    "read the passphrase from the first line of this file");
    cmd->add_option("--passphrase-fd", c.passphrase.fd,
                    "read the passphrase from this open file descriptor");
    cmd->add_option("--store", c.store,
                    "the case store's folder (default: $XDG_DATA_HOME/tipline)");
}

fs::path store_folder(const CaseCommands& c) {
    return c.store.empty() ? default_store_folder() : c.store;
}

// The full key, which opens the case store; any other kind of key file is refused before the
// passphrase is asked for, and so is a --store or --outbox of '-'.
crypto::SecretIdentity load_full_key(const CaseCommands& c) {
    refuse_standard_stream_for_folder(c.store, "--store");
    refuse_standard_stream_for_folder(c.outbox, "--outbox");
    return load_secret_key(c.key, c.passphrase, KeyUse::decrypt);
}

// "me", "nobody" or a fingerprint as typed.
std::string responder_named(const CaseStore& store, const std::string& typed) {
    if (typed == "me") return store.me();
    if (typed == "nobody" || typed == "none") return "";
    if (const auto fp = crypto::parse_fingerprint(typed)) return *fp;
    // TRANSLATORS: {text} is what was typed for a responder.
    usage_error(tr("'{text}' is not a responder", {{"text", typed}}),
                // TRANSLATORS: 'me' and 'nobody' are words to type as they are, in English.
                {tr("give 'me', 'nobody', or a responder's fingerprint (tipline-responder "
                    "fingerprint PATH.pub)")});
}

std::string day_text(std::int64_t day) { return crypto::format_day(day); }

int import(CaseCommands& c) {
    std::vector<UniqueFd> files;
    std::vector<std::uint64_t> sizes;
    for (const fs::path& p : c.bundles) {
        files.push_back(open_input(p));
        struct stat st {};
        ::fstat(files.back().get(), &st);
        sizes.push_back(static_cast<std::uint64_t>(st.st_size));
    }
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    ImportReport report;
    std::size_t damaged_bundles = 0;
    // Ctrl-C stops the import between two items: the bundle being imported is rolled back, and the
    // bundles before it stay imported.
    InterruptScope interrupts;
    for (std::size_t i = 0; i < c.bundles.size(); ++i) {
        FdSource in(files[i].get(), "'" + c.bundles[i].string() + "'");
        std::error_code ec;
        try {
            ec = import_bundle(store, in, sizes[i], report);
        } catch (const Interrupted&) {
            throw Interrupted(
                exit_usage_or_io,
                // TRANSLATORS: Ctrl-C during 'import': {file} is the bundle being imported then,
                // {done} how many of the {bundles} bundles given were imported before it.
                tr("interrupted: nothing of '{file}' was added to the case store; {done} of "
                   "{bundles} bundles were imported before it",
                   {{"file", c.bundles[i].string()},
                    {"done", std::to_string(i)},
                    {"bundles", std::to_string(c.bundles.size())}}),
                {tr("import the rest again: what is in the store already is skipped")});
        }
        if (ec) {
            print_error("tipline-responder",
                        // TRANSLATORS: a bundle is a file of sealed items that 'tipline-responder
                        // fetch' wrote on the online machine; {error} says what is wrong with it.
                        tr("cannot import the bundle '{file}': {error}",
                           {{"file", c.bundles[i].string()}, {"error", ec.message()}}),
                        {tr("nothing of it was added; copy it again from the online machine")});
            ++damaged_bundles;
        }
    }
    for (const std::string& id : report.not_for_this_key) {
        // TRANSLATORS: {id} is an item's id; the item was sealed for other responders only.
        std::cout << tr("not for this key: {id}", {{"id", id}}) << "\n";
    }
    for (const auto& [id, ec] : report.damaged) {
        print_error("tipline-responder",
                    // TRANSLATORS: {id} is an item's id; {error} says what is wrong with it.
                    tr("{id} cannot be opened: {error}", {{"id", id}, {"error", ec.message()}}),
                    {});
    }
    // The one line scripts read, in English in every language (the interface).
    std::cout << "imported " << report.added << " new, " << report.already
              << " already in the store\n";
    if (report.team_states > 0) {
        // TRANSLATORS: the team's state is what the responders share of their triage (status,
        // assignee, tags, notes, seen); {states} counts what colleagues sent, {newer} and {older}
        // count single changes.
        std::cout << tr("the team's state: {states} from colleagues, {newer} changes applied, "
                        "{older} already known or older",
                        {{"states", std::to_string(report.team_states)},
                         {"newer", std::to_string(report.team.newer)},
                         {"older", std::to_string(report.team.older)}})
                  << "\n";
        if (report.team.deleted > 0) {
            std::cout << tr("{count} changes were for conversations deleted from this store, and "
                            "are not kept",
                            {{"count", std::to_string(report.team.deleted)}})
                      << "\n";
        }
        if (report.team.refused > 0) {
            print_error("tipline-responder",
                        tr("{count} changes of the team's state break the format's rules and were "
                           "left out",
                           {{"count", std::to_string(report.team.refused)}}),
                        {tr("the colleague who sent them may run a newer tipline-responder")});
        }
    }
    if (!report.team_without_team.empty()) {
        print_error("tipline-responder",
                    tr("{count} items of the team's state were not applied: the store has no team",
                       {{"count", std::to_string(report.team_without_team.size())}}),
                    {tr("set it with 'tipline-responder team set LIST --expect ORG_FINGERPRINT', "
                        "then import the same bundle again")});
    }
    for (const std::string& id : report.team_from_outsider) {
        print_error("tipline-responder",
                    // TRANSLATORS: {id} is the id of an item that holds a colleague's team state.
                    tr("{id}: the team's state signed by a responder who is not in the store's "
                       "team; nothing of it was applied",
                       {{"id", id}}),
                    {tr("if the team has grown, update it with 'tipline-responder team set' and "
                        "import the bundle again")});
    }
    if (report.deleted > 0) {
        // TRANSLATORS: {count} items of those just imported; they had been deleted on purpose.
        std::cout << tr("{count} of them were deleted from the store before, and stay deleted",
                        {{"count", std::to_string(report.deleted)}})
                  << "\n";
    }
    if (!report.team_from_outsider.empty()) {
        throw ToolError(exit_verification_failure,
                        tr("some of the team's state was signed by someone outside the team"),
                        {tr("the rest is in the store")});
    }
    if (!report.damaged.empty() || damaged_bundles > 0) {
        throw ToolError(
            exit_verification_failure, tr("some of what was given could not be imported"),
            {tr("the rest is in the store; copy the bundle again and import it again")});
    }
    return exit_success;
}

int list(CaseCommands& c) {
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    ConversationFilter filter;
    filter.status = c.status;
    filter.tag = c.tag;
    if (c.assignee) filter.assignee = responder_named(store, *c.assignee);
    filter.unseen_only = c.unseen;
    filter.search = c.search;
    for (const ConversationSummary& s : list_conversations(store, filter)) {
        std::string tags;
        for (const std::string& t : s.tags) tags += (tags.empty() ? "" : ",") + t;
        const std::string messages =
            // TRANSLATORS: a column of the tab-separated listing of conversations: how many
            // messages the conversation has. Keep it free of tabs.
            tr("{count} messages", {{"count", std::to_string(s.messages)}});
        // TRANSLATORS: a column of the tab-separated listing of conversations: how many of its
        // messages this responder has not seen yet. Keep it free of tabs.
        const std::string unseen = tr("{count} unseen", {{"count", std::to_string(s.unseen)}});
        // One line a script may read: tab-separated fields, the status word in English as typed.
        std::cout << s.short_id() << "\t" << s.status << "\t" << day_text(s.last_day) << "\t"
                  << messages << "\t" << unseen << "\t" << (s.assignee.empty() ? "-" : s.assignee)
                  << "\t" << escape_for_display(tags.empty() ? "-" : tags) << "\t"
                  << escape_for_display(s.preview) << "\n";
    }
    return exit_success;
}

int show(CaseCommands& c) {
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    const std::string thread = find_thread(store, c.conversation);
    const Conversation conversation = load_conversation(store, thread);
    std::cout << describe_conversation(conversation);
    if (mark_seen(store, conversation)) store.save();
    return exit_success;
}

std::string read_note(const fs::path& file) {
    std::string text;
    if (is_standard_stream(file)) {
        claim_standard_input();
        text.assign(std::istreambuf_iterator<char>(std::cin), {});
        if (text.size() >= max_note_file) usage_error(tr("the note is too long"));
    } else {
        const std::vector<unsigned char> bytes = read_small_file(file, max_note_file - 1);
        text.assign(bytes.begin(), bytes.end());
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

int triage(CaseCommands& c) {
    const std::string note = c.note_file.empty() ? std::string() : read_note(c.note_file);
    if (!c.status && !c.assign && c.add_tags.empty() && c.remove_tags.empty() &&
        c.note_file.empty()) {
        usage_error(tr("nothing to change"),
                    {tr("give --status, --assign, --tag, --untag or --note-file")});
    }
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    const std::string thread = find_thread(store, c.conversation);
    if (c.status) set_status(store, thread, *c.status);
    if (c.assign) set_assignee(store, thread, responder_named(store, *c.assign));
    for (const std::string& t : c.add_tags) set_tag(store, thread, t, true);
    for (const std::string& t : c.remove_tags) set_tag(store, thread, t, false);
    if (!c.note_file.empty()) add_note(store, thread, note);
    store.save();
    const Conversation conversation = load_conversation(store, thread);
    std::string tags;
    for (const std::string& t : conversation.summary.tags) tags += (tags.empty() ? "" : ",") + t;
    const std::string id = conversation.summary.short_id();
    const std::string& status = conversation.summary.status;
    const std::string shown_tags = escape_for_display(tags.empty() ? "-" : tags);
    const std::string notes = std::to_string(conversation.notes.size());
    std::string done;
    if (conversation.summary.assignee.empty()) {
        done =
            // TRANSLATORS: after triage (sorting a conversation: status, assignee, tags, notes).
            // {conversation} is the conversation's short id; {status} a status word kept in
            // English (new, read, needs_reply, answered, closed); {tags} the tags, separated by
            // commas, or "-" for none; {count} how many private notes it has. Nobody is assigned
            // to it.
            tr("{conversation}: {status}, assigned to nobody, tags {tags}, {count} notes",
               {{"conversation", id}, {"status", status}, {"tags", shown_tags}, {"count", notes}});
    } else {
        // TRANSLATORS: after triage (sorting a conversation: status, assignee, tags, notes).
        // {conversation} is the conversation's short id; {status} a status word kept in English
        // (new, read, needs_reply, answered, closed); {fingerprint} the fingerprint of the
        // responder it is assigned to; {tags} the tags, separated by commas, or "-" for none;
        // {count} how many private notes it has.
        done = tr("{conversation}: {status}, assigned to {fingerprint}, tags {tags}, {count} notes",
                  {{"conversation", id},
                   {"status", status},
                   {"fingerprint", conversation.summary.assignee},
                   {"tags", shown_tags},
                   {"count", notes}});
    }
    std::cout << done << "\n";
    return exit_success;
}

// Decrypted copies, for a partner organisation: the one place the store writes plaintext.
int export_to_folder(CaseCommands& c) {
    refuse_standard_stream_for_folder(c.out, "--out");
    check_export_folder(c.out);  // before the passphrase is asked for
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    const std::string thread = find_thread(store, c.conversation);
    const Conversation conversation = load_conversation(store, thread);
    // Ctrl-C stops the export within one chunk of an attachment: the decrypted files written so far
    // are removed, and so is the folder when the export made it.
    InterruptScope interrupts;
    std::size_t files = 0;
    try {
        files = export_conversation(store, conversation, c.out);
    } catch (const Interrupted&) {
        throw Interrupted(exit_usage_or_io,
                          // TRANSLATORS: Ctrl-C during 'export': no decrypted file stays on disk.
                          tr("interrupted: nothing was exported, and no decrypted file stays in "
                             "'{folder}'",
                             {{"folder", c.out.string()}}));
    }
    // TRANSLATORS: {conversation} is a conversation's short id, {folder} the folder given.
    std::cout << tr("exported conversation {conversation} with {count} attachments into {folder}",
                    {{"conversation", conversation.summary.short_id()},
                     {"count", std::to_string(files)},
                     {"folder", c.out.string()}})
              << "\n";
    return exit_success;
}

// Deletes these closed conversations: the database first, written back, then their files.
void delete_threads(CaseStore& store, const std::vector<std::string>& threads) {
    std::vector<crypto::StoreFileId> files;
    for (const std::string& thread : threads) {
        for (const crypto::StoreFileId& f : delete_conversation(store, thread)) files.push_back(f);
    }
    store.save();
    store.remove_attachments(files);
    for (const std::string& thread : threads) {
        // TRANSLATORS: {conversation} is a conversation's short id.
        std::cout << tr("deleted conversation {conversation}",
                        {{"conversation", thread.substr(0, short_id_size)}})
                  << "\n";
    }
    std::cout << tr("{conversations} conversations and {attachments} attachments deleted from the "
                    "case store",
                    {{"conversations", std::to_string(threads.size())},
                     {"attachments", std::to_string(files.size())}})
              << "\n";
}

int remove(CaseCommands& c) {
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    delete_threads(store, {find_thread(store, c.conversation)});
    return exit_success;
}

int purge(CaseCommands& c) {
    if (c.closed_days < 0) usage_error(tr("--closed-for takes a number of days, 0 or more"));
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    std::vector<std::string> threads;
    for (std::string& thread : closed_on_or_before(store, crypto::current_day() - c.closed_days)) {
        // Deleted now, the changes the team does not have would be lost: kept until shared.
        if (has_unshared_changes(store, thread)) {
            std::cout << tr("conversation {conversation} is kept: it has changes the team does not "
                            "have yet; run tipline-responder share, then purge again",
                            {{"conversation", thread.substr(0, short_id_size)}})
                      << "\n";
            continue;
        }
        threads.push_back(std::move(thread));
    }
    delete_threads(store, threads);
    return exit_success;
}

// Safe copies of a conversation's attachments that have none yet.
int safe_copy(CaseCommands& c) {
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    const std::string thread = find_thread(store, c.conversation);
    std::size_t made = 0, failed = 0;
    // Ctrl-C stops between two attachments (the conversion under way is abandoned); the safe copies
    // made before it are kept (make_safe_copies says how many).
    InterruptScope interrupts;
    for (const SafeCopyOutcome& o : make_safe_copies(store, load_conversation(store, thread))) {
        const std::string name = escape_for_display(o.name);
        switch (o.kind) {
            case SafeCopyOutcome::had_one:
                // TRANSLATORS: {file} is an attachment's name. A safe copy is an image or PDF
                // rebuilt from the attachment's pixels in a sandbox, safe to open.
                std::cout << tr("\"{file}\": has a safe copy", {{"file", name}}) << "\n";
                break;
            case SafeCopyOutcome::unsupported:
                std::cout << tr("\"{file}\": no safe copy for this kind of file; unsafe to open",
                                {{"file", name}})
                          << "\n";
                if (!o.detail.empty()) std::cout << "  " << o.detail << "\n";
                break;
            case SafeCopyOutcome::made:
                ++made;
                // TRANSLATORS: {detail} is the safe copy's type and pages, e.g. "image/png, 1
                // page", as the case store describes it.
                std::cout << tr("\"{file}\": safe copy made, {detail}",
                                {{"file", name}, {"detail", o.detail}})
                          << "\n";
                break;
            case SafeCopyOutcome::failed:
                ++failed;
                print_error("tipline-responder",
                            // TRANSLATORS: {file} is an attachment's name, {error} why no safe
                            // copy was made.
                            tr("\"{file}\": {error}", {{"file", name}, {"error", o.detail}}), {});
                break;
        }
    }
    std::cout << tr("{made} safe copies made, {failed} failed",
                    {{"made", std::to_string(made)}, {"failed", std::to_string(failed)}})
              << "\n";
    if (failed > 0) {
        throw ToolError(exit_verification_failure, tr("some attachments got no safe copy"),
                        {tr("keep them closed; open them only on a machine that cannot reach the "
                            "network")});
    }
    return exit_success;
}

// A recipient list file, its signature checked (against the organisation key it names).
crypto::RecipientList read_list(const fs::path& file) {
    crypto::RecipientList list;
    if (const std::error_code ec = crypto::decode_recipient_list(
            read_small_input(file, crypto::recipient_list_max_size + 1), list)) {
        throw ToolError(exit_verification_failure,
                        tr("'{file}' is not a valid recipient list: {error}",
                           {{"file", file.string()}, {"error", ec.message()}}),
                        {tr("give the list 'tipline-responder org sign' wrote")});
    }
    return list;
}

void print_team(const CaseStore& store, const Team& team) {
    // TRANSLATORS: the store's team: {fingerprint} is the organisation key's fingerprint.
    std::cout << tr("organisation: {fingerprint}",
                    {{"fingerprint", crypto::organisation_fingerprint(team.organisation)}})
              << "\n"
              // TRANSLATORS: the serial number of the organisation's signed list of responders.
              << tr("serial: {serial}", {{"serial", std::to_string(team.serial)}})
              << "\n"
              // TRANSLATORS: {day} is the list's last valid day, YYYY-MM-DD.
              << tr("valid through: {day}", {{"day", crypto::format_day(team.expires_day)}})
              << "\n";
    for (const crypto::PublicIdentity& id : team.members) {
        const std::string fp = crypto::fingerprint(id);
        std::cout << (fp == store.me()
                          // TRANSLATORS: a member of the store's team, who is the one running
                          // this command.
                          ? tr("responder {fingerprint} (you)", {{"fingerprint", fp}})
                          // TRANSLATORS: a member of the store's team, by the fingerprint of
                          // their key.
                          : tr("responder {fingerprint}", {{"fingerprint", fp}}))
                  << "\n";
    }
}

// The team: the organisation's list of responders, pinned to that organisation in the store.
int team_set(CaseCommands& c) {
    const crypto::RecipientList list = read_list(c.list_file);
    std::optional<std::string> expected;
    if (c.expect) {
        expected = crypto::parse_fingerprint(*c.expect);
        if (!expected)
            usage_error(tr("--expect '{text}' is not a fingerprint",
                           {{"text", escape_for_display(*c.expect)}}));
    }
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    const TeamChange change = set_team(store, list, expected);
    if (change != TeamChange::unchanged) store.save();
    std::string outcome;
    if (change == TeamChange::set) {
        // TRANSLATORS: the team (the organisation's signed list of responders, kept in the case
        // store) has been set: the store had none before.
        outcome = tr("team set");
    } else if (change == TeamChange::replaced) {
        // TRANSLATORS: the team: the organisation's signed list of responders, kept in the case
        // store.
        outcome = tr("team replaced by a newer list");
    } else {
        // TRANSLATORS: the team: the organisation's signed list of responders, kept in the case
        // store (the responder's encrypted store of conversations).
        outcome = tr("team unchanged: the store holds this list");
    }
    std::cout << outcome << "\n";
    print_team(store, *stored_team(store));
    const bool on_it = std::any_of(
        list.recipients.begin(), list.recipients.end(),
        [&](const crypto::PublicIdentity& id) { return crypto::fingerprint(id) == store.me(); });
    if (!on_it) print_warning("tipline-responder", tr("your key is not on this list"));
    return exit_success;
}

int team_show(CaseCommands& c) {
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    const std::optional<Team> team = stored_team(store);
    if (!team) {
        std::cout << tr("no team: set one with 'tipline-responder team set LIST --expect "
                        "ORGANISATION_FINGERPRINT'")
                  << "\n";
        return exit_success;
    }
    print_team(store, *team);
    return exit_success;
}

// Seals this responder's triage changes for the team, into the outbox.
int share(CaseCommands& c) {
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    const fs::path outbox = c.outbox.empty() ? store.folder() / "outbox" : c.outbox;
    const SharedState shared = share_team_state(store, outbox);
    if (shared.files.empty()) {
        // TRANSLATORS: "share" seals this responder's triage changes (status, assignee, tags,
        // notes, seen) for the other responders of the team.
        std::cout << tr("nothing to share: the team has every change you made") << "\n";
        return exit_success;
    }
    // TRANSLATORS: sealed = encrypted; the files it was sealed into are listed below, one a line.
    std::cout << tr("sealed {changes} changes for the team's {responders} responders into:",
                    {{"changes", std::to_string(shared.changes)},
                     {"responders", std::to_string(shared.responders)}})
              << "\n";
    for (const fs::path& f : shared.files) std::cout << "  " << f.string() << "\n";
    std::cout << tr("carry them to the online machine and run: tipline-responder push") << "\n";
    return exit_success;
}

// The local web interface, until Ctrl-C.
int inbox(CaseCommands& c) {
    InboxOptions options;
    options.port = c.port;
    if (!c.team_list.empty()) options.team = read_list(c.team_list).recipients;
    for (const std::string& colleague : c.colleagues)
        options.team.push_back(load_public_key(colleague));
    const crypto::SecretIdentity identity = load_full_key(c);
    CaseStore store(store_folder(c), identity);
    // The store's team, and whoever the options add.
    if (const std::optional<Team> team = stored_team(store))
        options.team.insert(options.team.end(), team->members.begin(), team->members.end());
    options.outbox = c.outbox.empty() ? store.folder() / "outbox" : c.outbox;
    run_inbox(store, std::move(options), [](const std::string& url) {
        // The line scripts wait for, in English in every language; what follows is for people.
        std::cout << "inbox on " << url << std::endl;
        std::cout << tr("open it in this machine's browser; stop the inbox with Ctrl-C")
                  << std::endl;
    });
    return exit_success;
}

}  // namespace

void add_case_commands(CLI::App& app, CaseCommands& c, const std::string& group) {
    c.import = app.add_subcommand(
        "import", "add the tips, follow-ups and replies of bundles to your encrypted case store");
    c.import->add_option("bundles", c.bundles, "bundle files from 'fetch'")->required();
    add_store_options(c.import, c);

    c.list = app.add_subcommand("conversations", "list the case store's conversations");
    c.list->alias("list");
    add_store_options(c.list, c);
    c.list->add_option("--status", c.status,
                       "only this status: new, read, needs_reply, "
                       "answered or closed");
    c.list->add_option("--tag", c.tag, "only conversations with this tag");
    c.list->add_option("--assignee", c.assignee,
                       "only those assigned to me, nobody, or a "
                       "fingerprint");
    c.list->add_flag("--unseen", c.unseen, "only those with messages you have not seen");
    c.list->add_option("--search", c.search,
                       "only those where every word appears (messages, notes, attachment names)");

    c.show = app.add_subcommand("show", "print a conversation, and mark it seen");
    c.show->add_option("conversation", c.conversation, "its id, or its first digits")->required();
    add_store_options(c.show, c);

    c.triage = app.add_subcommand("triage",
                                  "change a conversation's status, assignee, tags or "
                                  "notes");
    c.triage->add_option("conversation", c.conversation, "its id, or its first digits")->required();
    add_store_options(c.triage, c);
    c.triage->add_option("--status", c.status, "new, read, needs_reply, answered or closed");
    c.triage->add_option("--assign", c.assign, "me, nobody, or a responder's fingerprint");
    c.triage->add_option("--tag", c.add_tags, "add a tag (repeatable)");
    c.triage->add_option("--untag", c.remove_tags, "remove a tag (repeatable)");
    c.triage->add_option("--note-file", c.note_file,
                         "add a private note from this file (- for "
                         "standard input)");

    c.exporting = app.add_subcommand(
        "export", "write a conversation and its attachments, decrypted, into a new folder");
    c.exporting->add_option("conversation", c.conversation, "its id, or its first digits")
        ->required();
    add_store_options(c.exporting, c);
    c.exporting->add_option("--out", c.out, "a new or empty folder")->required();

    c.remove = app.add_subcommand(
        "delete", "delete a closed conversation and its attachments from the case store");
    c.remove->add_option("conversation", c.conversation, "its id, or its first digits")->required();
    add_store_options(c.remove, c);

    c.purge = app.add_subcommand(
        "purge", "delete every conversation that has been closed for a number of days");
    c.purge->add_option("--closed-for", c.closed_days, "days since it was closed (0: all closed)")
        ->required();
    add_store_options(c.purge, c);

    c.safe_copy = app.add_subcommand(
        "safe-copy",
        "rebuild a conversation's images and PDFs from their pixels in a sandbox, beside the "
        "originals");
    c.safe_copy->add_option("conversation", c.conversation, "its id, or its first digits")
        ->required();
    add_store_options(c.safe_copy, c);

    c.inbox = app.add_subcommand(
        "inbox", "serve the case store's pages to this machine's browser, on 127.0.0.1 only");
    add_store_options(c.inbox, c);
    c.inbox->add_option("--port", c.port, "the port to listen on (default: any free one)");
    c.inbox->add_option("--outbox", c.outbox,
                        "where sealed replies go, for 'push' (default: outbox in the store's "
                        "folder)");
    c.inbox->add_option("--team", c.team_list,
                        "a recipient list whose responders are also colleagues here (the store's "
                        "team, from 'team set', always is)");
    c.inbox->add_option("--colleague", c.colleagues,
                        "a colleague's public key, PATH.pub or key text (repeatable)");

    c.team = app.add_subcommand(
        "team",
        "the organisation's responders, kept in the case store: who conversations are assigned "
        "to and replies copied to");
    c.team->require_subcommand(1);
    c.team_set = c.team->add_subcommand(
        "set", "make a signed recipient list the store's team (the first time, with --expect)");
    c.team_set->add_option("list", c.list_file, "the list from 'tipline-responder org sign'")
        ->required();
    c.team_set->add_option("--expect", c.expect,
                           "the organisation's fingerprint, as it published it");
    add_store_options(c.team_set, c);
    c.team_show = c.team->add_subcommand("show", "print the store's team");
    add_store_options(c.team_show, c);

    c.share = app.add_subcommand(
        "share",
        "seal your triage changes (status, assignee, tags, notes, seen) for the team, to push");
    add_store_options(c.share, c);
    c.share->add_option("--outbox", c.outbox,
                        "where the team-state files go (default: outbox in the store's folder)");

    for (CLI::App* cmd : {c.import, c.list, c.show, c.triage, c.exporting, c.remove, c.purge,
                          c.safe_copy, c.inbox, c.team, c.share})
        cmd->group(group);
}

std::optional<int> run_case_command(CaseCommands& c) {
    if (c.import->parsed()) return import(c);
    if (c.list->parsed()) return list(c);
    if (c.show->parsed()) return show(c);
    if (c.triage->parsed()) return triage(c);
    if (c.exporting->parsed()) return export_to_folder(c);
    if (c.remove->parsed()) return remove(c);
    if (c.purge->parsed()) return purge(c);
    if (c.safe_copy->parsed()) return safe_copy(c);
    if (c.inbox->parsed()) return inbox(c);
    if (c.team_set->parsed()) return team_set(c);
    if (c.team_show->parsed()) return team_show(c);
    if (c.share->parsed()) return share(c);
    return std::nullopt;
}

}  // namespace tipline::client
