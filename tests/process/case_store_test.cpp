// The responders' case store with the real tools against a real tiplined: importing bundles once,
// threading by mailbox, search in Korean, Chinese and English, triage, export, the store's
// encryption at rest, and a kill -9 while it is written.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "responder_team.hpp"
#include "server_process.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace tipline::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        out.push_back(text.substr(at, end - at));
        if (end == std::string::npos) break;
        at = end + 1;
    }
    return out;
}

// The listed conversation whose line contains part, by its short id.
std::string conversation_with(const std::string& listing, const std::string& part) {
    for (const std::string& line : lines_of(listing)) {
        if (contains(line, part)) return line.substr(0, line.find('\t'));
    }
    FAIL("no conversation line contains " << part << " in:\n" << listing);
    return {};
}

// Every byte of every file under dir, to look for plaintext in.
std::string all_bytes_under(const fs::path& dir) {
    std::string out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) out += as_text(read_file(e.path()));
    }
    return out;
}

void follow_up(const ServerProcess& server, const fs::path& receipt, const fs::path& work,
               const std::string& message) {
    write_file(work / "follow-up.txt", message);
    const auto sent =
        run_command(submit() + " reply --server " + server.url() + " --receipt-file " + q(receipt) +
                    " --message-file " + q(work / "follow-up.txt"));
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
}

}  // namespace

TEST_CASE("bundles import into the case store once, threaded by mailbox, searchable and triaged",
          "[case_store][server]") {
    Deployment d;
    const Responder other = add_responder(d, "colleague.key");
    ServerProcess server(d.data);
    const Responder me = first_responder(d);
    const fs::path store = d.dir / "store";

    const fs::path receipt_a =
        send_tip(server, d.dir / "a", "Women held at the checkpoint near Tumen, since March.");
    send_tip(server, d.dir / "b",
             "두만강 건너 탈북 여성 세 명이 팔려 갔습니다. 마을 이름은 나중에.");
    send_tip(server, d.dir / "c", "她们在边境被卖到农村，邻居都知道。");

    // A tip written to attack the responder's terminal.
    send_tip(server, d.dir / "e",
             "\x1b]0;owned\x07\x1b[2J\x1b[31mclear screen\xc2\x9b"
             "31m");

    REQUIRE(fetch(server, me, d.dir / "1.bundle").exit_code == 0);
    auto imported = responder_run("import " + q(d.dir / "1.bundle"), me, store);
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    CHECK(contains(imported.out, "imported 4 new, 0 already in the store"));
    {
        const auto listing = responder_run("conversations", me, store);
        CHECK_FALSE(contains(listing.out, "\x1b"));
        CHECK_FALSE(contains(listing.out, "\xc2\x9b"));
        const std::string e = conversation_with(listing.out, "clear screen");
        const auto shown = responder_run("show " + e, me, store);
        CHECK(contains(shown.out, "clear screen"));
        CHECK_FALSE(contains(shown.out, "\x1b"));
        CHECK_FALSE(contains(shown.out, "\xc2\x9b"));
        REQUIRE(responder_run("triage " + e, me, store, "--status closed").exit_code == 0);
        REQUIRE(responder_run("delete " + e, me, store).exit_code == 0);
    }
    imported = responder_run("import " + q(d.dir / "1.bundle"), me, store);
    CHECK(imported.exit_code == 0);
    CHECK(contains(imported.out, "imported 0 new, 4 already in the store"));
    CHECK(contains(imported.out, "1 of them were deleted from the store before"));

    // A follow-up, then a bundle of what is new and one of everything: overlapping imports.
    follow_up(server, receipt_a, d.dir / "a", "The guards change at night.");
    REQUIRE(fetch(server, me, d.dir / "2.bundle").exit_code == 0);
    REQUIRE(fetch(server, me, d.dir / "3.bundle", "--all").exit_code == 0);
    imported =
        responder_run("import " + q(d.dir / "2.bundle") + " " + q(d.dir / "3.bundle"), me, store);
    CHECK(imported.exit_code == 0);
    CHECK(contains(imported.out, "imported 1 new, 5 already in the store"));

    auto listed = responder_run("conversations", me, store);
    REQUIRE(listed.exit_code == 0);
    REQUIRE(lines_of(listed.out).size() == 3);
    const std::string a = conversation_with(listed.out, "checkpoint");
    CHECK(contains(listed.out, a + "\tnew\t"));
    CHECK(contains(listed.out, "2 messages\t2 unseen"));

    // The checks below take turns on this one store, each leaving it as the next expects (a
    // section of its own would import everything again for each): search, then show (which marks
    // the conversation seen), triage, the store's privacy, export, a reply, and last deletion.
    {  // Search finds words of each language, two-character ones too.
        const auto search = [&](const std::string& words) {
            const auto r = responder_run("conversations", me, store, "--search " + q(words));
            REQUIRE(r.exit_code == 0);
            return lines_of(r.out);
        };
        CHECK(search("checkpoint").size() == 1);
        CHECK(search("guards").size() == 1);  // in the follow-up, same conversation
        CHECK(search("탈북").size() == 1);    // two Hangul syllables: below a trigram
        CHECK(search("두만강").size() == 1);
        CHECK(search("边境").size() == 1);  // two Han characters
        CHECK(search("农村 邻居").size() == 1);
        CHECK(search("边境 checkpoint").empty());  // every word must appear
        CHECK(search("nowhere-at-all").empty());
        // What a person might type, FTS5's own syntax among it, is searched for as text.
        for (const char* typed : {"\"", "check*", "NEAR(a b)", "a OR b", "%", "_", "-", "\\"}) {
            const auto r = responder_run("conversations", me, store, "--search " + q(typed));
            INFO(typed << ": " << r.err);
            CHECK(r.exit_code == 0);
        }
        CHECK(search("%").empty());
    }

    {  // Show threads the messages in order and marks them seen.
        const auto shown = responder_run("show " + a, me, store);
        INFO(shown.err);
        REQUIRE(shown.exit_code == 0);
        const auto first = shown.out.find("checkpoint"), second = shown.out.find("guards");
        CHECK(first != std::string::npos);
        CHECK(second != std::string::npos);
        CHECK(first < second);
        CHECK(contains(shown.out, "reply: possible"));
        listed = responder_run("conversations", me, store, "--unseen");
        CHECK(lines_of(listed.out).size() == 2);
        listed = responder_run("conversations", me, store, "--status read");
        CHECK(conversation_with(listed.out, "checkpoint") == a);
    }

    {  // Triage sets status, tags, assignee and notes, which search finds and disk hides.
        write_file(d.dir / "note.txt", "NOTE-MARKER-7f3a 담당자와 통화함\n");
        const auto changed =
            responder_run("triage " + a.substr(0, 5), me, store,
                          "--status needs_reply --tag 인신매매 --tag urgent --assign me "
                          "--note-file " +
                              q(d.dir / "note.txt"));
        INFO(changed.err);
        REQUIRE(changed.exit_code == 0);
        CHECK(contains(changed.out, "needs_reply"));
        listed = responder_run("conversations", me, store, "--tag 인신매매 --assignee me");
        REQUIRE(lines_of(listed.out).size() == 1);
        CHECK(contains(listed.out, "needs_reply"));
        CHECK(contains(listed.out, "urgent"));
        listed = responder_run("conversations", me, store, "--search NOTE-MARKER-7f3a");
        CHECK(lines_of(listed.out).size() == 1);
        listed = responder_run("conversations", me, store, "--search 통화");
        CHECK(lines_of(listed.out).size() == 1);

        const auto untagged = responder_run("triage " + a, me, store, "--untag urgent");
        REQUIRE(untagged.exit_code == 0);
        listed = responder_run("conversations", me, store, "--tag urgent");
        CHECK(listed.out.empty());

        const auto bad = responder_run("triage " + a, me, store, "--status sleeping");
        CHECK(bad.exit_code == 2);
        CHECK(contains(bad.err, "not a status"));

        // Nothing of the tips, notes or tags is readable in the store's files.
        const std::string disk = all_bytes_under(store);
        for (const char* marker : {"checkpoint", "guards", "NOTE-MARKER", "인신매매", "urgent",
                                   "탈북", "边境", "SQLite format"}) {
            CHECK_FALSE(contains(disk, marker));
        }
    }

    {  // The store is private, and opens only with its responder's key.
        struct stat st {};
        REQUIRE(::stat(store.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0700);
        REQUIRE(::stat((store / "store.tipline").c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);

        const auto wrong = responder_run("conversations", other, store);
        CHECK(wrong.exit_code == 1);
        CHECK(contains(wrong.err, "does not open with this key"));

        ::chmod(store.c_str(), 0755);
        const auto open_folder = responder_run("conversations", me, store);
        CHECK(open_folder.exit_code == 2);
        CHECK(contains(open_folder.err, "can be read by other users"));
        ::chmod(store.c_str(), 0700);

        const auto ambiguous = responder_run("show 0", me, store);
        CHECK(ambiguous.exit_code == 2);
    }

    {  // Export writes one conversation, decrypted, for a partner.
        const auto exported = responder_run("export " + a, me, store, "--out " + q(d.dir / "out"));
        INFO(exported.err);
        REQUIRE(exported.exit_code == 0);
        const std::string report = text_of(d.dir / "out" / "conversation.txt");
        CHECK(contains(report, "checkpoint"));
        CHECK(contains(report, "guards"));
        const auto again = responder_run("export " + a, me, store, "--out " + q(d.dir / "out"));
        CHECK(again.exit_code == 2);
    }

    {  // A reply written from the store reaches the witness and comes back into the thread.
        write_file(d.dir / "answer.txt", "We read your report. Are you safe?");
        const auto sealed = run_command(
            responder_tool() + " reply --conversation " + a.substr(0, 6) + store_args(me, store) +
            " --message-file " + q(d.dir / "answer.txt") + " --out " + q(d.dir / "answer.reply"));
        INFO(sealed.err);
        REQUIRE(sealed.exit_code == 0);
        CHECK(contains(sealed.out, "conversation " + a));
        const auto pushed =
            run_command(responder_tool() + " push --server http://127.0.0.1:" +
                        std::to_string(server.responder_port()) + " --key " + q(me.key) +
                        " --passphrase-file " + q(me.pass) + " " + q(d.dir / "answer.reply"));
        REQUIRE(pushed.exit_code == 0);
        const auto checked = check(server, receipt_a);
        CHECK(contains(checked.out, "Are you safe?"));

        REQUIRE(fetch(server, me, d.dir / "4.bundle").exit_code == 0);
        imported = responder_run("import " + q(d.dir / "4.bundle"), me, store);
        CHECK(contains(imported.out, "imported 1 new, 0 already in the store"));
        const auto shown = responder_run("show " + a, me, store);
        CHECK(contains(shown.out, "reply "));
        CHECK(contains(shown.out, "Are you safe?"));
        const std::string fp = run_command(responder_tool() + " fingerprint " + q(me.pub)).out;
        CHECK(contains(shown.out, "signed by responder " + fp.substr(0, fp.find('\n'))));
        CHECK(shown.out.find("guards") < shown.out.find("Are you safe?"));
    }

    {  // Closed conversations are deleted by hand or after some days, and stay deleted.
        const auto open_one = responder_run("delete " + a, me, store);
        CHECK(open_one.exit_code == 2);
        CHECK(contains(open_one.err, "is not closed"));

        REQUIRE(responder_run("triage " + a, me, store, "--status closed").exit_code == 0);
        const auto deleted = responder_run("delete " + a, me, store);
        INFO(deleted.err);
        REQUIRE(deleted.exit_code == 0);
        CHECK(contains(deleted.out, "1 conversations and 0 attachments deleted"));
        listed = responder_run("conversations", me, store);
        CHECK(lines_of(listed.out).size() == 2);
        CHECK(responder_run("conversations", me, store, "--search checkpoint").out.empty());

        imported = responder_run("import " + q(d.dir / "3.bundle"), me, store);
        CHECK(contains(imported.out, "imported 0 new, 5 already in the store"));
        CHECK(contains(imported.out, "3 of them were deleted from the store before"));
        CHECK(lines_of(responder_run("conversations", me, store).out).size() == 2);

        const std::string b = conversation_with(listed.out, "두만강");
        REQUIRE(responder_run("triage " + b, me, store, "--status closed").exit_code == 0);
        const auto too_soon = responder_run("purge", me, store, "--closed-for 1");
        REQUIRE(too_soon.exit_code == 0);
        CHECK(contains(too_soon.out, "0 conversations"));
        const auto purged = responder_run("purge", me, store, "--closed-for 0");
        REQUIRE(purged.exit_code == 0);
        CHECK(contains(purged.out, "deleted conversation " + b));
        CHECK(lines_of(responder_run("conversations", me, store).out).size() == 1);
    }
}

TEST_CASE(
    "attachments are sealed in the store, come out whole, and a kill -9 mid-import loses "
    "nothing",
    "[case_store][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const Responder me = first_responder(d);
    const fs::path store = d.dir / "store";

    // Several tips with a few MB of attachment each, so that an import takes a while.
    constexpr int tips = 6;
    for (int i = 0; i < tips; ++i) {
        const fs::path dir = d.dir / ("w" + std::to_string(i));
        fs::create_directories(dir);
        write_file(dir / "message.txt", "tip number " + std::to_string(i));
        write_file(dir / ("evidence-" + std::to_string(i) + ".bin"),
                   pattern_bytes(3 * 1024 * 1024 + static_cast<std::size_t>(i),
                                 static_cast<std::uint32_t>(i + 10)));
        const auto sent =
            run_command(submit() + " send --server " + server.url() + " --message-file " +
                        q(dir / "message.txt") + " --file " +
                        q(dir / ("evidence-" + std::to_string(i) + ".bin")) + " --keep-metadata");
        INFO(sent.err);
        REQUIRE(sent.exit_code == 0);
    }
    REQUIRE(fetch(server, me, d.dir / "all.bundle").exit_code == 0);

    // Kill the import at different moments; every time, the store that is left opens, and holds
    // either none of the tips or all of them.
    int before = 0, after = 0;
    for (int delay_ms : {20, 60, 120, 200, 300, 450, 700, 1000}) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            const std::string cmd = responder_tool() + " import " + q(d.dir / "all.bundle") +
                                    store_args(me, store) + " >/dev/null 2>&1";
            ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        const auto listed = responder_run("conversations", me, store);
        INFO("killed after " << delay_ms << " ms: " << listed.err);
        if (!fs::exists(store / "store.tipline")) {
            ++before;
            continue;
        }
        REQUIRE(listed.exit_code == 0);
        const std::size_t n = listed.out.empty() ? 0 : lines_of(listed.out).size();
        CHECK((n == 0 || n == tips));
        (n == 0 ? before : after) += 1;
        if (n == tips) break;
    }
    INFO("cut before the store was written: " << before << ", after: " << after);

    const auto imported = responder_run("import " + q(d.dir / "all.bundle"), me, store);
    REQUIRE(imported.exit_code == 0);
    const auto listed = responder_run("conversations", me, store);
    REQUIRE(lines_of(listed.out).size() == tips);
    // Only the attachments the database names remain: whatever a killed import left was removed.
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(store / "files")) {
        CHECK(e.path().filename().string().size() == 32);
        ++files;
    }
    CHECK(files == tips);

    const std::string id = conversation_with(listed.out, "tip number 4");
    const auto exported = responder_run("export " + id, me, store, "--out " + q(d.dir / "out"));
    INFO(exported.err);
    REQUIRE(exported.exit_code == 0);
    CHECK(read_file(d.dir / "out" / "evidence-4.bin") ==
          read_file(d.dir / "w4" / "evidence-4.bin"));

    // Deleting a conversation removes its attachment's file.
    REQUIRE(responder_run("triage " + id, me, store, "--status closed").exit_code == 0);
    const auto deleted = responder_run("delete " + id, me, store);
    REQUIRE(deleted.exit_code == 0);
    CHECK(contains(deleted.out, "1 conversations and 1 attachments deleted"));
    std::size_t left = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(store / "files")) ++left;
    CHECK(left == tips - 1);

    // A damaged attachment file is named, and nothing else is written.
    fs::path victim;
    for (const auto& e : fs::directory_iterator(store / "files")) victim = e.path();
    Bytes bytes = read_file(victim);
    bytes[bytes.size() / 2] ^= 1;
    write_file(victim, bytes);
    for (const std::string& line : lines_of(responder_run("conversations", me, store).out)) {
        const std::string cid = line.substr(0, line.find('\t'));
        const fs::path out = d.dir / ("out-" + cid);
        const auto r = responder_run("export " + cid, me, store, "--out " + q(out));
        if (r.exit_code == 0) continue;
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, "an attachment of the case store"));
        CHECK((!fs::exists(out) || fs::is_empty(out)));
    }
}

TEST_CASE(
    "safe copies rebuild images and PDFs from their pixels in a sandbox, beside the originals",
    "[case_store][safe_copy][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const Responder me = first_responder(d);
    const fs::path store = d.dir / "store";
    const fs::path w = d.dir / "witness";
    fs::create_directories(w);

    // A photo and a two-page PDF, each carrying a marker outside its pixels; a PDF that is not
    // one; a text file.
    const std::string marker = "MARKER-outside-the-pixels-51c9";
    REQUIRE(run_command("/usr/bin/gm convert -size 64x48 xc:green -comment " + marker + " " +
                        q(w / "photo.jpg"))
                .exit_code == 0);
    REQUIRE(run_command("/usr/bin/gm convert -size 200x300 xc:white xc:blue " + q(w / "doc.pdf"))
                .exit_code == 0);
    Bytes pdf = read_file(w / "doc.pdf");
    const std::string trailer = "\n%" + marker + "\n";
    pdf.insert(pdf.end(), trailer.begin(), trailer.end());
    write_file(w / "doc.pdf", pdf);
    std::string garbage = "%PDF-1.7\n";
    for (int i = 0; i < 4000; ++i) garbage += static_cast<char>((i * 37) & 0x7f);
    write_file(w / "broken.pdf", garbage);
    write_file(w / "notes.txt", std::string("plain words"));
    write_file(w / "message.txt", std::string("files from the border town"));
    const auto sent = run_command(submit() + " send --server " + server.url() + " --message-file " +
                                  q(w / "message.txt") + " --file " + q(w / "photo.jpg") +
                                  " --file " + q(w / "doc.pdf") + " --file " + q(w / "broken.pdf") +
                                  " --file " + q(w / "notes.txt") + " --keep-metadata");
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
    REQUIRE(fetch(server, me, d.dir / "1.bundle").exit_code == 0);
    REQUIRE(responder_run("import " + q(d.dir / "1.bundle"), me, store).exit_code == 0);
    const std::string id =
        conversation_with(responder_run("conversations", me, store).out, "border town");

    const auto made = responder_run("safe-copy " + id, me, store);
    INFO(made.out << made.err);
    CHECK(made.exit_code == 1);  // the broken PDF
    CHECK(contains(made.out, "2 safe copies made, 1 failed"));
    CHECK(contains(made.out, "\"notes.txt\": no safe copy for this kind of file"));
    CHECK(contains(made.err, "\"broken.pdf\": no safe copy"));
    CHECK(contains(responder_run("show " + id, me, store).out,
                   "safe copy: application/pdf, 2 pages"));
    // A second run makes nothing twice.
    CHECK(contains(responder_run("safe-copy " + id, me, store).out, "0 safe copies made"));

    const fs::path out = d.dir / "out";
    const auto exported = responder_run("export " + id, me, store, "--out " + q(out));
    INFO(exported.err);
    REQUIRE(exported.exit_code == 0);
    CHECK(read_file(out / "photo.jpg.UNSAFE") == read_file(w / "photo.jpg"));
    CHECK(read_file(out / "doc.pdf.UNSAFE") == read_file(w / "doc.pdf"));
    CHECK(fs::exists(out / "broken.pdf"));  // no safe copy: under its own name, as sent
    const std::string safe_pdf = as_text(read_file(out / "doc.safe.pdf"));
    const std::string safe_png = as_text(read_file(out / "photo.safe.png"));
    CHECK(safe_pdf.starts_with("%PDF-"));
    CHECK(safe_png.starts_with("\x89PNG"));
    CHECK_FALSE(contains(safe_pdf, marker));
    CHECK_FALSE(contains(safe_png, marker));
    CHECK(contains(as_text(read_file(w / "photo.jpg")), marker));  // it was there to remove
    const auto info = run_command("/usr/bin/pdfinfo " + q(out / "doc.safe.pdf"));
    CHECK(contains(info.out, "Pages:           2"));
    CHECK(contains(text_of(out / "conversation.txt"), "unsafe to open"));
}
