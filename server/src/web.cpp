// Server-rendered pages of the web form. Every text comes from a catalog in web/i18n/ and is
// HTML-escaped; the pages carry no inline script or style, so a strict CSP can forbid both.
#include "tipline/server/web.hpp"

#include <algorithm>
#include <boost/beast/http/rfc7230.hpp>
#include <map>
#include <mutex>

#include "tipline/crypto/bundle.hpp"
#include "tipline/server/responses.hpp"
#include "tipline/server/web_assets.hpp"
#include "tipline/tooling/catalogs.hpp"

namespace tipline::server {
namespace {

constexpr std::string_view english = "en";
constexpr std::string_view static_prefix = "/static/";
constexpr std::string_view gzip_suffix = ".gz";

const tooling::Catalogs& catalogs() {
    static const tooling::Catalogs loaded(web_assets());
    return loaded;
}

// Every key the pages below use; the tests check each catalog has them all.
constexpr std::string_view used_keys[] = {
    "language.name",
    "site.title",
    "nav.languages",
    "nav.home",
    "nav.submit",
    "nav.check",
    "home.heading",
    "home.intro",
    "home.who",
    "home.safety.heading",
    "home.safety.tor",
    "home.safety.device",
    "home.safety.name",
    "home.safety.photos",
    "home.safety.after",
    "home.bridges.heading",
    "home.bridges.text",
    "home.send",
    "home.check",
    "mode.nojs",
    "mode.js",
    "mode.js_failed",
    "mode.list_failed",
    "submit.organisation",
    "check.unverified",
    "submit.heading",
    "submit.message",
    "submit.message_hint",
    "submit.files",
    "submit.files_hint",
    "submit.language",
    "submit.language_other",
    "submit.button",
    "submit.sending",
    "error.unclean_photo_js",
    "progress.receipt",
    "progress.opening",
    "progress.work",
    "progress.encrypting",
    "progress.sending",
    "error.interrupted",
    "submit.continue",
    "receipt.heading",
    "receipt.intro",
    "receipt.why",
    "receipt.warning",
    "receipt.label",
    "receipt.check",
    "check.heading",
    "check.intro",
    "check.receipt",
    "check.button",
    "error.heading",
    "error.too_large",
    "error.too_large_page",
    "error.bad_form",
    "error.busy",
    "error.storage",
    "error.empty",
    "error.back",
    "footer",
    "check.mode_nojs",
    "check.mode_js",
    "check.replies_heading",
    "check.none",
    "check.reply_day",
    "check.unreadable",
    "check.error_heading",
    "check.not_found",
    "check.bad_receipt",
    "check.throttled",
    "followup.heading",
    "followup.message",
    "followup.sent_heading",
    "followup.sent",
    "receipt.again",
    "error.message_too_long",
    "cleaned.intro",
    "cleaned.place",
    "error.unclean_photo",
};

std::string escape(std::string_view text) { return tooling::html_escape(text); }

// A page under construction in one language.
class Page {
  public:
    Page(std::string_view lang, std::string_view page_path) : lang_(lang), path_(page_path) {}

    std::string t(std::string_view key) const { return escape(translate(lang_, key)); }
    std::string href(std::string_view page) const { return "/" + lang_ + "/" + std::string(page); }

    std::string render(std::string_view title_key, const std::string& main,
                       bool script = false) const {
        std::string html;
        html.reserve(4096 + main.size());
        html += "<!DOCTYPE html>\n<html lang=\"" + escape(lang_) +
                "\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<meta name=\"referrer\" content=\"no-referrer\">\n<title>" +
                t(title_key) + " · " + t("site.title") +
                "</title>\n<link rel=\"stylesheet\" href=\"/static/style.css\">\n";
        // The page's module; it loads libsodium itself, in the background.
        if (script) html += "<script type=\"module\" src=\"/static/tipline.js\"></script>\n";
        html += "</head>\n<body>\n<header>\n<a class=\"site\" href=\"" + href("") + "\">" +
                t("site.title") + "</a>\n<nav aria-label=\"" + t("nav.languages") + "\"><ul>";
        for (const std::string& other : web_languages()) {
            html += "<li><a href=\"/" + escape(other) + "/" + path_ + "\" lang=\"" + escape(other) +
                    "\" hreflang=\"" + escape(other) + "\"" +
                    (other == lang_ ? " aria-current=\"page\"" : "") + ">" +
                    escape(translate(other, "language.name")) + "</a></li>";
        }
        html += "</ul></nav>\n</header>\n<main>\n" + main + "</main>\n<footer>\n<p>" + t("footer") +
                "</p>\n</footer>\n</body>\n</html>\n";
        return html;
    }

    const std::string& lang() const { return lang_; }

  private:
    std::string lang_;
    std::string path_;
};

std::string paragraph(const Page& p, std::string_view key, std::string_view cls = {}) {
    return "<p" + (cls.empty() ? std::string() : " class=\"" + std::string(cls) + "\"") + ">" +
           p.t(key) + "</p>\n";
}

std::string home_main(const Page& p) {
    std::string m = "<h1>" + p.t("home.heading") + "</h1>\n" + paragraph(p, "home.intro") +
                    paragraph(p, "home.who");
    m += "<p class=\"actions\"><a class=\"button\" href=\"" + p.href("submit") + "\">" +
         p.t("home.send") + "</a> <a class=\"button secondary\" href=\"" + p.href("check") + "\">" +
         p.t("home.check") + "</a></p>\n";
    m += "<h2>" + p.t("home.safety.heading") + "</h2>\n<ul>\n";
    for (const auto key : {"home.safety.tor", "home.safety.device", "home.safety.name",
                           "home.safety.photos", "home.safety.after"}) {
        m += "<li>" + p.t(key) + "</li>\n";
    }
    m +=
        "</ul>\n<h2>" + p.t("home.bridges.heading") + "</h2>\n" + paragraph(p, "home.bridges.text");
    return m;
}

// Which mode the page is in: the script, when it runs, hides the first notice and shows the
// second; without it the first stays. The third is for a failure of the script.
std::string mode_notices(const Page& p, std::string_view server_key, std::string_view browser_key) {
    return "<p class=\"notice warning\" id=\"mode-server\">" + p.t(server_key) + "</p>\n" +
           "<p class=\"notice\" id=\"mode-browser\" hidden>" + p.t(browser_key) + "</p>\n" +
           "<p class=\"notice warning\" id=\"mode-failed\" role=\"alert\" hidden>" +
           p.t("mode.js_failed") + "</p>\n" +
           "<p class=\"notice warning\" id=\"mode-list-failed\" role=\"alert\" hidden>" +
           p.t("mode.list_failed") + "</p>\n";
}

// The organisation's fingerprint, for the witness to compare with one published elsewhere; the
// script checks the signed list against it before it seals anything. Nothing without a list.
std::string organisation_notice(const Page& p, const ServerInfo& info) {
    const auto current = info.recipients->current();
    if (!current->list) return {};
    std::string text = p.t("submit.organisation");
    const std::string slot = "{fingerprint}";
    const std::string fingerprint =
        "<strong class=\"fingerprint\" data-organisation>" +
        escape(crypto::organisation_fingerprint(current->list->organisation)) + "</strong>";
    if (const auto at = text.find(slot); at != std::string::npos)
        text.replace(at, slot.size(), fingerprint);
    return "<p class=\"notice\" id=\"organisation\">" + text + "</p>\n";
}

// Every form posts multipart/form-data in UTF-8 to a page of its own language.
std::string form_start(const Page& p, std::string_view id, std::string_view page) {
    return "<form id=\"" + std::string(id) + "\" method=\"post\" action=\"" + p.href(page) +
           "\" enctype=\"multipart/form-data\" accept-charset=\"utf-8\">\n";
}

// A catalog text with one {name} filled in (the value is escaped like the text).
std::string filled(const Page& p, std::string_view key, std::string_view name,
                   std::string_view value) {
    std::string text = p.t(key);
    const std::string slot = "{" + std::string(name) + "}";
    if (const auto at = text.find(slot); at != std::string::npos)
        text.replace(at, slot.size(), escape(value));
    return text;
}

// The limit differs by mode: the server seals at most web_form_bytes; the page sends up to
// envelope_bytes as an upload. The script shows the second hint in place of the first.
std::string files_field(const Page& p, const ServerInfo& info) {
    return "<label for=\"files\">" + p.t("submit.files") +
           "</label>\n<span class=\"hint\" id=\"files-hint\">" +
           filled(p, "submit.files_hint", "limit", human_size(info.limits.web_form_bytes)) +
           "</span>\n<span class=\"hint\" id=\"files-hint-js\" hidden>" +
           filled(p, "submit.files_hint", "limit", human_size(info.limits.envelope_bytes)) +
           "</span>\n<input id=\"files\" name=\"files\" type=\"file\" multiple "
           "aria-describedby=\"files-hint\">\n";
}

// What the script says while the witness waits, step by step. The script fills in [percent] and
// [size] as the tip goes; every {slot} of the catalogs is filled here, as on every page.
std::string progress_texts(const Page& p) {
    std::string sending = filled(p, "progress.sending", "percent", "[percent]");
    const std::string slot = "{size}";
    if (const auto at = sending.find(slot); at != std::string::npos)
        sending.replace(at, slot.size(), "[size]");
    std::string m = " data-progress-receipt=\"" + p.t("progress.receipt") + "\"";
    m += " data-progress-work=\"" + p.t("progress.work") + "\"";
    m += " data-progress-encrypting=\"" + p.t("progress.encrypting") + "\"";
    m += " data-progress-sending=\"" + sending + "\"";
    return m;
}

// The receipt page's content; the submit page carries it, empty, for its script to fill in.
// What was removed from the witness's files before sealing. With cleaned == nullptr, the hidden,
// empty notice the page's script fills in when it cleaned files itself; with nothing cleaned,
// nothing.
std::string cleaned_notice(const Page& p, const Cleaned* cleaned) {
    if (cleaned != nullptr && cleaned->names.empty()) return {};
    const bool place = cleaned != nullptr && cleaned->place;
    std::string m = std::string("<div class=\"notice\" data-cleaned") +
                    (cleaned == nullptr ? " hidden" : "") + ">\n" + paragraph(p, "cleaned.intro") +
                    "<ul data-cleaned-names>\n";
    if (cleaned != nullptr) {
        for (const std::string& name : cleaned->names) m += "<li>" + escape(name) + "</li>\n";
    }
    m += "</ul>\n<p data-cleaned-place" + std::string(place ? "" : " hidden") + ">" +
         p.t("cleaned.place") + "</p>\n</div>\n";
    return m;
}

std::string receipt_main(const Page& p, std::string_view receipt, bool again,
                         const Cleaned* cleaned) {
    std::string m = "<h1>" + p.t("receipt.heading") + "</h1>\n";
    if (again) m += paragraph(p, "receipt.again", "notice");
    m += cleaned_notice(p, cleaned);
    m += paragraph(p, "receipt.intro");
    m += "<p class=\"receipt-label\">" + p.t("receipt.label") +
         "</p>\n<p class=\"receipt\"><strong data-receipt>" + escape(receipt) + "</strong></p>\n";
    m += paragraph(p, "receipt.why") + paragraph(p, "receipt.warning", "notice warning");
    m += "<p class=\"actions\"><a class=\"button secondary\" href=\"" + p.href("check") + "\">" +
         p.t("receipt.check") + "</a></p>\n";
    return m;
}

std::string submit_main(const Page& p, const ServerInfo& info) {
    std::string m = "<h1>" + p.t("submit.heading") + "</h1>\n";
    m += organisation_notice(p, info);
    m += mode_notices(p, "mode.nojs", "mode.js") + form_start(p, "tip-form", "submit");
    // The receipt this form will get, sealed: sending the form twice stores the tip once.
    m +=
        "<input type=\"hidden\" name=\"form_token\" value=\"" + info.form_tokens->issue() + "\">\n";
    m += "<label for=\"message\">" + p.t("submit.message") +
         "</label>\n<span class=\"hint\" id=\"message-hint\">" + p.t("submit.message_hint") +
         "</span>\n<textarea id=\"message\" name=\"message\" aria-describedby=\"message-hint\" "
         "rows=\"10\" "
         "maxlength=\"349525\"></textarea>\n";
    m += files_field(p, info);
    m += "<label for=\"language\">" + p.t("submit.language") +
         "</label>\n<select id=\"language\" name=\"language\">\n";
    for (const std::string& other : web_languages()) {
        m += "<option value=\"" + escape(other) + "\"" + (other == p.lang() ? " selected" : "") +
             " lang=\"" + escape(other) + "\">" + escape(translate(other, "language.name")) +
             "</option>\n";
    }
    m += "<option value=\"und\">" + p.t("submit.language_other") + "</option>\n</select>\n";
    m += "<p class=\"actions\"><button type=\"submit\" data-continue=\"" + p.t("submit.continue") +
         "\">" + p.t("submit.button") + "</button></p>\n";
    m += "<p id=\"sending\" role=\"status\" hidden" + progress_texts(p) + ">" +
         p.t("submit.sending") + "</p>\n";
    m += "<p class=\"notice warning\" id=\"empty\" role=\"alert\" hidden>" + p.t("error.empty") +
         "</p>\n";
    m += "<p class=\"notice warning\" id=\"interrupted\" role=\"alert\" hidden>" +
         p.t("error.interrupted") + "</p>\n";
    m += "<p class=\"notice warning\" id=\"unclean\" role=\"alert\" hidden>" +
         p.t("error.unclean_photo_js") + "</p>\n</form>\n";
    // What the script shows once the tip is stored: the receipt page, the receipt filled in.
    m += "<template id=\"receipt-view\">\n" + receipt_main(p, "", false, nullptr) + "</template>\n";
    return m;
}

// One reply, as text: escaped, never rendered as HTML. Without a reply, the empty shape the script
// fills in: the day goes into <time>, the text into the message paragraph.
std::string reply_item(const Page& p, const crypto::OpenedMessage* r) {
    const std::string label = p.t("check.reply_day");
    const std::string slot = "{day}";
    const auto at = label.find(slot);
    const std::string day = r ? escape(crypto::format_day(r->day)) : std::string();
    const std::string heading =
        at == std::string::npos
            ? label
            : label.substr(0, at) + "<time>" + day + "</time>" + label.substr(at + slot.size());
    return "<article class=\"reply\">\n<h2>" + heading + "</h2>\n<p class=\"message\">" +
           (r ? escape(r->header.message) : std::string()) + "</p>\n</article>\n";
}

// The replies, then the form to send more. Served by the server it carries the receipt in a hidden
// field and posts to /LANG/follow-up; as the script's template (for_script) it has neither.
std::string replies_main(const Page& p, std::string_view receipt, crypto::ReceiptKdf kdf,
                         std::span<const crypto::OpenedMessage> replies, const ReplyCounts& counts,
                         const ServerInfo& info, bool for_script) {
    std::string m = "<h1>" + p.t("check.replies_heading") + "</h1>\n";
    if (replies.empty()) m += "<p class=\"notice\" data-none>" + p.t("check.none") + "</p>\n";
    m += "<div data-replies>\n";
    for (const crypto::OpenedMessage& r : replies) m += reply_item(p, &r);
    m += "</div>\n";
    if (counts.unverified > 0 || for_script) {
        m += "<p class=\"notice warning\" data-unverified" +
             std::string(for_script ? " hidden" : "") + ">" + p.t("check.unverified") + "</p>\n";
    }
    if (counts.unreadable > 0 || for_script) {
        m += "<p class=\"notice warning\" data-unreadable" +
             std::string(for_script ? " hidden" : "") + ">" + p.t("check.unreadable") + "</p>\n";
    }
    m += "<h2>" + p.t("followup.heading") + "</h2>\n";
    m += form_start(p, "follow-up-form", "follow-up");
    if (!for_script) {
        // The version the check found, so that the follow-up carries that version's reply key.
        m += "<input type=\"hidden\" name=\"receipt\" value=\"" + escape(receipt) +
             "\">\n<input type=\"hidden\" name=\"receipt_version\" value=\"" +
             std::to_string(static_cast<int>(kdf)) + "\">\n";
    }
    m += "<label for=\"message\">" + p.t("followup.message") +
         "</label>\n<textarea id=\"message\" name=\"message\" rows=\"8\" "
         "maxlength=\"349525\"></textarea>\n";
    m += files_field(p, info);
    m += "<p class=\"actions\"><button type=\"submit\">" + p.t("submit.button") + "</button></p>\n";
    if (for_script) {
        m += "<p id=\"follow-up-sending\" role=\"status\" hidden" + progress_texts(p) + ">" +
             p.t("submit.sending") + "</p>\n";
        m += "<p class=\"notice warning\" data-error=\"error.too_large\" role=\"alert\" hidden>" +
             p.t("error.too_large") + "</p>\n";
        m += "<p class=\"notice warning\" data-error=\"error.empty\" role=\"alert\" hidden>" +
             p.t("error.empty") + "</p>\n";
        m += "<p class=\"notice warning\" data-error=\"mode.js_failed\" role=\"alert\" hidden>" +
             p.t("mode.js_failed") + "</p>\n";
        m += "<p class=\"notice warning\" data-error=\"error.unclean_photo_js\" role=\"alert\" "
             "hidden>" +
             p.t("error.unclean_photo_js") + "</p>\n";
    }
    m += "</form>\n";
    return m;
}

std::string follow_up_sent_main(const Page& p, const Cleaned* cleaned) {
    std::string m = "<h1>" + p.t("followup.sent_heading") + "</h1>\n" +
                    paragraph(p, "followup.sent") + cleaned_notice(p, cleaned);
    m += "<p class=\"actions\"><a class=\"button secondary\" href=\"" + p.href("check") + "\">" +
         p.t("receipt.check") + "</a></p>\n";
    return m;
}

std::string check_main(const Page& p, const ServerInfo& info) {
    std::string m = "<h1>" + p.t("check.heading") + "</h1>\n" + paragraph(p, "check.intro");
    m += organisation_notice(p, info);
    m += mode_notices(p, "check.mode_nojs", "check.mode_js") + form_start(p, "check-form", "check");
    m += "<label for=\"receipt\">" + p.t("check.receipt") +
         "</label>\n<input id=\"receipt\" name=\"receipt\" inputmode=\"numeric\" "
         "autocomplete=\"off\" "
         "autocapitalize=\"off\" spellcheck=\"false\" maxlength=\"80\" required>\n";
    m += "<p class=\"actions\"><button type=\"submit\">" + p.t("check.button") + "</button></p>\n";
    // The refusals the script shows when it reads the mailbox itself.
    for (const auto key : {"check.bad_receipt", "check.not_found", "check.throttled"}) {
        m += "<p class=\"notice warning\" data-error=\"" + std::string(key) +
             "\" role=\"alert\" hidden>" + p.t(key) + "</p>\n";
    }
    m += "<p id=\"sending\" role=\"status\" hidden data-progress-receipt=\"" +
         p.t("progress.opening") + "\">" + p.t("submit.sending") + "</p>\n</form>\n";
    // What the script shows with JavaScript on: the replies page and the follow-up confirmation,
    // as the server renders them, to be filled in on the device.
    m += "<template id=\"replies-view\">\n" +
         replies_main(p, "", crypto::current_receipt_kdf, {}, {}, info, true) + "</template>\n";
    m += "<template id=\"reply-item\">\n" + reply_item(p, nullptr) + "</template>\n";
    m += "<template id=\"follow-up-sent\">\n" + follow_up_sent_main(p, nullptr) + "</template>\n";
    return m;
}

// The page's worker script, the one asset served with a policy that lets it load scripts.
constexpr std::string_view worker_asset = "static/tipline-worker.js";

std::string_view asset_type(std::string_view path) {
    if (path.ends_with(".css")) return "text/css; charset=utf-8";
    if (path.ends_with(".js") || path.ends_with(".mjs")) return "text/javascript; charset=utf-8";
    if (path.ends_with(".wasm")) return "application/wasm";
    return "application/octet-stream";
}

}  // namespace

std::span<const std::string> web_languages() { return catalogs().languages(); }

namespace {

std::map<std::string, std::string>& site_names() {
    static std::map<std::string, std::string> names;
    return names;
}

}  // namespace

void set_site_names(std::map<std::string, std::string> by_language) {
    site_names() = std::move(by_language);
}

std::string negotiate_language(std::string_view accept_language) {
    return catalogs().negotiate(accept_language);
}

namespace {

std::string_view site_name_for(std::string_view lang) {
    const auto& names = site_names();
    for (const std::string_view from : {lang, std::string_view()}) {
        const auto it = names.find(std::string(from));
        if (it != names.end() && !it->second.empty()) return it->second;
    }
    return {};
}

}  // namespace

std::string_view translate(std::string_view lang, std::string_view key) {
    if (key == "site.title") {
        if (const std::string_view name = site_name_for(lang); !name.empty()) return name;
    }
    return catalogs().translate(lang, key);
}

std::vector<std::string> catalog_problems() { return catalogs().problems(used_keys); }

std::span<const std::string_view> page_keys() { return used_keys; }

std::optional<WebTarget> web_target(std::string_view target) {
    if (target == "/") return WebTarget{WebTarget::home, std::string(english), {}, true};
    if (target.starts_with(static_prefix)) {
        const std::string_view name = target.substr(1);  // "static/..."
        if (name.ends_with(gzip_suffix))
            return std::nullopt;  // served only in place of the plain file
        for (const WebAsset& a : web_assets()) {
            if (a.path == name) return WebTarget{WebTarget::file, {}, a.path};
        }
        return std::nullopt;
    }
    for (const std::string& lang : web_languages()) {
        const std::string prefix = "/" + lang + "/";
        if (!target.starts_with(prefix)) continue;
        const std::string_view page = target.substr(prefix.size());
        if (page.empty()) return WebTarget{WebTarget::home, lang, {}};
        if (page == "submit") return WebTarget{WebTarget::submit, lang, {}};
        if (page == "check") return WebTarget{WebTarget::check, lang, {}};
        if (page == "follow-up") return WebTarget{WebTarget::follow_up, lang, {}};
    }
    return std::nullopt;
}

Response web_response(const RequestHeader& header, const WebTarget& target,
                      const ServerInfo& info) {
    const unsigned v = header.version();
    const bool keep = wants_keep_alive(header);
    const bool head = header.method() == http::verb::head;
    if (header.method() != http::verb::get && !head) return method_not_allowed("GET, HEAD", v);
    Response res;
    if (target.kind == WebTarget::file) {
        res = Response{http::status::ok, v};
        res.set(http::field::content_type, asset_type(target.asset));
        secure_headers(res,
                       target.asset == worker_asset ? ContentKind::worker : ContentKind::other);
        // A compressed copy, where the build made one and the browser takes gzip.
        const std::string compressed = std::string(target.asset) + std::string(gzip_suffix);
        http::ext_list accepted(header[http::field::accept_encoding]);
        const WebAsset* gz = nullptr;
        for (const WebAsset& a : web_assets()) {
            if (a.path == target.asset) res.body() = a.bytes;
            if (a.path == compressed) gz = &a;
        }
        if (gz != nullptr) {
            res.set(http::field::vary, "Accept-Encoding");
            if (accepted.exists("gzip")) {
                res.set(http::field::content_encoding, "gzip");
                res.body() = gz->bytes;
            }
        }
        res.keep_alive(keep);
        res.prepare_payload();
    } else {
        // The follow-up form lives on the replies page; a GET of its address shows the check form.
        const std::string_view path = target.kind == WebTarget::submit ? "submit"
                                      : target.kind == WebTarget::home ? ""
                                                                       : "check";
        const std::string lang =
            target.negotiated
                ? negotiate_language(std::string_view(header[http::field::accept_language]))
                : target.lang;
        const Page page(lang, path);
        std::string html;
        if (target.kind == WebTarget::home) html = page.render("nav.home", home_main(page));
        if (target.kind == WebTarget::submit)
            html = page.render("submit.heading", submit_main(page, info), true);
        if (target.kind == WebTarget::check || target.kind == WebTarget::follow_up) {
            html = page.render("check.heading", check_main(page, info), true);
        }
        res = html_response(http::status::ok, std::move(html), v, keep);
        if (target.negotiated) {
            res.set(http::field::content_language, lang);
            res.set(http::field::vary, "Accept-Language");
        }
    }
    if (head) {
        const auto length = res.body().size();
        res.body().clear();
        res.content_length(length);
    }
    return res;
}

std::string human_size(std::uint64_t bytes) {
    if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
        return std::to_string(bytes >> 30) + " GiB";
    if (bytes >= (1ull << 20)) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= (1ull << 10)) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " B";
}

Response receipt_page(std::string_view lang, std::string_view receipt, bool again, unsigned version,
                      bool keep_alive, const Cleaned& cleaned) {
    const Page p(lang, "");
    const std::string m = receipt_main(p, receipt, again, &cleaned);
    return html_response(http::status::ok, p.render("receipt.heading", m), version, keep_alive);
}

Response form_error_page(std::string_view lang, http::status status, std::string_view error_key,
                         unsigned version, WebTarget::Kind form) {
    const bool check = form != WebTarget::submit;
    const Page p(lang, check ? "check" : "submit");
    const std::string_view heading = check ? "check.error_heading" : "error.heading";
    std::string m = "<h1>" + p.t(heading) + "</h1>\n" + paragraph(p, error_key, "notice warning");
    m += "<p class=\"actions\"><a class=\"button\" href=\"" + p.href(check ? "check" : "submit") +
         "\">" + p.t("error.back") + "</a></p>\n";
    return html_response(status, p.render(heading, m), version, false);
}

Response replies_page(std::string_view lang, std::string_view receipt, crypto::ReceiptKdf kdf,
                      std::span<const crypto::OpenedMessage> replies, const ReplyCounts& counts,
                      const ServerInfo& info, unsigned version, bool keep_alive) {
    const Page p(lang, "check");
    return html_response(http::status::ok,
                         p.render("check.replies_heading",
                                  replies_main(p, receipt, kdf, replies, counts, info, false)),
                         version, keep_alive);
}

Response follow_up_sent_page(std::string_view lang, unsigned version, bool keep_alive,
                             const Cleaned& cleaned) {
    const Page p(lang, "check");
    return html_response(http::status::ok,
                         p.render("followup.sent_heading", follow_up_sent_main(p, &cleaned)),
                         version, keep_alive);
}

}  // namespace tipline::server
