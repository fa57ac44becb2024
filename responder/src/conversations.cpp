// Importing bundles into the case store, and reading and triaging its conversations.
#include "tipline/responder/conversations.hpp"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "tipline/client/interrupt.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/crypto/utf8.hpp"
#include "tipline/responder/team_state.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/sqlite.hpp"

namespace tipline::responder {
namespace {

using client::tr;
using tooling::Statement;
using tooling::usage_error;

constexpr std::size_t preview_code_points = 80;

const char* kind_name(crypto::TipKind kind) {
    switch (kind) {
        case crypto::TipKind::tip:
            return "tip";
        case crypto::TipKind::follow_up:
            return "follow_up";
        case crypto::TipKind::reply:
            return "reply";
        case crypto::TipKind::team_state:
            break;  // applied as triage (team_state.hpp), never a message
    }
    return "tip";
}

// Seals each attachment into the store as the envelope is opened.
class StoreReceiver final : public crypto::TipReceiver {
  public:
    explicit StoreReceiver(CaseStore& store) : store_(store) {}

    void on_header(const crypto::TipHeader& header) override {
        header_ = header;
        for (const crypto::AttachmentInfo& a : header.attachments)
            files_.push_back(store_.new_attachment(a.size));
    }
    void on_attachment_data(std::size_t index, std::span<const unsigned char> bytes) override {
        files_.at(index)->write(bytes);
    }

    const crypto::TipHeader& header() const noexcept { return header_; }
    std::vector<std::unique_ptr<NewAttachment>>& files() noexcept { return files_; }

  private:
    CaseStore& store_;
    crypto::TipHeader header_;
    std::vector<std::unique_ptr<NewAttachment>> files_;
};

void add_search_text(sqlite3* db, const std::string& thread, const std::string& source,
                     std::string_view text) {
    Statement(db, "DELETE FROM search WHERE source = ?").bind(1, source).run();
    if (text.empty()) return;
    Statement(db, "INSERT INTO search (text, thread, source) VALUES (?, ?, ?)")
        .bind(1, text)
        .bind(2, thread)
        .bind(3, source)
        .run();
}

void add_message(CaseStore& store, const crypto::BundleEntry& entry, StoreReceiver& receiver) {
    sqlite3* db = store.db();
    const crypto::TipHeader& h = receiver.header();
    const std::string item = crypto::to_hex(entry.id);
    const std::string thread =
        h.reply_key ? crypto::to_hex(crypto::mailbox_id(*h.reply_key)) : item;

    Statement conversation(db,
                           "INSERT INTO conversation (thread, reply_key, first_day, last_day) "
                           "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (thread) DO UPDATE SET "
                           "reply_key = coalesce(reply_key, excluded.reply_key), "
                           "first_day = min(first_day, excluded.first_day), "
                           "last_day = max(last_day, excluded.last_day)");
    conversation.bind(1, thread);
    if (h.reply_key) {
        conversation.bind(2, *h.reply_key);
    } else {
        conversation.bind_null(2);
    }
    conversation.bind(3, static_cast<std::int64_t>(entry.day)).run();
    // A witness who writes again brings a deleted conversation back, and its triage with it.
    Statement(db, "DELETE FROM deleted_thread WHERE thread = ?").bind(1, thread).run();

    Statement message(db,
                      "INSERT INTO message (item, conversation, kind, day, written, language, "
                      "body, signer) VALUES (?, (SELECT id FROM conversation WHERE thread = ?), "
                      "?, ?, ?, ?, ?, ?)");
    message.bind(1, entry.id)
        .bind(2, thread)
        .bind(3, std::string_view(kind_name(h.kind)))
        .bind(4, static_cast<std::int64_t>(entry.day))
        .bind(5, h.created_at)
        .bind(6, h.language)
        .bind(7, h.message);
    const std::string signer = h.signer ? crypto::fingerprint(*h.signer) : std::string();
    if (h.signer) {
        message.bind(8, signer);
    } else {
        message.bind_null(8);
    }
    message.run();
    const std::int64_t message_id = sqlite3_last_insert_rowid(db);
    add_search_text(db, thread, "message:" + item, h.message);

    for (std::size_t i = 0; i < h.attachments.size(); ++i) {
        const crypto::AttachmentInfo& a = h.attachments[i];
        const crypto::StoreFileId& file = receiver.files()[i]->id();
        Statement(db,
                  "INSERT INTO attachment (file, message, position, name, media_type, size) "
                  "VALUES (?, ?, ?, ?, ?, ?)")
            .bind(1, file)
            .bind(2, message_id)
            .bind(3, static_cast<std::int64_t>(i))
            .bind(4, a.name)
            .bind(5, a.media_type)
            .bind(6, static_cast<std::int64_t>(a.size))
            .run();
        add_search_text(db, thread, "attachment:" + crypto::to_hex(file), a.name);
    }
}

bool has_item(sqlite3* db, std::span<const unsigned char> id) {
    Statement st(db, "SELECT 1 FROM message WHERE item = ?");
    return st.bind(1, id).step();
}

bool has_team_item(sqlite3* db, std::span<const unsigned char> id) {
    Statement st(db, "SELECT 1 FROM team_item WHERE item = ?");
    return st.bind(1, id).step();
}

bool was_deleted(sqlite3* db, std::span<const unsigned char> id) {
    Statement st(db, "SELECT 1 FROM deleted WHERE item = ?");
    return st.bind(1, id).step();
}

std::size_t code_points(std::string_view text) {
    std::size_t n = 0;
    for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    return n;
}

std::string shorten(std::string_view text, std::size_t max_code_points) {
    const std::size_t line_end = text.find('\n');
    if (line_end != std::string_view::npos) text = text.substr(0, line_end);
    std::size_t at = 0, count = 0;
    while (at < text.size() && count < max_code_points) {
        const auto cp = crypto::decode_utf8(text.substr(at));
        at += cp ? cp->length : 1;
        ++count;
    }
    std::string out(text.substr(0, at));
    if (at < text.size()) out += "…";
    return out;
}

// The words of a search, split at spaces (the ideographic space too).
std::vector<std::string> search_words(std::string_view query) {
    std::string text(query);
    for (std::size_t at; (at = text.find("\u3000")) != std::string::npos;) text.replace(at, 3, " ");
    std::vector<std::string> words;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t start = text.find_first_not_of(" \t\r\n", at);
        if (start == std::string::npos) break;
        const std::size_t end = std::min(text.find_first_of(" \t\r\n", start), text.size());
        words.push_back(text.substr(start, end - start));
        at = end;
    }
    return words;
}

// The conversations where every word appears in a message, note or attachment name. Words of
// three characters or more use the trigram index; shorter ones, common in Korean and Chinese,
// scan the same table with LIKE.
std::set<std::string> search_threads(sqlite3* db, std::string_view query) {
    std::optional<std::set<std::string>> result;
    for (const std::string& word : search_words(query)) {
        std::set<std::string> found;
        if (code_points(word) >= 3) {
            std::string phrase = "\"";
            for (char c : word) phrase += c == '"' ? std::string("\"\"") : std::string(1, c);
            phrase += "\"";
            Statement st(db, "SELECT DISTINCT thread FROM search WHERE search MATCH ?");
            st.bind(1, phrase);
            while (st.step()) found.insert(st.text(0));
        } else {
            std::string pattern = "%";
            for (char c : word) {
                if (c == '%' || c == '_' || c == '\\') pattern += '\\';
                pattern += c;
            }
            pattern += "%";
            Statement st(db, "SELECT DISTINCT thread FROM search WHERE text LIKE ? ESCAPE '\\'");
            st.bind(1, pattern);
            while (st.step()) found.insert(st.text(0));
        }
        if (!result) {
            result = std::move(found);
        } else {
            std::set<std::string> both;
            std::set_intersection(result->begin(), result->end(), found.begin(), found.end(),
                                  std::inserter(both, both.end()));
            result = std::move(both);
        }
    }
    return result.value_or(std::set<std::string>{});
}

std::string seen_field(const std::string& responder, const std::string& item) {
    return "seen:" + responder + ":" + item;
}

// One more than every clock the store has seen, those of deleted conversations included.
std::int64_t next_clock(sqlite3* db) {
    Statement st(db, "SELECT clock FROM lamport WHERE id = 1");
    const std::int64_t clock = (st.step() ? st.int64(0) : 0) + 1;
    // Never past what colleagues take (team_state.hpp), so that no store diverges: 2^48 changes
    // away, unless a colleague's tool sent a clock at the top of the range.
    if (clock > max_merged_clock) {
        tooling::io_error(
            client::tr("the case store's clock is exhausted: a change has reached the "
                       "largest clock colleagues accept"),
            {client::tr("a colleague's tool may have sent a wrong clock; tell the "
                        "organisation")});
    }
    return clock;
}

void write_field(sqlite3* db, const FieldChange& c) {
    Statement(db,
              "INSERT INTO field (thread, name, value, clock, writer, day) VALUES (?, ?, ?, ?, ?, "
              "?) ON CONFLICT (thread, name) DO UPDATE SET value = excluded.value, clock = "
              "excluded.clock, writer = excluded.writer, day = excluded.day")
        .bind(1, c.thread)
        .bind(2, c.name)
        .bind(3, c.value)
        .bind(4, c.clock)
        .bind(5, c.writer)
        .bind(6, c.day)
        .run();
    Statement(db, "UPDATE lamport SET clock = max(clock, ?) WHERE id = 1").bind(1, c.clock).run();
    if (c.name.starts_with("note:")) {
        const std::size_t text_at = c.value.find('\n');
        add_search_text(db, c.thread, c.name,
                        text_at == std::string::npos
                            ? std::string_view()
                            : std::string_view(c.value).substr(text_at + 1));
    }
}

// Ends the import's transaction without keeping anything of the bundle, and answers ec.
std::error_code rolled_back(CaseStore& store, std::error_code ec) {
    sqlite3_exec(store.db(), "ROLLBACK", nullptr, nullptr, nullptr);
    return ec;
}

}  // namespace

bool is_tag_text(std::string_view tag) {
    if (tag.empty() || tag.size() > max_tag_size || !crypto::is_valid_utf8(tag)) return false;
    return std::none_of(tag.begin(), tag.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F || c == ',';
    });
}

std::error_code import_bundle(CaseStore& store, crypto::ByteSource& in, std::uint64_t file_size,
                              ImportReport& report) {
    std::vector<crypto::BundleEntry> entries;
    if (auto ec = crypto::read_bundle_manifest(in, file_size, entries)) return ec;
    const crypto::BoxKeyPair* identities[] = {&store.identity().box};
    tooling::exec_sql(store.db(), "BEGIN");
    try {
        for (const crypto::BundleEntry& e : entries) {
            client::stop_if_interrupted();  // Ctrl-C: rolled back below, the bundle not imported
            crypto::LimitedSource envelope(in, e.size);
            const bool deleted = was_deleted(store.db(), e.id);
            if (deleted || has_item(store.db(), e.id) || has_team_item(store.db(), e.id)) {
                ++report.already;
                if (deleted) ++report.deleted;
                if (!envelope.skip_rest()) return rolled_back(store, crypto::Error::truncated);
                continue;
            }
            StoreReceiver receiver(store);
            const std::error_code ec = crypto::open_tip(identities, envelope, receiver);
            if (!envelope.skip_rest()) return rolled_back(store, crypto::Error::truncated);
            if (ec == crypto::Error::no_matching_key) {
                report.not_for_this_key.push_back(crypto::to_hex(e.id));
                continue;
            }
            if (ec) {
                report.damaged.emplace_back(crypto::to_hex(e.id), ec);
                continue;
            }
            if (receiver.header().kind == crypto::TipKind::team_state) {
                const std::string id = crypto::to_hex(e.id);
                switch (apply_team_state(store, receiver.header(), report.team)) {
                    case TeamStateVerdict::applied:
                        Statement(store.db(), "INSERT INTO team_item (item) VALUES (?)")
                            .bind(1, e.id)
                            .run();
                        ++report.added;
                        ++report.team_states;
                        break;
                    case TeamStateVerdict::no_team:
                        report.team_without_team.push_back(id);
                        break;
                    case TeamStateVerdict::not_in_team:
                        report.team_from_outsider.push_back(id);
                        break;
                    case TeamStateVerdict::not_json:
                        report.damaged.emplace_back(id, crypto::Error::malformed);
                        break;
                }
                continue;
            }
            std::vector<NewAttachment*> files;
            for (auto& f : receiver.files()) files.push_back(f.get());
            store.install_attachments(files);
            add_message(store, e, receiver);
            ++report.added;
        }
        tooling::exec_sql(store.db(), "COMMIT");
    } catch (...) {
        sqlite3_exec(store.db(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    if (report.added > 0) store.save();
    return {};
}

std::vector<ConversationSummary> list_conversations(CaseStore& store,
                                                    const ConversationFilter& filter) {
    sqlite3* db = store.db();
    std::optional<std::set<std::string>> matching;
    if (!search_words(filter.search).empty()) matching = search_threads(db, filter.search);

    Statement st(db, R"sql(
SELECT c.thread, c.first_day, c.last_day, c.reply_key IS NOT NULL,
  (SELECT count(*) FROM message m WHERE m.conversation = c.id),
  (SELECT count(*) FROM message m WHERE m.conversation = c.id AND NOT EXISTS (
     SELECT 1 FROM field f WHERE f.thread = c.thread
       AND f.name = 'seen:' || ?1 || ':' || lower(hex(m.item)) AND f.value = '1')),
  coalesce((SELECT value FROM field WHERE thread = c.thread AND name = 'status'), 'new'),
  coalesce((SELECT value FROM field WHERE thread = c.thread AND name = 'assignee'), ''),
  (SELECT body FROM message m WHERE m.conversation = c.id ORDER BY written, day, id LIMIT 1)
FROM conversation c WHERE ?2 IS NULL OR c.thread = ?2 ORDER BY c.last_day DESC, c.thread)sql");
    st.bind(1, store.me());
    if (filter.thread) st.bind(2, *filter.thread);
    std::vector<ConversationSummary> out;
    while (st.step()) {
        ConversationSummary s;
        s.thread = st.text(0);
        if (matching && !matching->contains(s.thread)) continue;
        s.first_day = st.int64(1);
        s.last_day = st.int64(2);
        s.can_reply = st.int64(3) != 0;
        s.messages = st.int64(4);
        s.unseen = st.int64(5);
        s.status = st.text(6);
        s.assignee = st.text(7);
        s.preview = shorten(st.text(8), preview_code_points);
        Statement tags(db,
                       "SELECT substr(name, 5) FROM field WHERE thread = ? AND name LIKE 'tag:%' "
                       "AND value = '1' ORDER BY name");
        tags.bind(1, s.thread);
        while (tags.step()) s.tags.push_back(tags.text(0));

        if (filter.status && s.status != *filter.status) continue;
        if (filter.assignee && s.assignee != *filter.assignee) continue;
        if (filter.tag && std::find(s.tags.begin(), s.tags.end(), *filter.tag) == s.tags.end())
            continue;
        if (filter.unseen_only && s.unseen == 0) continue;
        out.push_back(std::move(s));
    }
    return out;
}

std::string find_thread(CaseStore& store, std::string_view typed) {
    std::string prefix;
    for (char c : typed) prefix += static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    const bool hex =
        !prefix.empty() && prefix.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex || prefix.size() < min_typed_id || prefix.size() > 64) {
        // TRANSLATORS: {id} is what was typed as a conversation's id.
        usage_error(tr("'{id}' is not a conversation id", {{"id", typed}}),
                    // TRANSLATORS: hex digits: 0 to 9 and a to f.
                    {tr("give at least {count} hex digits of an id that 'tipline-responder "
                        "conversations' lists",
                        {{"count", std::to_string(min_typed_id)}})});
    }
    Statement st(store.db(), "SELECT thread FROM conversation WHERE substr(thread, 1, ?) = ?");
    st.bind(1, static_cast<std::int64_t>(prefix.size())).bind(2, prefix);
    std::vector<std::string> found;
    while (st.step()) found.push_back(st.text(0));
    if (found.empty()) {
        // TRANSLATORS: the case store: the responder's encrypted store of conversations.
        usage_error(tr("no conversation in the case store has the id {id}", {{"id", prefix}}));
    }
    if (found.size() > 1) {
        // TRANSLATORS: {count} is a number, more than 1; {prefix} the digits typed.
        usage_error(tr("{count} conversations have ids that start {prefix}",
                       {{"count", std::to_string(found.size())}, {"prefix", prefix}}),
                    {tr("give more digits of the id")});
    }
    return found.front();
}

Conversation load_conversation(CaseStore& store, const std::string& thread) {
    sqlite3* db = store.db();
    Conversation c;
    ConversationFilter only;
    only.thread = thread;
    for (ConversationSummary& s : list_conversations(store, only)) {
        c.summary = std::move(s);
    }
    if (c.summary.thread.empty())
        usage_error(tr("no conversation in the case store has the id {id}", {{"id", thread}}));
    {
        Statement st(db, "SELECT reply_key FROM conversation WHERE thread = ?");
        st.bind(1, thread);
        if (st.step() && !st.null(0) && st.blob(0).size() == crypto::box_public_key_bytes) {
            crypto::BoxPublicKey key{};
            std::copy_n(st.blob(0).begin(), key.size(), key.begin());
            c.reply_key = key;
        }
    }
    Statement messages(db, R"sql(
SELECT m.id, lower(hex(m.item)), m.kind, m.day, m.written, m.language, m.body,
  coalesce(m.signer, ''),
  EXISTS (SELECT 1 FROM field f WHERE f.thread = ?1
    AND f.name = 'seen:' || ?2 || ':' || lower(hex(m.item)) AND f.value = '1')
FROM message m JOIN conversation c ON c.id = m.conversation
WHERE c.thread = ?1 ORDER BY m.written, m.day, m.id)sql");
    messages.bind(1, thread).bind(2, store.me());
    while (messages.step()) {
        StoredMessage m;
        const std::int64_t id = messages.int64(0);
        m.item = messages.text(1);
        m.kind = messages.text(2);
        m.day = messages.int64(3);
        m.written = messages.int64(4);
        m.language = messages.text(5);
        m.body = messages.text(6);
        m.signer = messages.text(7);
        m.seen = messages.int64(8) != 0;
        Statement files(db,
                        "SELECT a.file, a.name, a.media_type, a.size, s.file, s.media_type, "
                        "s.size, s.pages, s.note FROM attachment a LEFT JOIN safe_copy s ON "
                        "s.original = a.file WHERE a.message = ? ORDER BY a.position");
        files.bind(1, id);
        while (files.step()) {
            StoredAttachment a;
            if (files.blob(0).size() == a.file.size())
                std::copy_n(files.blob(0).begin(), a.file.size(), a.file.begin());
            a.name = files.text(1);
            a.media_type = files.text(2);
            a.size = static_cast<std::uint64_t>(files.int64(3));
            if (!files.null(4) && files.blob(4).size() == crypto::StoreFileId{}.size()) {
                StoredSafeCopy safe;
                std::copy_n(files.blob(4).begin(), safe.file.size(), safe.file.begin());
                safe.media_type = files.text(5);
                safe.size = static_cast<std::uint64_t>(files.int64(6));
                safe.pages = static_cast<unsigned>(files.int64(7));
                safe.note = files.text(8);
                a.safe_copy = std::move(safe);
            }
            m.attachments.push_back(std::move(a));
        }
        c.messages.push_back(std::move(m));
    }
    Statement notes(db,
                    "SELECT substr(name, 6), writer, day, value FROM field WHERE thread = ? AND "
                    "name LIKE 'note:%' AND value != '' ORDER BY clock, writer");
    notes.bind(1, thread);
    while (notes.step()) {
        StoredNote n;
        n.id = notes.text(0);
        n.author = notes.text(1);
        n.day = notes.int64(2);
        const std::string value = notes.text(3);
        n.text = value.substr(std::min(value.size(), value.find('\n') + 1));
        c.notes.push_back(std::move(n));
    }
    return c;
}

FieldChange set_field(CaseStore& store, const std::string& thread, const std::string& name,
                      const std::string& value) {
    FieldChange c{thread, name, value, next_clock(store.db()), store.me(), crypto::current_day()};
    write_field(store.db(), c);
    // Sealed for the team by the next share (team_state.hpp).
    Statement(store.db(), "INSERT OR IGNORE INTO unshared (thread, name) VALUES (?, ?)")
        .bind(1, thread)
        .bind(2, name)
        .run();
    return c;
}

bool merge_field(CaseStore& store, const FieldChange& change) {
    return merge_change(store, change) == Merged::newer;
}

Merged merge_change(CaseStore& store, const FieldChange& change) {
    // A conversation deleted here keeps nothing that arrives for it later, but the change's clock
    // still counts, so that a later change here comes after it.
    Statement deleted(store.db(), "SELECT 1 FROM deleted_thread WHERE thread = ?");
    if (deleted.bind(1, change.thread).step()) {
        Statement(store.db(), "UPDATE lamport SET clock = max(clock, ?) WHERE id = 1")
            .bind(1, change.clock)
            .run();
        return Merged::deleted;
    }
    Statement st(store.db(), "SELECT clock, writer FROM field WHERE thread = ? AND name = ?");
    st.bind(1, change.thread).bind(2, change.name);
    if (st.step()) {
        const std::int64_t clock = st.int64(0);
        const std::string writer = st.text(1);
        if (std::tie(change.clock, change.writer) <= std::tie(clock, writer)) return Merged::older;
    }
    write_field(store.db(), change);
    return Merged::newer;
}

void set_status(CaseStore& store, const std::string& thread, std::string_view status) {
    if (std::find(statuses.begin(), statuses.end(), status) == statuses.end()) {
        // TRANSLATORS: a status of a conversation in the triage (the team's sorting of the
        // conversations), as given to --status.
        usage_error(tr("'{status}' is not a status", {{"status", status}}),
                    // TRANSLATORS: the statuses are words to type: keep them in English.
                    {tr("choose one of: new, read, needs_reply, answered, closed")});
    }
    set_field(store, thread, "status", std::string(status));
}

void set_assignee(CaseStore& store, const std::string& thread, const std::string& fingerprint) {
    set_field(store, thread, "assignee", fingerprint);
}

void set_tag(CaseStore& store, const std::string& thread, std::string_view tag, bool on) {
    if (!is_tag_text(tag)) {
        // TRANSLATORS: a tag: a word the responders attach to a conversation to sort it.
        usage_error(tr("'{tag}' cannot be a tag", {{"tag", tag}}),
                    {tr("a tag is 1 to {max} bytes of UTF-8 text, without commas or control "
                        "characters",
                        {{"max", std::to_string(max_tag_size)}})});
    }
    set_field(store, thread, "tag:" + std::string(tag), on ? "1" : "0");
}

std::string add_note(CaseStore& store, const std::string& thread, std::string_view text) {
    if (text.empty() || text.size() > max_note_size || !crypto::is_valid_utf8(text)) {
        usage_error(tr("a note is 1 to {max} bytes of UTF-8 text",
                       {{"max", std::to_string(max_note_size)}}));
    }
    std::array<unsigned char, 8> random{};
    randombytes_buf(random.data(), random.size());
    const std::string id = crypto::to_hex(random);
    // The value: the note's format version, a newline, then the text.
    set_field(store, thread, "note:" + id, "1\n" + std::string(text));
    return id;
}

bool mark_seen(CaseStore& store, const Conversation& conversation) {
    bool changed = false;
    for (const StoredMessage& m : conversation.messages) {
        if (m.seen) continue;
        set_field(store, conversation.summary.thread, seen_field(store.me(), m.item), "1");
        changed = true;
    }
    if (conversation.summary.status == "new") {
        set_status(store, conversation.summary.thread, "read");
        changed = true;
    }
    return changed;
}

std::vector<crypto::StoreFileId> delete_conversation(CaseStore& store, const std::string& thread) {
    sqlite3* db = store.db();
    Statement status(db, "SELECT value FROM field WHERE thread = ? AND name = 'status'");
    status.bind(1, thread);
    if (!status.step() || status.text(0) != "closed") {
        usage_error(
            tr("conversation {id} is not closed", {{"id", thread.substr(0, short_id_size)}}),
            // TRANSLATORS: a command to type: keep it in English, ID included.
            {tr("close it first: tipline-responder triage ID --status closed")});
    }
    if (has_unshared_changes(store, thread)) {
        tooling::usage_error(
            client::tr("conversation {conversation} has changes the team does not have yet",
                       {{"conversation", thread.substr(0, short_id_size)}}),
            {client::tr("seal them for the team first: tipline-responder share; then delete it")});
    }
    std::vector<crypto::StoreFileId> files;
    Statement attachments(db,
                          "SELECT a.file FROM attachment a JOIN message m ON m.id = a.message "
                          "JOIN conversation c ON c.id = m.conversation WHERE c.thread = ?1 "
                          "UNION ALL SELECT s.file FROM safe_copy s JOIN attachment a ON "
                          "a.file = s.original JOIN message m ON m.id = a.message JOIN "
                          "conversation c ON c.id = m.conversation WHERE c.thread = ?1");
    attachments.bind(1, thread);
    while (attachments.step()) {
        crypto::StoreFileId id{};
        if (attachments.blob(0).size() == id.size())
            std::copy_n(attachments.blob(0).begin(), id.size(), id.begin());
        files.push_back(id);
    }
    Statement(db,
              "INSERT OR IGNORE INTO deleted (item) SELECT m.item FROM message m JOIN conversation "
              "c ON c.id = m.conversation WHERE c.thread = ?")
        .bind(1, thread)
        .run();
    Statement(db, "DELETE FROM search WHERE thread = ?").bind(1, thread).run();
    Statement(db, "DELETE FROM field WHERE thread = ?").bind(1, thread).run();
    Statement(db, "DELETE FROM unshared WHERE thread = ?").bind(1, thread).run();
    Statement(db, "INSERT OR IGNORE INTO deleted_thread (thread) VALUES (?)").bind(1, thread).run();
    // Messages and attachments go with their conversation (ON DELETE CASCADE).
    Statement(db, "DELETE FROM conversation WHERE thread = ?").bind(1, thread).run();
    return files;
}

void add_safe_copy(CaseStore& store, const crypto::StoreFileId& original,
                   std::span<const unsigned char> bytes, const std::string& media_type,
                   unsigned pages, const std::string& note) {
    std::unique_ptr<NewAttachment> file = store.new_attachment(bytes.size());
    file->write(bytes);
    NewAttachment* files[] = {file.get()};
    store.install_attachments(files);
    Statement(store.db(),
              "INSERT OR REPLACE INTO safe_copy (original, file, media_type, size, pages, note) "
              "VALUES (?, ?, ?, ?, ?, ?)")
        .bind(1, original)
        .bind(2, file->id())
        .bind(3, media_type)
        .bind(4, static_cast<std::int64_t>(bytes.size()))
        .bind(5, static_cast<std::int64_t>(pages))
        .bind(6, note)
        .run();
}

std::vector<std::string> closed_on_or_before(CaseStore& store, std::int64_t day) {
    Statement st(store.db(),
                 "SELECT f.thread FROM field f JOIN conversation c ON c.thread = f.thread WHERE "
                 "f.name = 'status' AND f.value = 'closed' AND f.day <= ? ORDER BY f.thread");
    st.bind(1, day);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.text(0));
    return out;
}

}  // namespace tipline::responder
