// The web form against the real tiplined over a socket: pages in every language, their headers and
// weight, and the submission without JavaScript, opened by the real responder tool.
#include "tipline/server/web.hpp"

#include <catch2/catch.hpp>
#include <regex>

#include "image_fixtures.hpp"
#include "server_process.hpp"
#include "support.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/client/tip_folder.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/server/web_assets.hpp"

using namespace tipline::test;
namespace fs = std::filesystem;
namespace server = tipline::server;
namespace client = tipline::client;
namespace crypto = tipline::crypto;

namespace {

std::string get(unsigned short port, const std::string& path) {
    return raw_http(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

std::string receipt_in(const std::string& page) {
    std::smatch m;
    return std::regex_search(page, m,
                             std::regex("<strong data-receipt>([0-9]{4}( [0-9]{4}){4})</strong>"))
               ? m[1].str()
               : "";
}

}  // namespace

TEST_CASE("every catalog has every key English has, and every key a page uses", "[web]") {
    const auto languages = server::web_languages();
    REQUIRE(languages.size() >= 3);
    CHECK(languages[0] == "en");
    CHECK(std::find(languages.begin(), languages.end(), "ko") != languages.end());
    CHECK(std::find(languages.begin(), languages.end(), "zh-Hans") != languages.end());
    const auto problems = server::catalog_problems();
    for (const std::string& p : problems) UNSCOPED_INFO(p);
    CHECK(problems.empty());
    // Each language's texts are its own, not English copied over.
    for (const std::string& lang : languages) {
        if (lang == "en") continue;
        CHECK(server::translate(lang, "home.heading") != server::translate("en", "home.heading"));
    }
}

TEST_CASE(
    "each page renders in each language with a strict CSP, no cookie and nothing from elsewhere",
    "[web]") {
    Deployment d;
    ServerProcess server(d.data);
    for (const std::string& lang : server::web_languages()) {
        for (const std::string page : {"", "submit", "check"}) {
            INFO(lang << " /" << page);
            const std::string raw = get(server.port(), "/" + lang + "/" + page);
            CHECK(status_of(raw) == 200);
            CHECK(header_of(raw, "Content-Type") == "text/html; charset=utf-8");
            CHECK(header_of(raw, "Content-Security-Policy")
                      .starts_with("default-src 'none'; style-src 'self'; script-src 'self'"));
            CHECK(header_of(raw, "Cache-Control") == "no-store");
            CHECK(header_of(raw, "Set-Cookie").empty());
            const std::string html = body_of(raw);
            CHECK(html.find("<html lang=\"" + lang + "\">") != std::string::npos);
            // Every text came from the catalog: no key name and no placeholder shows.
            for (const std::string_view key : server::page_keys())
                CHECK(html.find(">" + std::string(key) + "<") == std::string::npos);
            CHECK(html.find('{') == std::string::npos);
            // Only this origin: every src and href is a path on it, and no inline script or style.
            CHECK_FALSE(std::regex_search(html, std::regex("(src|href|action)=\"(?!/)")));
            CHECK(html.find("<script>") == std::string::npos);
            CHECK(html.find("style=") == std::string::npos);
            CHECK(html.find("<style") == std::string::npos);
        }
    }
    CHECK(status_of(get(server.port(), "/xx/submit")) == 404);
    CHECK(status_of(get(server.port(), "/en/other")) == 404);
    const std::string css = get(server.port(), "/static/style.css");
    CHECK(status_of(css) == 200);
    CHECK(header_of(css, "Content-Type") == "text/css; charset=utf-8");
    CHECK(status_of(get(server.port(), "/static/missing.css")) == 404);
    // The scripts of the JavaScript mode: the page's module, its worker, the sealing library and
    // libsodium. Only the worker's script may load scripts: a worker runs under its own response's
    // policy. The others, opened as documents, run nothing.
    const std::string other_csp = "default-src 'none'; frame-ancestors 'none'; sandbox";
    for (const std::string script : {"/static/tipline.js", "/static/tipline-clean.mjs",
                                     "/static/tipline-seal.mjs", "/static/sodium.js"}) {
        INFO(script);
        const std::string raw = get(server.port(), script);
        CHECK(status_of(raw) == 200);
        CHECK(header_of(raw, "Content-Type") == "text/javascript; charset=utf-8");
        CHECK(header_of(raw, "Content-Security-Policy") == other_csp);
    }
    const std::string worker = get(server.port(), "/static/tipline-worker.js");
    CHECK(status_of(worker) == 200);
    CHECK(header_of(worker, "Content-Type") == "text/javascript; charset=utf-8");
    CHECK(header_of(worker, "Content-Security-Policy") ==
          "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'");
    CHECK(header_of(worker, "Cache-Control") == "no-store");
    CHECK(body_of(worker).find("importScripts('/static/sodium.js')") != std::string::npos);
    const std::string plain = get(server.port(), "/static/sodium.js");
    CHECK(body_of(plain).find("crypto_pwhash") != std::string::npos);
    CHECK(header_of(plain, "Content-Encoding").empty());
    // A browser that takes gzip gets libsodium compressed, at under half the size.
    const std::string gz =
        raw_http(server.port(),
                 "GET /static/sodium.js HTTP/1.1\r\nHost: x\r\n"
                 "Accept-Encoding: gzip, deflate, br\r\nConnection: close\r\n\r\n");
    CHECK(status_of(gz) == 200);
    CHECK(header_of(gz, "Content-Encoding") == "gzip");
    CHECK(header_of(gz, "Vary") == "Accept-Encoding");
    CHECK(body_of(gz).substr(0, 2) == "\x1f\x8b");
    CHECK(body_of(gz).size() * 2 < body_of(plain).size());
    CHECK(status_of(get(server.port(), "/static/sodium.js.gz")) == 404);
}

TEST_CASE("/ answers in the language the browser prefers among those served, English otherwise",
          "[web]") {
    CHECK(server::negotiate_language("") == "en");
    CHECK(server::negotiate_language("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7") == "ko");
    CHECK(server::negotiate_language("zh-CN,zh;q=0.9") == "zh-Hans");
    CHECK(server::negotiate_language("zh-TW") == "zh-Hans");  // the only Chinese there is
    CHECK(server::negotiate_language("en-US,en;q=0.5") == "en");
    CHECK(server::negotiate_language("ja, ko;q=0.4, en;q=0.3") == "ko");  // ja is not served
    CHECK(server::negotiate_language("en;q=0.9, ZH-hans;q=0.95") == "zh-Hans");
    CHECK(server::negotiate_language("ko;q=0, en;q=0.1") == "en");  // q=0: not acceptable
    CHECK(server::negotiate_language("fr, de") == "en");
    CHECK(server::negotiate_language(",,;;q=,ko;q=abc") == "en");  // garbage names nothing

    Deployment d(std::map<std::string, std::string>{{"site_name", "\"Witness Line\""},
                                                    {"site_name_ko", "\"증언 창구\""}});
    ServerProcess server(d.data);
    const auto home = [&](const std::string& accept) {
        return raw_http(server.port(),
                        "GET / HTTP/1.1\r\nHost: x\r\n" +
                            (accept.empty() ? "" : "Accept-Language: " + accept + "\r\n") +
                            "Connection: close\r\n\r\n");
    };
    const std::string ko = home("ko-KR,ko;q=0.9,en;q=0.5");
    CHECK(status_of(ko) == 200);
    CHECK(header_of(ko, "Content-Language") == "ko");
    CHECK(header_of(ko, "Vary") == "Accept-Language");
    CHECK(body_of(ko).find("<html lang=\"ko\"") != std::string::npos);
    CHECK(body_of(ko).find(std::string(server::translate("ko", "home.heading"))) !=
          std::string::npos);
    CHECK(body_of(ko).find("증언 창구") != std::string::npos);  // the operator's Korean name
    const std::string zh = home("zh-CN");
    CHECK(body_of(zh).find("<html lang=\"zh-Hans\"") != std::string::npos);
    CHECK(body_of(zh).find("Witness Line") != std::string::npos);  // no Chinese name: site_name
    const std::string none = home("");
    CHECK(header_of(none, "Content-Language") == "en");
    CHECK(body_of(none).find("Witness Line") != std::string::npos);
    CHECK(body_of(none).find(std::string(server::translate("en", "home.heading"))) !=
          std::string::npos);
    // A page with its language in the address keeps it, whatever the browser asks.
    const std::string fixed =
        raw_http(server.port(),
                 "GET /en/submit HTTP/1.1\r\nHost: x\r\nAccept-Language: ko\r\nConnection: "
                 "close\r\n\r\n");
    CHECK(body_of(fixed).find("<html lang=\"en\"") != std::string::npos);
}

TEST_CASE("a site name that is not one short line of text stops tiplined at start, by name",
          "[web]") {
    Deployment d(std::map<std::string, std::string>{
        {"site_name_zh_hans", "\"" + std::string(101, 'x') + "\""}});
    const auto r =
        run_command(tool("server/tiplined") + " serve " + q(d.data) + " --listen 127.0.0.1:0");
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("site_name_zh_hans") != std::string::npos);
}

TEST_CASE("home and submit without JavaScript weigh at most 30 KB in every language", "[web]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::size_t css = body_of(get(server.port(), "/static/style.css")).size();
    for (const std::string& lang : server::web_languages()) {
        const std::size_t home = get(server.port(), "/" + lang + "/").size();
        const std::size_t submit = get(server.port(), "/" + lang + "/submit").size();
        INFO(lang << ": home " << home << " + submit " << submit << " + css " << css
                  << " bytes with headers");
        CHECK(home + submit + css <= 30 * 1000);
    }
}

TEST_CASE(
    "without JavaScript the server seals the form's tip, which opens to the exact message and "
    "files",
    "[web]") {
    Deployment d;
    const std::string marker = "web-plaintext-marker-51c0";
    const std::string message = "목격한 일을 알립니다. " + marker + "\r\n<script>alert(1)</script>";
    const Bytes photo = pattern_bytes(300000, 9);
    const std::string photo_bytes(photo.begin(), photo.end());
    std::string receipt;
    {
        ServerProcess server(d.data);
        const std::string raw = raw_http(
            server.port(), form_post("/ko/submit", message, "ko",
                                     {{"사진.bin", "application/octet-stream", photo_bytes},
                                      {"note.txt", "text/plain", "a note\n"}}));
        REQUIRE(status_of(raw) == 200);
        CHECK(header_of(raw, "Content-Security-Policy").starts_with("default-src 'none'"));
        receipt = receipt_in(body_of(raw));
        REQUIRE(receipt.size() == 24);
        // Nothing of the plaintext reached the disk, while serving or after.
        CHECK_FALSE(folder_contains(d.data, marker));

        // The witness reads the (empty) mailbox with the receipt the page showed, using the real
        // tool.
        write_file(d.dir / "receipt.txt", receipt + "\n");
        const auto check =
            run_command(tool("client/tipline-submit") + " check --server " + server.url() +
                        " --receipt-file " + q(d.dir / "receipt.txt"));
        CHECK(check.exit_code == 0);
        CHECK(check.out.find("no replies yet") != std::string::npos);
    }
    CHECK_FALSE(folder_contains(d.data, marker));

    const auto exported =
        run_command(tool("server/tiplined") + " export " + q(d.data) + " --out " + q(d.dir / "b"));
    REQUIRE(exported.exit_code == 0);
    const auto opened =
        run_command(tool("client/tipline-responder") + " open " + q(d.dir / "b") + " --key " +
                    q(d.key) + " --passphrase-file " + q(d.pass) + " --out " + q(d.dir / "opened"));
    REQUIRE(opened.exit_code == 0);
    const fs::path folder = *fs::directory_iterator(d.dir / "opened");
    const Bytes text = read_file(folder / "message.txt");
    CHECK(std::string(text.begin(), text.end()) == message);
    CHECK(read_file(folder / "사진.bin") == photo);
    CHECK(read_file(folder / "note.txt") == Bytes{'a', ' ', 'n', 'o', 't', 'e', '\n'});
    const Bytes info = read_file(folder / "info.txt");
    const std::string info_text(info.begin(), info.end());
    CHECK(info_text.find("language: ko") != std::string::npos);
    CHECK(info_text.find("reply: possible") != std::string::npos);
}

TEST_CASE(
    "without JavaScript the server removes a photo's metadata before sealing and says so, and "
    "refuses a photo it cannot clean",
    "[web][metadata]") {
    Deployment d;
    const ImageBytes camera = camera_jpeg_with_gps();
    REQUIRE_FALSE(jpeg_has_no_gps(camera));  // the camera wrote where it was
    const Bytes other = pattern_bytes(5000, 4);
    {
        ServerProcess server(d.data);
        const std::string raw = raw_http(
            server.port(),
            form_post("/en/submit", "a photo of the house", "en",
                      {{"IMG_0001.jpg", "image/jpeg", std::string(camera.begin(), camera.end())},
                       {"notes.bin", "application/octet-stream",
                        std::string(other.begin(), other.end())}}));
        REQUIRE(status_of(raw) == 200);
        const std::string page = body_of(raw);
        CHECK(receipt_in(page).size() == 24);
        CHECK(page.find(std::string(server::translate("en", "cleaned.intro"))) !=
              std::string::npos);
        CHECK(page.find("<li>IMG_0001.jpg</li>") != std::string::npos);
        CHECK(page.find("notes.bin") == std::string::npos);  // nothing to clean there
        CHECK(page.find("<p data-cleaned-place>") != std::string::npos);

        // A file that says it is a JPEG but is damaged cannot be cleaned: nothing is sent.
        ImageBytes damaged = {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x40};
        damaged.resize(200, 0x5A);
        const std::string refused = raw_http(
            server.port(),
            form_post("/ko/submit", "another", "ko",
                      {{"broken.jpg", "image/jpeg", std::string(damaged.begin(), damaged.end())}}));
        CHECK(status_of(refused) == 422);
        CHECK(body_of(refused).find(std::string(server::translate("ko", "error.unclean_photo"))) !=
              std::string::npos);
    }
    CHECK(stored_tips(d.data) == 1);

    const auto [ids, opened] = export_and_open(d, "cleaned");
    REQUIRE(opened == 1);
    const fs::path folder = *fs::directory_iterator(d.dir / "cleaned-opened");
    const Bytes photo = read_file(folder / "IMG_0001.jpg");
    CHECK(jpeg_has_no_gps(ImageBytes(photo.begin(), photo.end())));
    CHECK(photo.size() < camera.size());
    CHECK(read_file(folder / "notes.bin") == other);
}

TEST_CASE("a web submission that cannot be taken gets a page that says why, and stores nothing",
          "[web]") {
    Deployment d(std::map<std::string, std::string>{{"web_form_bytes", "65536"}});
    ServerProcess server(d.data);
    const std::string empty = raw_http(server.port(), form_post("/en/submit", "", "en", {}));
    CHECK(status_of(empty) == 400);
    CHECK(body_of(empty).find(std::string(server::translate("en", "error.empty"))) !=
          std::string::npos);

    const std::string big(70000, 'x');
    const std::string too_large =
        raw_http(server.port(), form_post("/zh-Hans/submit", "m", "en", {{"a", "x/y", big}}));
    CHECK(status_of(too_large) == 413);
    CHECK(body_of(too_large).find(std::string(
              server::translate("zh-Hans", "error.too_large_page"))) != std::string::npos);

    std::string broken = form_post("/en/submit", "hello", "en", {});
    broken.replace(broken.find("Content-Disposition"), 19, "Content-Dispositio_");
    const std::string malformed = raw_http(server.port(), broken);
    CHECK(status_of(malformed) == 400);
    CHECK(body_of(malformed).find(std::string(server::translate("en", "error.bad_form"))) !=
          std::string::npos);

    const std::string not_multipart = raw_http(
        server.port(),
        "POST /en/submit HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 9\r\nConnection: close\r\n\r\nmessage=a");
    CHECK(status_of(not_multipart) == 400);
    server.stop();
    CHECK(stored_tips(d.data) == 0);
}

TEST_CASE("without JavaScript a witness reads replies with the receipt and sends more",
          "[web][conversation]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string responder = tool("client/tipline-responder");
    const std::string online =
        " --server http://127.0.0.1:" + std::to_string(server.responder_port()) + " --key " +
        q(d.key) + " --passphrase-file " + q(d.pass);

    const std::string sent =
        raw_http(server.port(), form_post("/zh-Hans/submit", "first report", "zh-Hans", {}));
    REQUIRE(status_of(sent) == 200);
    const std::string receipt = receipt_in(body_of(sent));
    REQUIRE(receipt.size() == 24);

    // No reply yet: the page says so and offers the follow-up form, with the receipt in it.
    const std::string none =
        raw_http(server.port(), fields_post("/zh-Hans/check", {{"receipt", receipt}}));
    REQUIRE(status_of(none) == 200);
    CHECK(body_of(none).find(std::string(server::translate("zh-Hans", "check.none"))) !=
          std::string::npos);
    CHECK(body_of(none).find("name=\"receipt\" value=\"" + receipt + "\"") != std::string::npos);

    // The responder fetches, opens offline, replies with text that looks like HTML, and pushes.
    REQUIRE(run_command(responder + " fetch --out " + q(d.dir / "one.bundle") + online).exit_code ==
            0);
    REQUIRE(run_command(responder + " open " + q(d.dir / "one.bundle") + " --key " + q(d.key) +
                        " --passphrase-file " + q(d.pass) + " --out " + q(d.dir / "inbox"))
                .exit_code == 0);
    const fs::path tip = *fs::directory_iterator(d.dir / "inbox");
    write_file(d.dir / "reply.txt",
               std::string("Thank you. <b>Are you safe?</b>\nWe will call.\n"));
    REQUIRE(run_command(responder + " reply --tip " + q(tip) + " --key " + q(d.key) +
                        " --passphrase-file " + q(d.pass) + " --message-file " +
                        q(d.dir / "reply.txt") + " --out " + q(d.dir / "answer.reply"))
                .exit_code == 0);
    REQUIRE(run_command(responder + " push " + q(d.dir / "answer.reply") + online).exit_code == 0);

    // Typed the way a person might: without groups, in full-width digits, with a trailing newline.
    std::string typed;
    for (std::size_t i = 0; i < receipt.size(); ++i) {
        if (receipt[i] == ' ') continue;
        if (i < 4) {
            typed += "\xEF\xBC";  // U+FF10 to U+FF19, the full-width digits
            typed += static_cast<char>(0x90 + (receipt[i] - '0'));
        } else {
            typed += receipt[i];
        }
    }
    const std::string replies =
        raw_http(server.port(), fields_post("/zh-Hans/check", {{"receipt", typed + "\r\n"}}));
    REQUIRE(status_of(replies) == 200);
    const std::string page = body_of(replies);
    CHECK(page.find("Thank you. &lt;b&gt;Are you safe?&lt;/b&gt;\nWe will call.") !=
          std::string::npos);
    CHECK(page.find("<b>") == std::string::npos);
    CHECK(page.find(std::string(server::translate("zh-Hans", "check.none"))) == std::string::npos);
    CHECK(page.find(std::string(server::translate("zh-Hans", "check.unverified"))) ==
          std::string::npos);

    // A message in the mailbox that no responder signed, as anyone who knows the reply key could
    // put there, is counted on the page and its words are not shown.
    const auto reply_key = client::read_reply_key(tip);
    REQUIRE(reply_key);
    crypto::TipHeader planted;
    planted.kind = crypto::TipKind::reply;
    planted.reply_key = *reply_key;
    planted.message = "planted: go to the new address";
    crypto::VectorSink sealed;
    const std::vector<crypto::BoxPublicKey> to{*reply_key};
    REQUIRE_FALSE(crypto::seal_tip(to, planted, {}, sealed));
    write_file(d.dir / "planted.reply",
               client::encode_reply_file(crypto::mailbox_id(*reply_key), sealed.bytes()));
    REQUIRE(run_command(responder + " push " + q(d.dir / "planted.reply") + online).exit_code == 0);
    const std::string with_planted =
        body_of(raw_http(server.port(), fields_post("/zh-Hans/check", {{"receipt", receipt}})));
    CHECK(with_planted.find("planted: go to the new address") == std::string::npos);
    CHECK(with_planted.find(std::string(server::translate("zh-Hans", "check.unverified"))) !=
          std::string::npos);
    CHECK(with_planted.find("We will call.") != std::string::npos);

    // The witness sends more under the same receipt; the responder's next fetch holds it.
    const std::string more =
        raw_http(server.port(), form_post("/zh-Hans/follow-up", "more details", "zh-Hans", {}));
    CHECK(status_of(more) == 400);  // no receipt: refused
    const std::string followed = raw_http(
        server.port(), fields_post("/zh-Hans/follow-up",
                                   {{"receipt", receipt}, {"message", "more details, 更多"}}));
    REQUIRE(status_of(followed) == 200);
    CHECK(body_of(followed).find(std::string(
              server::translate("zh-Hans", "followup.sent_heading"))) != std::string::npos);
    REQUIRE(run_command(responder + " fetch --out " + q(d.dir / "two.bundle") + online).exit_code ==
            0);
    REQUIRE(run_command(responder + " open " + q(d.dir / "two.bundle") + " --key " + q(d.key) +
                        " --passphrase-file " + q(d.pass) + " --out " + q(d.dir / "inbox2"))
                .exit_code == 0);
    bool found = false;
    for (const auto& e : fs::directory_iterator(d.dir / "inbox2")) {
        const std::string info = text_of(e.path() / "info.txt");
        if (info.find("kind: follow-up") == std::string::npos) continue;
        found = true;
        CHECK(text_of(e.path() / "message.txt") == "more details, 更多");
        CHECK(info.find("language: zh-Hans") != std::string::npos);
    }
    CHECK(found);
}

TEST_CASE("a wrong or malformed receipt on the web form is refused, and wrong ones are throttled",
          "[web]") {
    Deployment d(std::map<std::string, std::string>{{"mailbox_failure_burst", "2"},
                                                    {"mailbox_failures_per_minute", "1"}});
    ServerProcess server(d.data);
    const std::string malformed =
        raw_http(server.port(), fields_post("/en/check", {{"receipt", "1234 5678 O000"}}));
    CHECK(status_of(malformed) == 400);
    CHECK(body_of(malformed).find(std::string(server::translate("en", "check.bad_receipt"))) !=
          std::string::npos);
    const std::string wrong = "1111 2222 3333 4444 5555";
    for (int i = 0; i < 2; ++i) {
        const std::string page =
            raw_http(server.port(), fields_post("/en/check", {{"receipt", wrong}}));
        CHECK(status_of(page) == 404);
        CHECK(body_of(page).find(std::string(server::translate("en", "check.not_found"))) !=
              std::string::npos);
    }
    const std::string throttled =
        raw_http(server.port(), fields_post("/en/check", {{"receipt", wrong}}));
    CHECK(status_of(throttled) == 429);
    CHECK(body_of(throttled).find(std::string(server::translate("en", "check.throttled"))) !=
          std::string::npos);
    CHECK_FALSE(header_of(throttled, "Retry-After").empty());
}

TEST_CASE("the same web form sent twice stores one tip and shows the same receipt again", "[web]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string page = body_of(get(server.port(), "/ko/submit"));
    std::smatch m;
    REQUIRE(std::regex_search(page, m, std::regex("name=\"form_token\" value=\"([0-9a-f]+)\"")));
    const std::string token = m[1].str();
    // Each page gets its own token.
    CHECK(body_of(get(server.port(), "/ko/submit")).find(token) == std::string::npos);

    const std::string first =
        raw_http(server.port(), form_post("/ko/submit", "once", "ko", {}, token));
    REQUIRE(status_of(first) == 200);
    const std::string again =
        raw_http(server.port(), form_post("/ko/submit", "once", "ko", {}, token));
    REQUIRE(status_of(again) == 200);
    CHECK(receipt_in(body_of(first)) == receipt_in(body_of(again)));
    const std::string note(server::translate("ko", "receipt.again"));
    CHECK(body_of(first).find(note) == std::string::npos);
    CHECK(body_of(again).find(note) != std::string::npos);
    // Sent again with other words (edited after going back): nothing of them is stored, and the
    // page says so plainly, with the way to add them.
    const std::string edited =
        raw_http(server.port(), form_post("/ko/submit", "changed words", "ko", {}, token));
    REQUIRE(status_of(edited) == 200);
    CHECK(receipt_in(body_of(edited)) == receipt_in(body_of(first)));
    CHECK(body_of(edited).find(note) != std::string::npos);
    CHECK(note.find("다시 보내기 전에 바꾼 내용은 보내지지 않았습니다") != std::string::npos);
    // A token this server did not issue is ignored: the tip gets a fresh receipt.
    std::string forged = token;
    forged[10] = forged[10] == 'a' ? 'b' : 'a';
    const std::string other =
        raw_http(server.port(), form_post("/ko/submit", "other", "ko", {}, forged));
    REQUIRE(status_of(other) == 200);
    CHECK(receipt_in(body_of(other)) != receipt_in(body_of(first)));
    server.stop();
    CHECK(stored_tips(d.data) == 2);
    const fs::path opened = d.dir / "resent";
    REQUIRE(open_with_key(d, export_all(d, "resent"), opened).exit_code == 0);
    CHECK_FALSE(folder_contains(opened, "changed words"));
    CHECK(folder_contains(opened, "once"));
}

TEST_CASE("a message over 1 MiB gets its own refusal, and the text area cannot exceed it",
          "[web]") {
    Deployment d;
    ServerProcess server(d.data);
    CHECK(body_of(get(server.port(), "/en/submit")).find("maxlength=\"349525\"") !=
          std::string::npos);
    const std::string raw =
        raw_http(server.port(), form_post("/en/submit", std::string(1048577, 'a'), "en", {}));
    CHECK(status_of(raw) == 413);
    CHECK(body_of(raw).find(std::string(server::translate("en", "error.message_too_long"))) !=
          std::string::npos);
}

TEST_CASE("without JavaScript a global budget bounds the submissions the server seals",
          "[web][flood]") {
    Deployment d(
        std::map<std::string, std::string>{{"web_form_burst", "2"}, {"web_forms_per_hour", "1"}});
    ServerProcess server(d.data);
    // A form that cannot be taken costs no budget.
    for (int i = 0; i < 3; ++i)
        CHECK(status_of(raw_http(server.port(), form_post("/en/submit", "", "en", {}))) == 400);
    CHECK(status_of(raw_http(server.port(), form_post("/en/submit", "first", "en", {}))) == 200);
    CHECK(status_of(raw_http(server.port(), form_post("/en/submit", "second", "en", {}))) == 200);
    const std::string third = raw_http(server.port(), form_post("/ko/submit", "third", "ko", {}));
    CHECK(status_of(third) == 503);
    CHECK(body_of(third).find(std::string(server::translate("ko", "error.busy"))) !=
          std::string::npos);
    CHECK(stored_tips(d.data) == 2);
    // Reading replies costs no budget: the check page still answers.
    CHECK(status_of(raw_http(server.port(), fields_post("/en/check", {{"receipt", "1234"}}))) ==
          400);
}
