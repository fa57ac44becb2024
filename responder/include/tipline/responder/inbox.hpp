// tipline-responder inbox: the case store's local web interface, served on 127.0.0.1 only, for the
// offline machine's browser. Every page is under a random per-run token; no script, nothing from
// elsewhere, and a strict Content-Security-Policy. Pages come in every language of
// responder/inbox/i18n/.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/responder/case_store.hpp"
#include "tipline/tooling/catalogs.hpp"

namespace tipline::responder {

struct InboxOptions {
    // Where sealed replies go, for 'tipline-responder push' on the online machine.
    std::filesystem::path outbox;
    // Colleagues a reply can be copied to (--cc), and who conversations can be assigned to.
    std::vector<crypto::PublicIdentity> team;
    unsigned short port = 0;  // 0: any free port
};

// A request as the pages see it; the HTTP server fills it.
struct InboxRequest {
    std::string method;  // GET, HEAD, POST, ...
    std::string target;  // path and query
    std::string host, origin, fetch_site, accept_language, content_type;
    std::string body;
};

struct InboxResponse {
    unsigned status = 200;
    std::string content_type = "text/html; charset=utf-8";
    std::string body;
    std::string location;  // for 303
    bool page = true;      // an HTML page of the inbox (its CSP), or a file (a sandboxing CSP)
    std::string allow;     // for 405
};

// The inbox's pages: each request checks Host, the token and, for a form, where it came from; the
// store must be held (CaseStore::acquire) while handle runs.
class Inbox {
  public:
    Inbox(CaseStore& store, InboxOptions options, unsigned short port, std::string token);
    InboxResponse handle(const InboxRequest& request);
    // http://127.0.0.1:PORT/TOKEN/
    std::string url() const;

  private:
    CaseStore& store_;
    InboxOptions options_;
    unsigned short port_;
    std::string token_;
};

// The inbox's language catalogs and style sheet.
std::span<const tooling::EmbeddedFile> inbox_assets();
const tooling::Catalogs& inbox_catalogs();
// Every catalog key the pages use; the tests check each catalog has them all.
std::span<const std::string_view> inbox_page_keys();

// Listens on 127.0.0.1 (options.port, or any free one), calls ready with the inbox's URL, and
// serves until SIGINT or SIGTERM. The store's lock is held only while a request is answered, so
// that the command line can import and triage while the inbox runs. ToolError when it cannot
// listen.
void run_inbox(CaseStore& store, InboxOptions options,
               const std::function<void(const std::string& url)>& ready);

}  // namespace tipline::responder
