// The web form for Tor Browser: server-rendered pages in every language of web/i18n/ and its
// files. The posts of the form without JavaScript are in web_form.hpp. No cookies, no inline
// script, nothing loaded from elsewhere.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/server/http_types.hpp"
#include "tipline/server/server_info.hpp"

namespace tipline::server {

// The languages with a catalog, English first, then by tag.
std::span<const std::string> web_languages();
// The text of key in lang; English where lang's catalog lacks it, and the key itself if neither has
// it.
std::string_view translate(std::string_view lang, std::string_view key);
// Every key some catalog lacks that English has, or has that English lacks, as "lang: key".
std::vector<std::string> catalog_problems();
// Every catalog key the pages use.
std::span<const std::string_view> page_keys();

struct WebTarget {
    enum Kind { home, submit, check, follow_up, file } kind = home;
    std::string lang;         // a tag from web_languages()
    std::string_view asset;   // for Kind::file, the path under web/
    bool negotiated = false;  // "/": the language comes from the browser's Accept-Language
};

// The language "/" answers in for a browser's Accept-Language: the one of web_languages() it
// prefers (any ko for Korean, any zh for Chinese, any en), English when it names none of them.
std::string negotiate_language(std::string_view accept_language);

// The site's name, as the operator sets it (site_name, site_name_ko, site_name_zh_hans in
// tiplined.conf), by language tag; "" for every language without its own. It stands for the
// catalogs' "site.title" on every page. Set once, before serving; none set: the catalogs' name.
void set_site_names(std::map<std::string, std::string> by_language);
// A page or static file of the web form ("/", "/ko/", "/ko/submit", "/ko/check", "/ko/follow-up",
// "/static/style.css"), or nullopt.
std::optional<WebTarget> web_target(std::string_view target);

// GET or HEAD of a page or a static file; other methods get 405 (POST is taken only by submit).
Response web_response(const RequestHeader& header, const WebTarget& target, const ServerInfo& info);

// "16 MiB": a size for people.
std::string human_size(std::uint64_t bytes);

// Files whose metadata was removed before sealing, for the page to tell the witness: their names,
// and whether any of them recorded a place.
struct Cleaned {
    std::vector<std::string> names;
    bool place = false;
};

// Pages of the submission without JavaScript.
// again: the same form was sent before, so this tip was stored then, not now.
Response receipt_page(std::string_view lang, std::string_view receipt, bool again, unsigned version,
                      bool keep_alive, const Cleaned& cleaned = {});
// A refusal, with a link back to the form it came from (submit, check or follow_up).
Response form_error_page(std::string_view lang, http::status status, std::string_view error_key,
                         unsigned version, WebTarget::Kind form = WebTarget::submit);
// Messages in a mailbox that are not shown: not signed by a current responder, or not openable.
struct ReplyCounts {
    std::size_t unverified = 0;
    std::size_t unreadable = 0;
};
// The replies a receipt (of version kdf) opened that a current responder signed, then a form to
// send more under the same receipt.
Response replies_page(std::string_view lang, std::string_view receipt, crypto::ReceiptKdf kdf,
                      std::span<const crypto::OpenedMessage> replies, const ReplyCounts& counts,
                      const ServerInfo& info, unsigned version, bool keep_alive);
Response follow_up_sent_page(std::string_view lang, unsigned version, bool keep_alive,
                             const Cleaned& cleaned = {});

}  // namespace tipline::server
