// tipline-responder inbox as a responder and as an attacker on the same machine use it: the real
// tool started on a real case store, its pages fetched and its forms posted over a socket, and what
// they did checked with the command line, the server and the witness's tool.
#include "tipline/responder/inbox.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "responder_team.hpp"
#include "server_process.hpp"
#include "support.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/tooling/key_io.hpp"

namespace fs = std::filesystem;
using namespace tipline::test;

namespace {

std::string text(std::string_view lang, std::string_view key) {
    return tipline::tooling::html_escape(tipline::responder::inbox_catalogs().translate(lang, key));
}

std::string fingerprint_of(const Responder& r) {
    return tipline::crypto::fingerprint(tipline::tooling::load_public_key(r.pub.string()));
}

// application/x-www-form-urlencoded, as a browser sends a form.
std::string form_encoded(const std::string& value) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

// The inbox, running until the test ends; its URL from the line it prints when ready.
class InboxProcess {
  public:
    InboxProcess(const Responder& r, const fs::path& store, const std::string& more = "") {
        int out[2];
        REQUIRE(::pipe(out) == 0);
        const std::string command =
            "exec " + responder_tool() + " inbox" + store_args(r, store) + " " + more;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            ::close(out[1]);
            ::execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
            ::_exit(127);
        }
        ::close(out[1]);
        std::string line;
        char c = 0;
        pollfd p{out[0], POLLIN, 0};
        while (::poll(&p, 1, 60000) > 0 && ::read(out[0], &c, 1) == 1 && c != '\n') line += c;
        // Kept open until the inbox stops: what it prints next must not meet a closed pipe.
        output_ = out[0];
        std::smatch m;
        if (!std::regex_match(
                line, m, std::regex("inbox on http://127\\.0\\.0\\.1:([0-9]+)/([0-9a-f]{32})/"))) {
            stop();
            FAIL("the inbox did not start: '" << line << "'");
        }
        port_ = static_cast<unsigned short>(std::stoi(m[1]));
        token_ = m[2];
    }
    ~InboxProcess() { stop(); }
    InboxProcess(const InboxProcess&) = delete;
    InboxProcess& operator=(const InboxProcess&) = delete;

    // Ctrl-C, and the exit status.
    int stop() {
        if (pid_ <= 0) return -1;
        ::kill(pid_, SIGINT);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        ::close(output_);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    unsigned short port() const { return port_; }
    const std::string& token() const { return token_; }
    std::string base() const { return "/" + token_ + "/"; }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

    std::string get(const std::string& path, const std::string& headers = "") const {
        return raw_http(port_, "GET " + path + " HTTP/1.1\r\nHost: " + host() + "\r\n" + headers +
                                   "Connection: close\r\n\r\n");
    }
    // A form of the inbox's own pages, as the browser posts it, unless headers say otherwise.
    std::string post(const std::string& path, const std::string& body,
                     const std::string& headers = "") const {
        const std::string origin = headers.find("Origin:") == std::string::npos
                                       ? "Origin: http://" + host() + "\r\n"
                                       : std::string();
        const std::string type = headers.find("Content-Type:") == std::string::npos
                                     ? "Content-Type: application/x-www-form-urlencoded\r\n"
                                     : std::string();
        return raw_http(port_, "POST " + path + " HTTP/1.1\r\nHost: " + host() + "\r\n" + origin +
                                   type + headers +
                                   "Content-Length: " + std::to_string(body.size()) +
                                   "\r\nConnection: close\r\n\r\n" + body);
    }

  private:
    pid_t pid_ = -1;
    int output_ = -1;
    unsigned short port_ = 0;
    std::string token_;
};

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

// The conversation of the list whose item contains part: its full id.
std::string thread_with(const std::string& page, const std::string& part) {
    const auto at = page.find(part);
    REQUIRE(at != std::string::npos);
    const auto item = page.rfind("data-thread=\"", at);
    REQUIRE(item != std::string::npos);
    const auto start = item + 13;
    return page.substr(start, page.find('"', start) - start);
}

}  // namespace

TEST_CASE("the inbox lists and shows conversations, and its forms triage, note and reply",
          "[inbox][case_store][server]") {
    Deployment d;
    const Responder colleague = add_responder(d, "colleague.key");
    ServerProcess server(d.data);
    const Responder me = first_responder(d);
    const fs::path store = d.dir / "store";

    const fs::path receipt = send_tip(
        server, d.dir / "a", "Women held at the checkpoint near Tumen <b>since</b> March.");
    send_tip(server, d.dir / "b", "두만강 건너 탈북 여성 세 명이 팔려 갔습니다.");
    send_tip(server, d.dir / "c", "她们在边境被卖到农村，邻居都知道。");
    REQUIRE(fetch(server, me, d.dir / "1.bundle").exit_code == 0);
    REQUIRE(responder_run("import " + q(d.dir / "1.bundle"), me, store).exit_code == 0);

    InboxProcess inbox(me, store, "--colleague " + q(colleague.pub));
    const std::string list = inbox.get(inbox.base());
    REQUIRE(status_of(list) == 200);
    CHECK(contains(header_of(list, "Content-Security-Policy"), "default-src 'none'"));
    CHECK(contains(header_of(list, "Content-Security-Policy"), "form-action 'self'"));
    CHECK(header_of(list, "Cache-Control") == "no-store");
    CHECK(header_of(list, "Referrer-Policy") == "same-origin");
    CHECK(count_of(list, "class=\"conversation ") == 3);
    CHECK(contains(list, "<html lang=\"en\">"));
    // What the witness wrote is text on the page, never markup.
    CHECK(contains(list, "checkpoint near Tumen &lt;b&gt;since&lt;/b&gt; March"));
    CHECK_FALSE(contains(list, "<b>since"));
    CHECK_FALSE(contains(list, "<script"));
    const std::string a = thread_with(list, "checkpoint");

    // The checks below take turns on this one inbox, each leaving the store as the next expects (a
    // section of its own would start everything again for each): the filters while every
    // conversation is new, the languages (whose page marks one read), reading and triage, a reply,
    // and a bundle imported while the inbox runs.
    {  // Filters and search, two-character Korean and Chinese words too.
        const auto shown = [&](const std::string& query) {
            const std::string page = inbox.get(inbox.base() + "en/?" + query);
            REQUIRE(status_of(page) == 200);
            return count_of(page, "class=\"conversation ");
        };
        CHECK(shown("q=" + form_encoded("탈북")) == 1);
        CHECK(shown("q=" + form_encoded("边境")) == 1);
        CHECK(shown("q=checkpoint") == 1);
        CHECK(shown("q=" + form_encoded("\"NEAR(a b)")) == 0);
        CHECK(shown("status=new") == 3);
        CHECK(shown("status=closed") == 0);
        CHECK(shown("assignee=nobody&unseen=1") == 3);
        CHECK(shown("assignee=me") == 0);
        CHECK(status_of(inbox.get(inbox.base() + "en/?status=bogus")) == 400);
    }

    {  // In Korean and Chinese, by link or by the browser's languages.
        const std::string ko = inbox.get(inbox.base() + "ko/");
        CHECK(status_of(ko) == 200);
        CHECK(contains(ko, "<html lang=\"ko\">"));
        CHECK(contains(ko, "<h1>" + text("ko", "list.heading") + "</h1>"));
        CHECK(contains(ko, text("ko", "status.new")));
        const std::string zh =
            inbox.get(inbox.base(), "Accept-Language: zh-CN,zh;q=0.9,en;q=0.5\r\n");
        CHECK(contains(zh, "<html lang=\"zh-Hans\">"));
        CHECK(contains(zh, text("zh-Hans", "list.search")));
        const std::string page = inbox.get(inbox.base() + "zh-Hans/c/" + a);
        CHECK(contains(page, text("zh-Hans", "reply.heading")));
        CHECK(contains(page, text("zh-Hans", "kind.tip")));
    }

    {  // Reading a conversation marks it read; triage and notes reach the store.
        const std::string page = inbox.get(inbox.base() + "en/c/" + a);
        REQUIRE(status_of(page) == 200);
        CHECK(contains(page, "checkpoint near Tumen"));
        CHECK(contains(page, fingerprint_of(colleague)));  // on the team: a choice of assignee
        // The command line runs while the inbox does, and sees what the page did.
        auto listed = responder_run("conversations", me, store, "--status read");
        REQUIRE(listed.exit_code == 0);
        CHECK(contains(listed.out, a.substr(0, 8)));

        const std::string posted =
            inbox.post(inbox.base() + "en/c/" + a + "/triage",
                       "status=needs_reply&assignee=" + form_encoded(fingerprint_of(colleague)) +
                           "&add_tag=urgent");
        CHECK(status_of(posted) == 303);
        CHECK(header_of(posted, "Location") == inbox.base() + "en/c/" + a);
        listed = responder_run("conversations", me, store, "--status needs_reply --tag urgent");
        CHECK(contains(listed.out, a.substr(0, 8)));
        CHECK(contains(listed.out, fingerprint_of(colleague)));

        CHECK(status_of(inbox.post(inbox.base() + "en/c/" + a + "/note",
                                   "text=" + form_encoded("Call the partner in Yanji & ask."))) ==
              303);
        CHECK(contains(responder_run("show " + a.substr(0, 8), me, store).out,
                       "Call the partner in Yanji & ask."));
        const std::string after = inbox.get(inbox.base() + "en/c/" + a);
        CHECK(contains(after, "Call the partner in Yanji &amp; ask."));
        CHECK(contains(after, "<span class=\"tag\">urgent</span>"));

        // A tag removed by its checkbox.
        CHECK(status_of(inbox.post(inbox.base() + "en/c/" + a + "/triage", "remove_tag=urgent")) ==
              303);
        CHECK_FALSE(contains(responder_run("conversations", me, store, "--tag urgent").out,
                             a.substr(0, 8)));
    }

    {  // A reply sealed in the inbox goes out with push and reaches the witness and the cc.
        const std::string reply = "We read your report. Are you safe? 안전하신가요?";
        const std::string sealed =
            inbox.post(inbox.base() + "ko/c/" + a + "/reply",
                       "message=" + form_encoded(reply) +
                           "&language=ko&cc=" + form_encoded(fingerprint_of(colleague)));
        INFO(body_of(sealed));
        REQUIRE(status_of(sealed) == 200);
        const fs::path outbox = store / "outbox";
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(outbox)) files.push_back(e.path());
        REQUIRE(files.size() == 1);
        CHECK(contains(sealed, files[0].filename().string()));
        CHECK_FALSE(contains(text_of(files[0]), "Are you safe"));
        CHECK(contains(responder_run("conversations", me, store, "--status answered").out,
                       a.substr(0, 8)));

        const auto pushed =
            run_command(responder_tool() + " push --server http://127.0.0.1:" +
                        std::to_string(server.responder_port()) + " --key " + q(me.key) +
                        " --passphrase-file " + q(me.pass) + " " + q(files[0]));
        INFO(pushed.err);
        REQUIRE(pushed.exit_code == 0);
        const auto checked = check(server, receipt);
        INFO(checked.err);
        CHECK(contains(checked.out, reply));

        // The colleague's own fetch brings the copy, threaded into the same conversation.
        const fs::path theirs = d.dir / "colleague-store";
        REQUIRE(fetch(server, colleague, d.dir / "c1.bundle").exit_code == 0);
        REQUIRE(responder_run("import " + q(d.dir / "c1.bundle"), colleague, theirs).exit_code ==
                0);
        const auto shown = responder_run("show " + a.substr(0, 8), colleague, theirs);
        INFO(shown.err);
        CHECK(contains(shown.out, reply));
        CHECK(contains(shown.out, "signed by responder " + fingerprint_of(me)));
    }

    {  // A bundle imported from the command line shows on the next page.
        send_tip(server, d.dir / "d", "A fourth report, from Hunchun.");
        REQUIRE(fetch(server, me, d.dir / "2.bundle").exit_code == 0);
        const auto imported = responder_run("import " + q(d.dir / "2.bundle"), me, store);
        REQUIRE(imported.exit_code == 0);
        const std::string again = inbox.get(inbox.base() + "en/");
        CHECK(count_of(again, "class=\"conversation ") == 4);
        CHECK(contains(again, "Hunchun"));
    }

    // Ctrl-C ends it cleanly, and leaves the store free.
    CHECK(inbox.stop() == 0);
    CHECK(responder_run("conversations", me, store).exit_code == 0);
}

TEST_CASE(
    "the inbox answers nothing without its token, to another host, or to forms from elsewhere",
    "[inbox][case_store][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const Responder me = first_responder(d);
    const fs::path store = d.dir / "store";
    send_tip(server, d.dir / "a", "Report about the house by the river.");
    REQUIRE(fetch(server, me, d.dir / "1.bundle").exit_code == 0);
    REQUIRE(responder_run("import " + q(d.dir / "1.bundle"), me, store).exit_code == 0);
    InboxProcess inbox(me, store);
    const std::string a = thread_with(inbox.get(inbox.base()), "house by the river");

    // Without the token: the same answer for every path, saying nothing of what is here.
    const std::string wrong(32, '0');
    for (const std::string& path :
         {std::string("/"), "/" + wrong + "/", "/" + inbox.token().substr(0, 31) + "/",
          "/" + inbox.token(), "/" + wrong + "/en/c/" + a, std::string("/en/"),
          std::string("/static/inbox.css"), inbox.base() + "static/../../etc/passwd",
          inbox.base() + "xx/"}) {
        const std::string answer = inbox.get(path);
        INFO(path);
        CHECK(status_of(answer) == 404);
        CHECK_FALSE(contains(answer, "river"));
        CHECK_FALSE(contains(answer, a.substr(0, 8)));
    }

    // Another name for 127.0.0.1, as a page on a rebound domain would use.
    for (const std::string& host : {std::string("localhost:") + std::to_string(inbox.port()),
                                    std::string("attacker.example"), std::string("127.0.0.1")}) {
        const std::string answer =
            raw_http(inbox.port(), "GET " + inbox.base() + " HTTP/1.1\r\nHost: " + host +
                                       "\r\nConnection: close\r\n\r\n");
        INFO(host);
        CHECK(status_of(answer) == 421);
        CHECK_FALSE(contains(answer, "river"));
    }

    // Forms posted from elsewhere, or not as the page sends them: refused, and nothing changes.
    const std::string triage = inbox.base() + "en/c/" + a + "/triage";
    const std::string change = "status=closed&add_tag=leaked";
    CHECK(status_of(inbox.post(triage, change, "Origin: http://attacker.example\r\n")) == 403);
    CHECK(status_of(inbox.post(triage, change, "Origin: null\r\n")) == 403);
    CHECK(status_of(inbox.post(triage, change, "Sec-Fetch-Site: cross-site\r\n")) == 403);
    CHECK(status_of(inbox.post(triage, change, "Content-Type: text/plain\r\n")) == 400);
    CHECK(status_of(inbox.post(triage, "status=closed&add_tag=%zz")) == 400);
    CHECK(status_of(inbox.post(triage, "status=bogus")) == 400);
    CHECK(status_of(inbox.post(inbox.base() + "en/c/" + a + "/delete", "confirm=yes")) == 400);
    CHECK(status_of(inbox.post(inbox.base() + "en/c/" + a + "/reply",
                               "message=hi&language=en&cc=" + std::string(64, 'a'))) == 400);
    CHECK(status_of(inbox.post(inbox.base() + "en/c/" + a, change)) == 405);
    CHECK(status_of(inbox.post(inbox.base() + "en/c/ffff/triage", change)) == 404);
    // A body over the limit is refused from its Content-Length, before it is sent.
    CHECK(status_of(raw_http(inbox.port(), "POST " + triage + " HTTP/1.1\r\nHost: " + inbox.host() +
                                               "\r\nContent-Type: application/x-www-form-urlencoded"
                                               "\r\nContent-Length: 2097152\r\n\r\n")) == 413);
    // Only safe copies are served, and only by their id.
    CHECK(status_of(inbox.get(inbox.base() + "en/c/" + a + "/safe/" + wrong)) == 404);

    const auto listed = responder_run("conversations", me, store);
    CHECK(contains(listed.out, a.substr(0, 8) + "\tnew\t"));
    CHECK_FALSE(contains(listed.out, "leaked"));
    CHECK_FALSE(fs::exists(store / "outbox"));

    // The inbox goes on serving after all of that.
    CHECK(status_of(inbox.get(inbox.base())) == 200);

    // Connections left open and silent, past the cap: closed as they come, and once they are gone
    // the inbox serves again.
    {
        std::vector<int> idle;
        for (int i = 0; i < 200; ++i) {
            const int fd = connect_to(inbox.port());
            if (fd >= 0) idle.push_back(fd);
        }
        CHECK(idle.size() == 200);
        for (const int fd : idle) ::close(fd);
        CHECK(eventually([&] { return status_of(inbox.get(inbox.base())) == 200; }));
    }

    // The store's database damaged under the running inbox: each page says so, and once the file
    // is whole again, the inbox serves it.
    const fs::path db = store / "store.tipline";
    const Bytes whole = read_file(db);
    write_file(db, std::string(whole.size() + 1, 'x'));
    const std::string damaged = inbox.get(inbox.base());
    CHECK(status_of(damaged) == 500);
    CHECK_FALSE(contains(damaged, "river"));
    write_file(db, whole);
    const std::string again = inbox.get(inbox.base());
    CHECK(status_of(again) == 200);
    CHECK(contains(again, "house by the river"));
}

TEST_CASE("the inbox makes safe copies, shows them, and exports a conversation for a partner",
          "[inbox][case_store][safe_copy][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const Responder me = first_responder(d);
    const fs::path store = d.dir / "store";
    const fs::path w = d.dir / "witness";
    fs::create_directories(w);
    const std::string marker = "MARKER-outside-the-pixels-7d21";
    REQUIRE(run_command("/usr/bin/gm convert -size 64x48 xc:green -comment " + marker + " " +
                        q(w / "photo.jpg"))
                .exit_code == 0);
    write_file(w / "message.txt", std::string("a photo from the market"));
    const auto sent =
        run_command(submit() + " send --server " + server.url() + " --message-file " +
                    q(w / "message.txt") + " --file " + q(w / "photo.jpg") + " --keep-metadata");
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
    REQUIRE(fetch(server, me, d.dir / "1.bundle").exit_code == 0);
    REQUIRE(responder_run("import " + q(d.dir / "1.bundle"), me, store).exit_code == 0);
    InboxProcess inbox(me, store);
    const std::string a = thread_with(inbox.get(inbox.base()), "photo from the market");
    const std::string conversation = inbox.base() + "en/c/" + a;

    std::string page = inbox.get(conversation);
    CHECK(contains(page, text("en", "att.unsafe")));
    CHECK(contains(page, "/safe-copy\""));
    const std::string made = inbox.post(conversation + "/safe-copy", "");
    INFO(body_of(made));
    REQUIRE(status_of(made) == 200);
    CHECK(contains(made, "photo.jpg"));

    page = inbox.get(conversation);
    std::smatch m;
    const std::string expected_src = conversation + "/safe/([0-9a-f]{32})";
    REQUIRE(
        std::regex_search(page, m, std::regex("<img class=\"safe\" src=\"" + expected_src + "\"")));
    const std::string image = inbox.get(conversation + "/safe/" + m[1].str());
    REQUIRE(status_of(image) == 200);
    CHECK(header_of(image, "Content-Type") == "image/png");
    CHECK(contains(header_of(image, "Content-Security-Policy"), "sandbox"));
    CHECK(body_of(image).starts_with("\x89PNG"));
    CHECK_FALSE(contains(image, marker));

    // Export: into a new folder, never into the store's own.
    const fs::path out = d.dir / "for-partner";
    const std::string exported =
        inbox.post(conversation + "/export", "folder=" + form_encoded(out.string()));
    INFO(body_of(exported));
    REQUIRE(status_of(exported) == 200);
    CHECK(fs::exists(out / "conversation.txt"));
    CHECK(fs::exists(out / "photo.jpg.UNSAFE"));
    CHECK(fs::exists(out / "photo.safe.png"));
    CHECK(contains(text_of(out / "conversation.txt"), "photo from the market"));
    CHECK(status_of(inbox.post(conversation + "/export", "folder=" + form_encoded(out.string()))) ==
          400);  // no longer empty
    CHECK(status_of(inbox.post(conversation + "/export",
                               "folder=" + form_encoded((store / "plain").string()))) == 400);
    CHECK_FALSE(fs::exists(store / "plain"));

    // Closed, then deleted from the page.
    CHECK(status_of(inbox.post(conversation + "/triage", "status=closed")) == 303);
    CHECK(contains(inbox.get(conversation), "/delete\""));
    CHECK(status_of(inbox.post(conversation + "/delete", "confirm=yes")) == 200);
    CHECK(status_of(inbox.get(conversation)) == 404);
    CHECK(responder_run("conversations", me, store).out.empty());
}

TEST_CASE("every inbox catalog has every key English has, and every key a page uses", "[inbox]") {
    const auto& catalogs = tipline::responder::inbox_catalogs();
    const auto languages = catalogs.languages();
    REQUIRE(languages.size() == 3);
    CHECK(languages[0] == "en");
    CHECK(catalogs.has("ko"));
    CHECK(catalogs.has("zh-Hans"));
    const auto problems = catalogs.problems(tipline::responder::inbox_page_keys());
    for (const std::string& p : problems) UNSCOPED_INFO(p);
    CHECK(problems.empty());
    // Each language's texts are its own, and keep every {slot} of the English.
    const std::regex slot("\\{[a-z]+\\}");
    for (const std::string_view key : tipline::responder::inbox_page_keys()) {
        const std::string en(catalogs.translate("en", key));
        std::multiset<std::string> slots;
        for (auto it = std::sregex_iterator(en.begin(), en.end(), slot);
             it != std::sregex_iterator(); ++it)
            slots.insert(it->str());
        for (const std::string& lang : {std::string("ko"), std::string("zh-Hans")}) {
            const std::string other(catalogs.translate(lang, key));
            std::multiset<std::string> theirs;
            for (auto it = std::sregex_iterator(other.begin(), other.end(), slot);
                 it != std::sregex_iterator(); ++it)
                theirs.insert(it->str());
            INFO(lang << " " << key);
            CHECK(theirs == slots);
        }
    }
    CHECK(catalogs.translate("ko", "list.heading") != catalogs.translate("en", "list.heading"));
    CHECK(catalogs.translate("zh-Hans", "list.heading") !=
          catalogs.translate("en", "list.heading"));
}

TEST_CASE(
    "the store's team is pinned to its organisation, never rolled back, and used by the inbox",
    "[team][inbox][case_store]") {
    TempDir dir;
    const auto key = [&](const std::string& name, bool organisation) {
        Responder k{dir / name, dir / (name + ".pub"), dir / "pass"};
        write_key_pair(k.key, k.pass, "team test passphrase", organisation);
        return k;
    };
    const Responder me = key("me.key", false), colleague = key("colleague.key", false);
    const Responder org = key("org.key", true), other_org = key("other-org.key", true);
    const auto org_fingerprint = [&](const Responder& o) {
        const auto r = run_command(responder_tool() + " org fingerprint " + q(o.pub));
        REQUIRE(r.exit_code == 0);
        return r.out.substr(0, r.out.find('\n'));
    };
    const auto sign = [&](const Responder& o, const std::string& who, const std::string& serial,
                          const std::string& name) {
        const auto r =
            run_command(responder_tool() + " org sign --key " + q(o.key) + " --passphrase-file " +
                        q(o.pass) + who + " --serial " + serial + " --out " + q(dir / name));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return dir / name;
    };
    const std::string both = " --responder " + q(me.pub) + " --responder " + q(colleague.pub);
    const fs::path first = sign(org, both, "1", "first.list");
    const fs::path second = sign(org, " --responder " + q(me.pub), "2", "second.list");
    const fs::path foreign = sign(other_org, both, "5", "foreign.list");
    const fs::path store = dir / "store";
    const auto team = [&](const std::string& args) {
        return responder_run("team " + args, me, store);
    };

    CHECK(contains(team("show").out, "no team"));
    auto r = team("set " + q(first));
    CHECK(r.exit_code == 2);  // the first list needs the organisation's fingerprint
    CHECK(contains(r.err, "--expect"));
    r = team("set " + q(first) + " --expect " + q(org_fingerprint(other_org)));
    CHECK(r.exit_code == 1);
    CHECK(contains(team("show").out, "no team"));

    r = team("set " + q(first) + " --expect " + q(org_fingerprint(org)));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "team set"));
    CHECK(contains(r.out, "organisation: " + org_fingerprint(org)));
    CHECK(contains(r.out, "responder " + fingerprint_of(me) + " (you)"));
    CHECK(contains(r.out, "responder " + fingerprint_of(colleague)));
    CHECK(contains(team("set " + q(first)).out, "team unchanged"));

    {
        // The inbox offers the store's team without being told.
        InboxProcess inbox(me, store);
        const std::string list = inbox.get(inbox.base() + "en/");
        CHECK(contains(list, "<option value=\"" + fingerprint_of(colleague) + "\""));
        CHECK(inbox.stop() == 0);
    }

    r = team("set " + q(second));  // pinned now: no --expect needed
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "team replaced"));
    CHECK_FALSE(contains(team("show").out, fingerprint_of(colleague)));
    r = team("set " + q(first));  // older
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "older"));
    r = team("set " + q(foreign));
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "organisation"));
    write_file(dir / "garbage.list", std::string("not a list"));
    CHECK(team("set " + q(dir / "garbage.list")).exit_code == 1);
    const std::string shown = team("show").out;
    CHECK(contains(shown, "serial: 2"));
    CHECK(contains(shown, "responder " + fingerprint_of(me) + " (you)"));
}

TEST_CASE("the inbox seals this responder's triage for the team, and a colleague's store takes it",
          "[inbox][team_state][server]") {
    Deployment d;
    const Responder colleague = add_responder(d, "colleague.key");
    ServerProcess server(d.data);
    const Responder me = first_responder(d);
    const fs::path store = d.dir / "store", colleague_store = d.dir / "colleague-store";
    const SignedTeam team = sign_team(d.dir.path(), {&me, &colleague});
    send_tip(server, d.dir / "a", "Women held at the checkpoint near Tumen since March.");
    REQUIRE(fetch(server, me, d.dir / "1.bundle").exit_code == 0);
    REQUIRE(fetch(server, colleague, d.dir / "c1.bundle").exit_code == 0);
    REQUIRE(responder_run("import " + q(d.dir / "1.bundle"), me, store).exit_code == 0);
    REQUIRE(
        responder_run("import " + q(d.dir / "c1.bundle"), colleague, colleague_store).exit_code ==
        0);

    InboxProcess inbox(me, store);
    std::string page = inbox.get(inbox.base() + "en/");
    CHECK(contains(page, text("en", "share.no_team")));
    CHECK_FALSE(contains(page, "action=\"" + inbox.base() + "en/share\""));
    CHECK(status_of(inbox.post(inbox.base() + "en/share", "")) == 400);  // no team: nothing sealed
    for (const auto* who : {&me, &colleague}) {
        const auto set =
            responder_run("team set " + q(team.list), *who, who == &me ? store : colleague_store,
                          "--expect " + q(team.organisation_fingerprint));
        INFO(set.err);
        REQUIRE(set.exit_code == 0);
    }
    const std::string a = thread_with(inbox.get(inbox.base() + "en/"), "checkpoint");
    REQUIRE(status_of(inbox.post(inbox.base() + "en/c/" + a + "/triage",
                                 "status=needs_reply&add_tag=MARKERTAGINBOX")) == 303);
    page = inbox.get(inbox.base() + "en/");
    CHECK(contains(page, "not yet shared with the team"));
    // A forged form from another origin seals nothing.
    CHECK(status_of(inbox.post(inbox.base() + "en/share", "", "Origin: http://evil.example\r\n")) ==
          403);
    CHECK_FALSE(fs::exists(store / "outbox"));

    const std::string done = inbox.post(inbox.base() + "ko/share", "");
    REQUIRE(status_of(done) == 200);
    CHECK(contains(done, text("ko", "share.done_heading")));
    CHECK(contains(inbox.get(inbox.base() + "en/"), text("en", "share.none")));
    CHECK(inbox.stop() == 0);

    std::vector<fs::path> sealed;
    for (const auto& e : fs::directory_iterator(store / "outbox")) sealed.push_back(e.path());
    REQUIRE(sealed.size() == 1);
    CHECK(sealed[0].extension() == ".team");
    CHECK_FALSE(contains(as_text(read_file(sealed[0])), "MARKERTAGINBOX"));
    const auto pushed =
        run_command(responder_tool() + " push --server http://127.0.0.1:" +
                    std::to_string(server.responder_port()) + " --key " + q(me.key) +
                    " --passphrase-file " + q(me.pass) + " " + q(sealed[0]));
    INFO(pushed.err);
    REQUIRE(pushed.exit_code == 0);
    CHECK(contains(pushed.out, "the team's state, stored as"));

    REQUIRE(fetch(server, colleague, d.dir / "c2.bundle").exit_code == 0);
    const auto imported =
        responder_run("import " + q(d.dir / "c2.bundle"), colleague, colleague_store);
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    CHECK(contains(imported.out, "the team's state: 1 from colleagues"));
    const auto listed = responder_run("conversations", colleague, colleague_store,
                                      "--status needs_reply --tag MARKERTAGINBOX");
    CHECK(contains(listed.out, a.substr(0, 8)));
}
