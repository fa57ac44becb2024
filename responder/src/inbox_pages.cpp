// The inbox's pages: the list of conversations with its filters, one conversation with its triage,
// note, reply, safe-copy, export and delete forms, and what each form answers. Every text comes
// from a catalog and is HTML-escaped; what a witness wrote is also escaped for display first, so
// that no control, invisible or bidi character reaches the page.
#include <sodium.h>

#include <algorithm>
#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/url_view.hpp>
#include <map>
#include <optional>

#include "tipline/client/display_text.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/responder/casework.hpp"
#include "tipline/responder/conversations.hpp"
#include "tipline/responder/inbox.hpp"
#include "tipline/responder/team.hpp"
#include "tipline/responder/team_state.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::responder {
namespace {

namespace fs = std::filesystem;
using tooling::html_escape;

constexpr std::string_view reply_languages[] = {"en", "ko", "zh-Hans", "und"};
constexpr std::size_t max_export_path = 4096;

constexpr std::string_view used_keys[] = {
    "language.name",
    "site.title",
    "nav.languages",
    "nav.all",
    "list.heading",
    "list.search",
    "list.status",
    "list.any",
    "list.assignee",
    "list.anyone",
    "list.tag",
    "list.unseen",
    "list.show",
    "list.count",
    "list.none",
    "list.messages",
    "list.unseen_count",
    "list.last",
    "list.no_preview",
    "status.new",
    "status.read",
    "status.needs_reply",
    "status.answered",
    "status.closed",
    "who.me",
    "who.nobody",
    "outbox.note",
    "share.heading",
    "share.pending",
    "share.none",
    "share.no_team",
    "share.button",
    "share.done_heading",
    "share.done",
    "share.nothing",
    "conv.heading",
    "conv.status",
    "conv.assignee",
    "conv.tags",
    "conv.no_tags",
    "conv.reply_possible",
    "conv.reply_impossible",
    "kind.tip",
    "kind.follow_up",
    "kind.reply",
    "msg.received",
    "msg.language",
    "msg.signed",
    "msg.unsigned",
    "msg.new",
    "att.size",
    "att.safe_open",
    "att.safe_pages",
    "att.unsafe",
    "notes.heading",
    "notes.by",
    "triage.heading",
    "triage.add_tag",
    "triage.remove_tag",
    "triage.save",
    "note.heading",
    "note.text",
    "note.hint",
    "note.add",
    "reply.heading",
    "reply.message",
    "reply.language",
    "reply.language_und",
    "reply.cc",
    "reply.no_team",
    "reply.seal",
    "reply.sealed_heading",
    "reply.sealed",
    "safe.heading",
    "safe.intro",
    "safe.make",
    "safe.done_heading",
    "safe.made",
    "safe.had_one",
    "safe.unsupported",
    "safe.failed",
    "export.heading",
    "export.intro",
    "export.folder",
    "export.button",
    "export.done_heading",
    "export.done",
    "delete.heading",
    "delete.intro",
    "delete.confirm",
    "delete.button",
    "delete.done_heading",
    "delete.done",
    "error.heading",
    "error.not_found",
    "error.bad_request",
    "error.forbidden",
    "error.failed",
    "error.back",
    "footer",
};

std::string t(std::string_view lang, std::string_view key) {
    return html_escape(inbox_catalogs().translate(lang, key));
}

// A catalog text with its {slots} filled, each value escaped like the text (or put in as HTML
// when it is already).
std::string filled(std::string_view lang, std::string_view key,
                   std::initializer_list<std::pair<std::string_view, std::string>> values,
                   bool html_values = false) {
    std::string text = t(lang, key);
    for (const auto& [name, value] : values) {
        const std::string slot = "{" + std::string(name) + "}";
        if (const auto at = text.find(slot); at != std::string::npos)
            text.replace(at, slot.size(), html_values ? value : html_escape(value));
    }
    return text;
}

// What a witness or colleague wrote, as the terminal tools show it, then escaped for HTML.
std::string shown(std::string_view raw) { return html_escape(client::escape_for_display(raw)); }
std::string shown_text(std::string_view raw) {
    return html_escape(client::escape_text_for_display(raw));
}

std::string status_text(std::string_view lang, std::string_view status) {
    return t(lang, "status." + std::string(status));
}

// A request parsed: the page under the token, in one language, and its form fields.
struct Route {
    std::string lang;
    std::vector<std::string> segments;  // after the language
    std::multimap<std::string, std::string> query, form;

    std::string field(const std::multimap<std::string, std::string>& from,
                      const std::string& name) const {
        const auto it = from.find(name);
        return it == from.end() ? std::string() : it->second;
    }
};

bool read_params(std::string_view text, std::multimap<std::string, std::string>& out) {
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;  // as forms send them
    if (!boost::urls::parse_query(text)) return false;
    for (const auto& p : boost::urls::params_view(text, opts)) out.emplace(p.key, p.value);
    return true;
}

// 405, naming the methods the path takes.
InboxResponse not_allowed(std::string allow) {
    InboxResponse res;
    res.status = 405;
    res.allow = std::move(allow);
    return res;
}

class Pages {
  public:
    Pages(CaseStore& store, const InboxOptions& options, std::string base)
        : store_(store), options_(options), base_(std::move(base)) {}

    InboxResponse answer(const InboxRequest& request, Route& route);

  private:
    std::string href(const Route& r, std::string_view page) const {
        return base_ + r.lang + "/" + std::string(page);
    }
    std::string conversation_href(const Route& r, const std::string& thread) const {
        return href(r, "c/" + thread);
    }
    std::string render(const Route& r, const std::string& title, const std::string& main,
                       std::string_view this_page) const;
    InboxResponse page(const Route& r, const std::string& title, const std::string& main,
                       std::string_view this_page = {}) const {
        return {200, "text/html; charset=utf-8", render(r, title, main, this_page), {}, true, {}};
    }
    InboxResponse error(const Route& r, unsigned status, std::string_view key,
                        const std::string& detail = {}) const;
    InboxResponse see_other(const std::string& location) const {
        InboxResponse res;
        res.status = 303;
        res.location = location;
        return res;
    }

    std::string who(const Route& r, const std::string& fingerprint) const;
    std::string assignee_options(const Route& r, const std::string& selected,
                                 bool with_anyone) const;
    std::vector<std::string> team_fingerprints() const;

    InboxResponse list(const Route& r);
    InboxResponse conversation(const Route& r, const std::string& thread);
    InboxResponse safe_copy_file(const Route& r, const std::string& thread,
                                 const std::string& file);
    InboxResponse post(const Route& r, const std::string& thread, const std::string& action);

    std::string triage_form(const Route& r, const Conversation& c) const;
    std::string share_section(const Route& r) const;
    InboxResponse share(const Route& r);
    std::string reply_form(const Route& r, const Conversation& c) const;

    CaseStore& store_;
    const InboxOptions& options_;
    std::string base_;  // "/TOKEN/"
};

std::string Pages::render(const Route& r, const std::string& title, const std::string& main,
                          std::string_view this_page) const {
    std::string html;
    html.reserve(4096 + main.size());
    html += "<!DOCTYPE html>\n<html lang=\"" + html_escape(r.lang) +
            "\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"referrer\" content=\"same-origin\">\n<title>" +
            title + " · " + t(r.lang, "site.title") + "</title>\n<link rel=\"stylesheet\" href=\"" +
            base_ + "static/inbox.css\">\n</head>\n<body>\n<header>\n<a class=\"site\" href=\"" +
            href(r, "") + "\">" + t(r.lang, "site.title") + "</a>\n<nav aria-label=\"" +
            t(r.lang, "nav.languages") + "\"><ul>";
    for (const std::string& other : inbox_catalogs().languages()) {
        html += "<li><a href=\"" + base_ + html_escape(other) + "/" + std::string(this_page) +
                "\" lang=\"" + html_escape(other) + "\" hreflang=\"" + html_escape(other) + "\"" +
                (other == r.lang ? " aria-current=\"page\"" : "") + ">" +
                html_escape(inbox_catalogs().translate(other, "language.name")) + "</a></li>";
    }
    html += "</ul></nav>\n</header>\n<main>\n" + main + "</main>\n<footer>\n<p>" +
            t(r.lang, "footer") + "</p>\n</footer>\n</body>\n</html>\n";
    return html;
}

InboxResponse Pages::error(const Route& r, unsigned status, std::string_view key,
                           const std::string& detail) const {
    std::string m = "<h1>" + t(r.lang, "error.heading") + "</h1>\n<p class=\"notice warning\">" +
                    t(r.lang, key) + "</p>\n";
    if (!detail.empty()) m += "<pre class=\"detail\">" + html_escape(detail) + "</pre>\n";
    m += "<p><a href=\"" + href(r, "") + "\">" + t(r.lang, "error.back") + "</a></p>\n";
    InboxResponse res = page(r, t(r.lang, "error.heading"), m);
    res.status = status;
    return res;
}

std::vector<std::string> Pages::team_fingerprints() const {
    std::vector<std::string> fps;
    for (const crypto::PublicIdentity& id : options_.team) {
        const std::string fp = crypto::fingerprint(id);
        if (fp != store_.me() && std::find(fps.begin(), fps.end(), fp) == fps.end())
            fps.push_back(fp);
    }
    return fps;
}

std::string Pages::who(const Route& r, const std::string& fingerprint) const {
    if (fingerprint.empty()) return t(r.lang, "who.nobody");
    if (fingerprint == store_.me())
        return t(r.lang, "who.me") + " (<span class=\"fingerprint\">" + html_escape(fingerprint) +
               "</span>)";
    return "<span class=\"fingerprint\">" + html_escape(fingerprint) + "</span>";
}

std::string Pages::assignee_options(const Route& r, const std::string& selected,
                                    bool with_anyone) const {
    std::vector<std::pair<std::string, std::string>> choices;  // value, label (HTML)
    if (with_anyone) choices.emplace_back("", t(r.lang, "list.anyone"));
    choices.emplace_back(with_anyone ? "me" : store_.me(), t(r.lang, "who.me"));
    choices.emplace_back("nobody", t(r.lang, "who.nobody"));
    for (const std::string& fp : team_fingerprints()) choices.emplace_back(fp, html_escape(fp));
    // An assignee from a colleague's change that is not on this machine's team list.
    if (!selected.empty() && selected != "me" && selected != "nobody" && selected != store_.me() &&
        std::none_of(choices.begin(), choices.end(),
                     [&](const auto& c) { return c.first == selected; })) {
        choices.emplace_back(selected, html_escape(selected));
    }
    std::string html;
    for (const auto& [value, label] : choices) {
        html += "<option value=\"" + html_escape(value) + "\"" +
                (value == selected ? " selected" : "") + ">" + label + "</option>";
    }
    return html;
}

InboxResponse Pages::list(const Route& r) {
    ConversationFilter filter;
    const std::string status = r.field(r.query, "status");
    const std::string tag = r.field(r.query, "tag");
    const std::string assignee = r.field(r.query, "assignee");
    const std::string search = r.field(r.query, "q");
    const bool unseen = r.field(r.query, "unseen") == "1";
    if (!status.empty()) {
        if (std::find(statuses.begin(), statuses.end(), status) == statuses.end())
            return error(r, 400, "error.bad_request");
        filter.status = status;
    }
    if (!tag.empty()) filter.tag = tag;
    if (assignee == "me") {
        filter.assignee = store_.me();
    } else if (assignee == "nobody") {
        filter.assignee = "";
    } else if (!assignee.empty()) {
        const auto fp = crypto::parse_fingerprint(assignee);
        if (!fp) return error(r, 400, "error.bad_request");
        filter.assignee = *fp;
    }
    filter.unseen_only = unseen;
    filter.search = search;
    const std::vector<ConversationSummary> found = list_conversations(store_, filter);

    const std::string L = r.lang;
    std::string m = "<h1>" + t(L, "list.heading") + "</h1>\n";
    m += "<form class=\"filters\" method=\"get\" action=\"" + href(r, "") + "\">\n";
    m += "<label for=\"q\">" + t(L, "list.search") + "</label>\n<input id=\"q\" name=\"q\" " +
         "type=\"search\" value=\"" + html_escape(search) + "\">\n";
    m += "<div class=\"row\"><div><label for=\"status\">" + t(L, "list.status") +
         "</label>\n<select id=\"status\" name=\"status\"><option value=\"\">" + t(L, "list.any") +
         "</option>";
    for (const std::string_view s : statuses) {
        m += "<option value=\"" + std::string(s) + "\"" + (s == status ? " selected" : "") + ">" +
             status_text(L, s) + "</option>";
    }
    m += "</select></div>\n<div><label for=\"assignee\">" + t(L, "list.assignee") +
         "</label>\n<select id=\"assignee\" name=\"assignee\">" +
         assignee_options(r, assignee, true) + "</select></div>\n";
    m += "<div><label for=\"tag\">" + t(L, "list.tag") +
         "</label>\n<input id=\"tag\" name=\"tag\" value=\"" + html_escape(tag) +
         "\"></div></div>\n";
    m += "<p class=\"check\"><input id=\"unseen\" name=\"unseen\" type=\"checkbox\" value=\"1\"" +
         std::string(unseen ? " checked" : "") + "> <label for=\"unseen\">" + t(L, "list.unseen") +
         "</label></p>\n";
    m += "<button type=\"submit\">" + t(L, "list.show") + "</button>\n</form>\n";
    m += "<p class=\"count\" id=\"count\">" +
         filled(L, "list.count", {{"count", std::to_string(found.size())}}) + "</p>\n";
    if (found.empty()) {
        m += "<p class=\"none\">" + t(L, "list.none") + "</p>\n";
    } else {
        m += "<ol class=\"conversations\">\n";
        for (const ConversationSummary& s : found) {
            m += "<li class=\"conversation status-" + html_escape(s.status) +
                 (s.unseen > 0 ? " unseen" : "") + "\" data-thread=\"" + s.thread +
                 "\">\n<p class=\"line\"><a href=\"" + conversation_href(r, s.thread) +
                 "\"><span class=\"id\">" + s.short_id() + "</span> <span class=\"preview\">" +
                 (s.preview.empty() ? t(L, "list.no_preview") : shown(s.preview)) +
                 "</span></a></p>\n<p class=\"meta\"><span class=\"status\">" +
                 status_text(L, s.status) + "</span> · " +
                 filled(L, "list.last", {{"day", crypto::format_day(s.last_day)}}) + " · " +
                 filled(L, "list.messages", {{"count", std::to_string(s.messages)}});
            if (s.unseen > 0) {
                m += " · <strong class=\"unseen-count\">" +
                     filled(L, "list.unseen_count", {{"count", std::to_string(s.unseen)}}) +
                     "</strong>";
            }
            m += " · " + t(L, "conv.assignee") + ": " + who(r, s.assignee);
            for (const std::string& tag_name : s.tags)
                m += " <span class=\"tag\">" + shown(tag_name) + "</span>";
            m += "</p>\n</li>\n";
        }
        m += "</ol>\n";
    }
    m += share_section(r);
    m += "<p class=\"notice\">" + filled(L, "outbox.note", {{"folder", options_.outbox.string()}}) +
         "</p>\n";
    return page(r, t(L, "list.heading"), m);
}

// What this responder changed and has not sealed for the team, and the button that seals it.
std::string Pages::share_section(const Route& r) const {
    const std::string L = r.lang;
    std::string m = "<section id=\"share\">\n<h2>" + t(L, "share.heading") + "</h2>\n";
    if (!stored_team(store_)) return m + "<p>" + t(L, "share.no_team") + "</p>\n</section>\n";
    const std::size_t pending = unshared_count(store_);
    if (pending == 0) return m + "<p>" + t(L, "share.none") + "</p>\n</section>\n";
    m += "<p>" + filled(L, "share.pending", {{"count", std::to_string(pending)}}) + "</p>\n";
    m += "<form method=\"post\" action=\"" + href(r, "share") + "\"><button type=\"submit\">" +
         t(L, "share.button") + "</button></form>\n</section>\n";
    return m;
}

InboxResponse Pages::share(const Route& r) {
    const std::string L = r.lang;
    const SharedState shared = share_team_state(store_, options_.outbox);
    std::string text;
    if (shared.files.empty()) {
        text = t(L, "share.nothing");
    } else {
        std::string files;
        for (const fs::path& f : shared.files) files += (files.empty() ? "" : ", ") + f.string();
        text = filled(L, "share.done",
                      {{"count", std::to_string(shared.changes)},
                       {"responders", std::to_string(shared.responders)},
                       {"files", files}});
    }
    return page(r, t(L, "share.done_heading"),
                "<h1>" + t(L, "share.done_heading") + "</h1>\n<p class=\"notice\" id=\"result\">" +
                    text + "</p>\n<p><a href=\"" + href(r, "") + "\">" + t(L, "nav.all") +
                    "</a></p>\n");
}

std::string Pages::triage_form(const Route& r, const Conversation& c) const {
    const std::string L = r.lang;
    const std::string action = conversation_href(r, c.summary.thread);
    std::string m = "<section id=\"triage\">\n<h2>" + t(L, "triage.heading") + "</h2>\n";
    m += "<form method=\"post\" action=\"" + action + "/triage\">\n";
    m += "<div class=\"row\"><div><label for=\"status\">" + t(L, "conv.status") +
         "</label>\n<select id=\"status\" name=\"status\">";
    for (const std::string_view s : statuses) {
        m += "<option value=\"" + std::string(s) + "\"" +
             (s == c.summary.status ? " selected" : "") + ">" + status_text(L, s) + "</option>";
    }
    m += "</select></div>\n<div><label for=\"assignee\">" + t(L, "conv.assignee") +
         "</label>\n<select id=\"assignee\" name=\"assignee\">" +
         assignee_options(r, c.summary.assignee.empty() ? "nobody" : c.summary.assignee, false) +
         "</select></div>\n<div><label for=\"add_tag\">" + t(L, "triage.add_tag") +
         "</label>\n<input id=\"add_tag\" name=\"add_tag\" maxlength=\"" +
         std::to_string(max_tag_size) + "\"></div></div>\n";
    for (std::size_t i = 0; i < c.summary.tags.size(); ++i) {
        const std::string id = "remove_tag_" + std::to_string(i);
        m += "<p class=\"check\"><input id=\"" + id +
             "\" name=\"remove_tag\" type=\"checkbox\" value=\"" + html_escape(c.summary.tags[i]) +
             "\"> <label for=\"" + id + "\">" +
             filled(L, "triage.remove_tag", {{"tag", shown(c.summary.tags[i])}}, true) +
             "</label></p>\n";
    }
    m += "<button type=\"submit\">" + t(L, "triage.save") + "</button>\n</form>\n</section>\n";
    m += "<section id=\"note\">\n<h2>" + t(L, "note.heading") + "</h2>\n<form method=\"post\" " +
         "action=\"" + action + "/note\">\n<label for=\"note-text\">" + t(L, "note.text") +
         "</label>\n<span class=\"hint\" id=\"note-hint\">" + t(L, "note.hint") +
         "</span>\n<textarea id=\"note-text\" name=\"text\" rows=\"4\" required maxlength=\"" +
         std::to_string(max_note_size) + "\" aria-describedby=\"note-hint\"></textarea>\n" +
         "<button type=\"submit\">" + t(L, "note.add") + "</button>\n</form>\n</section>\n";
    return m;
}

std::string Pages::reply_form(const Route& r, const Conversation& c) const {
    const std::string L = r.lang;
    std::string m = "<section id=\"reply\">\n<h2>" + t(L, "reply.heading") + "</h2>\n";
    if (!c.reply_key) return m + "<p>" + t(L, "conv.reply_impossible") + "</p>\n</section>\n";
    m += "<form method=\"post\" action=\"" + conversation_href(r, c.summary.thread) +
         "/reply\">\n<label for=\"reply-text\">" + t(L, "reply.message") +
         "</label>\n<textarea id=\"reply-text\" name=\"message\" rows=\"6\" required></textarea>\n";
    m += "<label for=\"reply-language\">" + t(L, "reply.language") +
         "</label>\n<select id=\"reply-language\" name=\"language\">";
    for (const std::string_view tag : reply_languages) {
        const std::string label =
            tag == "und" ? t(L, "reply.language_und")
                         : html_escape(inbox_catalogs().translate(tag, "language.name"));
        m += "<option value=\"" + std::string(tag) + "\"" + (tag == L ? " selected" : "") + ">" +
             label + "</option>";
    }
    m += "</select>\n<fieldset><legend>" + t(L, "reply.cc") + "</legend>\n";
    const std::vector<std::string> team = team_fingerprints();
    if (team.empty()) m += "<p class=\"hint\">" + t(L, "reply.no_team") + "</p>\n";
    for (std::size_t i = 0; i < team.size(); ++i) {
        const std::string id = "cc_" + std::to_string(i);
        m += "<p class=\"check\"><input id=\"" + id + "\" name=\"cc\" type=\"checkbox\" value=\"" +
             team[i] + "\" checked> <label for=\"" + id + "\" class=\"fingerprint\">" + team[i] +
             "</label></p>\n";
    }
    m += "</fieldset>\n<button type=\"submit\">" + t(L, "reply.seal") + "</button>\n</form>\n";
    return m + "</section>\n";
}

InboxResponse Pages::conversation(const Route& r, const std::string& thread) {
    Conversation c = load_conversation(store_, thread);
    const std::string L = r.lang;
    const ConversationSummary& s = c.summary;
    std::string m = "<p><a href=\"" + href(r, "") + "\">" + t(L, "nav.all") + "</a></p>\n";
    m += "<h1>" + filled(L, "conv.heading", {{"id", s.short_id()}}) + "</h1>\n";
    std::string tags;
    for (const std::string& tag_name : s.tags)
        tags += " <span class=\"tag\">" + shown(tag_name) + "</span>";
    m += "<dl class=\"summary\">\n<dt>" + t(L, "conv.status") + "</dt><dd id=\"status-now\">" +
         status_text(L, s.status) + "</dd>\n<dt>" + t(L, "conv.assignee") +
         "</dt><dd id=\"assignee-now\">" + who(r, s.assignee) + "</dd>\n<dt>" + t(L, "conv.tags") +
         "</dt><dd id=\"tags-now\">" + (tags.empty() ? t(L, "conv.no_tags") : tags) +
         "</dd>\n</dl>\n";
    m += "<p>" + t(L, c.reply_key ? "conv.reply_possible" : "conv.reply_impossible") + "</p>\n";
    bool any_without_copy = false;
    for (const StoredMessage& msg : c.messages) {
        m += "<article class=\"message " + msg.kind + "\" id=\"item-" + msg.item + "\">\n<h2>" +
             t(L, "kind." + msg.kind);
        if (!msg.seen) m += " <span class=\"new\">" + t(L, "msg.new") + "</span>";
        m += "</h2>\n<p class=\"meta\">" +
             filled(L, "msg.received", {{"day", crypto::format_day(msg.day)}}) + " · " +
             filled(L, "msg.language", {{"language", client::escape_for_display(msg.language)}});
        if (msg.kind == "reply") {
            m += " · " + (msg.signer.empty()
                              ? t(L, "msg.unsigned")
                              : filled(L, "msg.signed", {{"fingerprint", msg.signer}}));
        }
        m += "</p>\n<div class=\"body\" dir=\"auto\">" + shown_text(msg.body) + "</div>\n";
        if (!msg.attachments.empty()) m += "<ul class=\"attachments\">\n";
        for (const StoredAttachment& a : msg.attachments) {
            m += "<li><span class=\"name\">" + shown(a.name) + "</span> · " +
                 filled(L, "att.size", {{"size", std::to_string(a.size)}}) + " · " +
                 shown(a.media_type) + "<br>";
            if (a.safe_copy) {
                const std::string file_href =
                    conversation_href(r, thread) + "/safe/" + crypto::to_hex(a.safe_copy->file);
                if (a.safe_copy->media_type == "image/png") {
                    m += "<img class=\"safe\" src=\"" + file_href + "\" alt=\"" + shown(a.name) +
                         "\"><br>";
                }
                m += "<a class=\"safe\" href=\"" + file_href + "\">" + t(L, "att.safe_open") +
                     "</a> " +
                     filled(L, "att.safe_pages", {{"pages", std::to_string(a.safe_copy->pages)}});
                if (!a.safe_copy->note.empty()) m += " (" + html_escape(a.safe_copy->note) + ")";
            } else {
                any_without_copy = true;
                m += "<span class=\"unsafe\">" + t(L, "att.unsafe") + "</span>";
            }
            m += "</li>\n";
        }
        if (!msg.attachments.empty()) m += "</ul>\n";
        m += "</article>\n";
    }
    if (!c.notes.empty()) {
        m += "<section id=\"notes\">\n<h2>" + t(L, "notes.heading") + "</h2>\n";
        for (const StoredNote& n : c.notes) {
            m += "<article class=\"note\"><p class=\"meta\">" +
                 filled(L, "notes.by",
                        {{"fingerprint", n.author}, {"day", crypto::format_day(n.day)}}) +
                 "</p>\n<div class=\"body\" dir=\"auto\">" + shown_text(n.text) +
                 "</div></article>\n";
        }
        m += "</section>\n";
    }
    m += reply_form(r, c);
    m += triage_form(r, c);
    const std::string action = conversation_href(r, thread);
    if (any_without_copy) {
        m += "<section id=\"safe-copies\">\n<h2>" + t(L, "safe.heading") + "</h2>\n<p>" +
             t(L, "safe.intro") + "</p>\n<form method=\"post\" action=\"" + action +
             "/safe-copy\"><button type=\"submit\">" + t(L, "safe.make") +
             "</button></form>\n</section>\n";
    }
    m += "<section id=\"export\">\n<h2>" + t(L, "export.heading") + "</h2>\n<p>" +
         t(L, "export.intro") + "</p>\n<form method=\"post\" action=\"" + action +
         "/export\">\n<label for=\"export-folder\">" + t(L, "export.folder") +
         "</label>\n<input id=\"export-folder\" name=\"folder\" required maxlength=\"" +
         std::to_string(max_export_path) + "\">\n<button type=\"submit\">" + t(L, "export.button") +
         "</button>\n</form>\n</section>\n";
    if (s.status == "closed") {
        m += "<section id=\"delete\">\n<h2>" + t(L, "delete.heading") + "</h2>\n<p>" +
             t(L, "delete.intro") + "</p>\n<form method=\"post\" action=\"" + action +
             "/delete\">\n<p class=\"check\"><input id=\"delete-confirm\" name=\"confirm\" "
             "type=\"checkbox\" value=\"yes\" required> <label for=\"delete-confirm\">" +
             t(L, "delete.confirm") + "</label></p>\n<button type=\"submit\" class=\"danger\">" +
             t(L, "delete.button") + "</button>\n</form>\n</section>\n";
    }
    // Reading the page is seeing its messages; a new conversation becomes read.
    if (mark_seen(store_, c)) store_.save();
    return page(r, filled(L, "conv.heading", {{"id", s.short_id()}}), m, "c/" + thread);
}

InboxResponse Pages::safe_copy_file(const Route& r, const std::string& thread,
                                    const std::string& file) {
    const Conversation c = load_conversation(store_, thread);
    for (const StoredMessage& msg : c.messages) {
        for (const StoredAttachment& a : msg.attachments) {
            if (!a.safe_copy || crypto::to_hex(a.safe_copy->file) != file) continue;
            crypto::VectorSink bytes;
            store_.read_attachment(a.safe_copy->file, bytes);
            InboxResponse res;
            res.content_type = a.safe_copy->media_type;
            res.body.assign(bytes.bytes().begin(), bytes.bytes().end());
            sodium_memzero(bytes.bytes().data(), bytes.bytes().size());
            res.page = false;
            return res;
        }
    }
    // Only safe copies are served: an original is opened only after an export, elsewhere.
    return error(r, 404, "error.not_found");
}

InboxResponse Pages::post(const Route& r, const std::string& thread, const std::string& action) {
    const std::string L = r.lang;
    const std::string back = conversation_href(r, thread);
    const auto done = [&](std::string_view heading_key, const std::string& text) {
        return page(r, t(L, heading_key),
                    "<h1>" + t(L, heading_key) + "</h1>\n<p class=\"notice\" id=\"result\">" +
                        text + "</p>\n<p><a href=\"" + back + "\">" +
                        filled(L, "conv.heading", {{"id", thread.substr(0, short_id_size)}}) +
                        "</a> · <a href=\"" + href(r, "") + "\">" + t(L, "nav.all") + "</a></p>\n");
    };
    if (action == "triage") {
        const std::string status = r.field(r.form, "status");
        const std::string assignee = r.field(r.form, "assignee");
        const std::string add = r.field(r.form, "add_tag");
        const Conversation before = load_conversation(store_, thread);
        if (!status.empty() && status != before.summary.status) set_status(store_, thread, status);
        if (!assignee.empty()) {
            std::string fp;
            if (assignee != "nobody") {
                const auto parsed = crypto::parse_fingerprint(assignee);
                if (!parsed) return error(r, 400, "error.bad_request");
                fp = *parsed;
            }
            if (fp != before.summary.assignee) set_assignee(store_, thread, fp);
        }
        if (!add.empty()) set_tag(store_, thread, add, true);
        for (auto [it, end] = r.form.equal_range("remove_tag"); it != end; ++it)
            set_tag(store_, thread, it->second, false);
        store_.save();
        return see_other(back);
    }
    if (action == "note") {
        std::string text = r.field(r.form, "text");
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        add_note(store_, thread, text);
        store_.save();
        return see_other(back + "#notes");
    }
    if (action == "reply") {
        const Conversation c = load_conversation(store_, thread);
        if (!c.reply_key) return error(r, 400, "conv.reply_impossible");
        const std::string message = r.field(r.form, "message");
        if (message.empty()) return error(r, 400, "error.bad_request");
        std::string language = r.field(r.form, "language");
        if (std::find(std::begin(reply_languages), std::end(reply_languages), language) ==
            std::end(reply_languages))
            return error(r, 400, "error.bad_request");
        std::vector<crypto::BoxPublicKey> cc;
        for (auto [it, end] = r.form.equal_range("cc"); it != end; ++it) {
            const std::string& wanted = it->second;
            const auto member = std::find_if(options_.team.begin(), options_.team.end(),
                                             [&](const crypto::PublicIdentity& id) {
                                                 return crypto::fingerprint(id) == wanted;
                                             });
            if (member == options_.team.end()) return error(r, 400, "error.bad_request");
            cc.push_back(member->box);
        }
        // A name that says which conversation, and no time.
        const fs::path path = write_outbox_file(
            options_.outbox, "reply-" + thread.substr(0, short_id_size), "reply",
            seal_reply_file(*c.reply_key, store_.identity(), message, language, cc));
        if (c.summary.status != "answered") set_status(store_, thread, "answered");
        store_.save();
        return done("reply.sealed_heading", filled(L, "reply.sealed", {{"file", path.string()}}));
    }
    if (action == "safe-copy") {
        const std::vector<SafeCopyOutcome> outcomes =
            make_safe_copies(store_, load_conversation(store_, thread));
        std::string list = "<ul class=\"outcomes\">\n";
        for (const SafeCopyOutcome& o : outcomes) {
            const std::string_view key = o.kind == SafeCopyOutcome::made      ? "safe.made"
                                         : o.kind == SafeCopyOutcome::had_one ? "safe.had_one"
                                         : o.kind == SafeCopyOutcome::unsupported
                                             ? "safe.unsupported"
                                             : "safe.failed";
            list += "<li>" + filled(L, key, {{"name", shown(o.name)}}, true) +
                    (o.detail.empty()
                         ? ""
                         : " <span class=\"detail\">" + html_escape(o.detail) + "</span>") +
                    "</li>\n";
        }
        list += "</ul>\n";
        InboxResponse res =
            page(r, t(L, "safe.done_heading"),
                 "<h1>" + t(L, "safe.done_heading") + "</h1>\n" + list + "<p><a href=\"" + back +
                     "\">" + filled(L, "conv.heading", {{"id", thread.substr(0, short_id_size)}}) +
                     "</a></p>\n");
        return res;
    }
    if (action == "export") {
        const std::string folder = r.field(r.form, "folder");
        if (folder.empty() || folder.size() > max_export_path ||
            folder.find('\0') != std::string::npos)
            return error(r, 400, "error.bad_request");
        const fs::path out(folder);
        // Plaintext inside the store's folder would be removed as a stray, or worse, kept.
        const fs::path inside = fs::weakly_canonical(fs::absolute(out));
        const fs::path store_dir = fs::weakly_canonical(store_.folder());
        if (std::mismatch(store_dir.begin(), store_dir.end(), inside.begin(), inside.end()).first ==
            store_dir.end())
            return error(r, 400, "error.failed",
                         "the export cannot go inside the case store's folder");
        const std::size_t files =
            export_conversation(store_, load_conversation(store_, thread), out);
        return done("export.done_heading", filled(L, "export.done",
                                                  {{"count", std::to_string(files)},
                                                   {"folder", fs::absolute(out).string()}}));
    }
    if (action == "delete") {
        if (r.field(r.form, "confirm") != "yes") return error(r, 400, "error.bad_request");
        const std::vector<crypto::StoreFileId> files = delete_conversation(store_, thread);
        store_.save();
        store_.remove_attachments(files);
        return done("delete.done_heading", t(L, "delete.done"));
    }
    return error(r, 404, "error.not_found");
}

InboxResponse Pages::answer(const InboxRequest& request, Route& r) {
    const bool get = request.method == "GET" || request.method == "HEAD";
    const auto& seg = r.segments;
    if (seg.empty() || (seg.size() == 1 && seg[0].empty())) {
        if (!get) return not_allowed("GET, HEAD");
        return list(r);
    }
    if (seg.size() == 1 && seg[0] == "share") {
        if (request.method != "POST") return not_allowed("POST");
        try {
            return share(r);
        } catch (const tooling::ToolError& e) {
            return error(r, e.exit_code() == tooling::exit_usage_or_io ? 400 : 500, "error.failed",
                         e.what());
        }
    }
    if (seg[0] != "c" || seg.size() < 2) return error(r, 404, "error.not_found");
    std::string thread;
    try {
        thread = find_thread(store_, seg[1]);
    } catch (const tooling::ToolError&) {
        return error(r, 404, "error.not_found");
    }
    if (seg.size() == 2) {
        if (!get) return not_allowed("GET, HEAD");
        return conversation(r, thread);
    }
    if (seg.size() == 4 && seg[2] == "safe") {
        if (!get) return not_allowed("GET, HEAD");
        return safe_copy_file(r, thread, seg[3]);
    }
    if (seg.size() == 3) {
        if (request.method != "POST") return not_allowed("POST");
        try {
            return post(r, thread, seg[2]);
        } catch (const tooling::ToolError& e) {
            const unsigned status = e.exit_code() == tooling::exit_usage_or_io ? 400 : 500;
            return error(r, status, "error.failed", e.what());
        }
    }
    return error(r, 404, "error.not_found");
}

}  // namespace

Inbox::Inbox(CaseStore& store, InboxOptions options, unsigned short port, std::string token)
    : store_(store), options_(std::move(options)), port_(port), token_(std::move(token)) {}

std::string Inbox::url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + token_ + "/";
}

InboxResponse Inbox::handle(const InboxRequest& request) {
    Route route;
    route.lang = inbox_catalogs().negotiate(request.accept_language);
    Pages pages(store_, options_, "/" + token_ + "/");
    const auto refuse = [&](unsigned status, std::string_view key) {
        InboxResponse res;
        res.status = status;
        res.content_type = "text/plain; charset=utf-8";
        res.body = std::string(inbox_catalogs().translate(route.lang, key)) + "\n";
        return res;
    };
    // Another name for this address (DNS rebinding) reaches no page.
    if (request.host != "127.0.0.1:" + std::to_string(port_)) return refuse(421, "error.forbidden");
    const auto parsed = boost::urls::parse_origin_form(request.target);
    if (!parsed) return refuse(404, "error.not_found");
    const std::string path = parsed->path();
    // The token first, compared in constant time; without it, nothing says what is here.
    const std::string prefix = "/" + token_ + "/";
    if (path.size() < prefix.size() ||
        sodium_memcmp(path.data(), prefix.data(), prefix.size()) != 0)
        return refuse(404, "error.not_found");
    std::string rest = path.substr(prefix.size());
    if (rest == "static/inbox.css") {
        if (request.method != "GET" && request.method != "HEAD") return not_allowed("GET, HEAD");
        for (const tooling::EmbeddedFile& f : inbox_assets()) {
            if (f.path == "static/inbox.css") {
                InboxResponse res;
                res.content_type = "text/css; charset=utf-8";
                res.body = std::string(f.bytes);
                res.page = false;
                return res;
            }
        }
    }
    // LANG/..., or the list in the browser's language.
    std::vector<std::string> segments;
    for (std::size_t at = 0; at <= rest.size();) {
        const std::size_t slash = rest.find('/', at);
        segments.push_back(
            rest.substr(at, slash == std::string::npos ? std::string::npos : slash - at));
        if (slash == std::string::npos) break;
        at = slash + 1;
    }
    if (!segments.empty() && inbox_catalogs().has(segments[0])) {
        route.lang = segments[0];
        segments.erase(segments.begin());
    } else if (!(segments.size() == 1 && segments[0].empty())) {
        return refuse(404, "error.not_found");
    }
    route.segments = std::move(segments);
    if (!read_params(parsed->encoded_query(), route.query)) return refuse(400, "error.bad_request");
    if (request.method == "POST") {
        // A form from another site (or page) is refused even with the token: the browser says
        // where a post came from.
        const std::string origin = "http://127.0.0.1:" + std::to_string(port_);
        if ((!request.origin.empty() && request.origin != origin) ||
            (!request.fetch_site.empty() && request.fetch_site != "same-origin"))
            return refuse(403, "error.forbidden");
        if (request.content_type.substr(0, request.content_type.find(';')) !=
                "application/x-www-form-urlencoded" ||
            !read_params(request.body, route.form))
            return refuse(400, "error.bad_request");
    }
    return pages.answer(request, route);
}

std::span<const std::string_view> inbox_page_keys() { return used_keys; }

const tooling::Catalogs& inbox_catalogs() {
    static const tooling::Catalogs loaded(inbox_assets());
    return loaded;
}

}  // namespace tipline::responder
