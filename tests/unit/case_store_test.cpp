// The case store in process: written back and read again whole, refused under another key, and
// triage changes from three responders merged in different orders ending in the same store.
#include "tipline/responder/case_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"
#include "tipline/responder/conversations.hpp"
#include "tipline/responder/safe_copy.hpp"
#include "tipline/responder/team.hpp"
#include "tipline/responder/team_state.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/sqlite.hpp"

using namespace tipline;
using namespace tipline::responder;

namespace {

bool contains_text(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Every field of a store, in one text, to compare stores by.
std::string fields_of(CaseStore& store) {
    tooling::Statement st(store.db(),
                          "SELECT thread, name, value, clock, writer FROM field ORDER BY thread, "
                          "name");
    std::string out;
    while (st.step()) {
        out += st.text(0) + "|" + st.text(1) + "|" + st.text(2) + "|" +
               std::to_string(st.int64(3)) + "|" + st.text(4) + "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("the case store is written back and read again, under its responder's key only",
          "[case_store]") {
    test::TempDir dir;
    const crypto::SecretIdentity me = crypto::SecretIdentity::generate();
    {
        CaseStore store(dir / "store", me);
        set_status(store, "aa", "closed");
        set_tag(store, "aa", "이주", true);
        store.save();
    }
    struct stat st {};
    REQUIRE(::stat((dir / "store").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    {
        CaseStore again(dir / "store", me);
        CHECK(contains_text(fields_of(again), "aa|status|closed|"));
        CHECK(contains_text(fields_of(again), "aa|tag:이주|1|"));
    }
    const crypto::SecretIdentity other = crypto::SecretIdentity::generate();
    try {
        CaseStore wrong(dir / "store", other);
        FAIL("another responder's key opened the store");
    } catch (const tooling::ToolError& e) {
        CHECK(e.exit_code() == tooling::exit_verification_failure);
    }
}

TEST_CASE("three responders' triage converges whatever order the changes arrive in",
          "[case_store]") {
    test::TempDir dir;
    std::vector<crypto::SecretIdentity> ids;
    for (std::size_t i = 0; i < 3; ++i) ids.push_back(crypto::SecretIdentity::generate());
    std::vector<std::unique_ptr<CaseStore>> stores;
    for (std::size_t i = 0; i < 3; ++i)
        stores.push_back(std::make_unique<CaseStore>(dir / ("s" + std::to_string(i)), ids[i]));

    // Each responder changes the same conversation on their own machine, concurrently.
    std::vector<FieldChange> changes;
    changes.push_back(set_field(*stores[0], "t1", "status", "needs_reply"));
    changes.push_back(set_field(*stores[0], "t1", "tag:urgent", "1"));
    changes.push_back(set_field(*stores[1], "t1", "status", "closed"));
    changes.push_back(set_field(*stores[1], "t1", "assignee", stores[1]->me()));
    changes.push_back(set_field(*stores[2], "t1", "tag:urgent", "0"));
    changes.push_back(set_field(*stores[2], "t1", "note:01", "1\nseen the family"));
    // Then one has already heard of another's change before making its own: a later clock.
    REQUIRE(merge_field(*stores[2], changes[2]));
    changes.push_back(set_field(*stores[2], "t1", "status", "answered"));
    CHECK(changes.back().clock > changes[2].clock);

    // Every store receives every change, each in another order (its own come back too).
    std::vector<std::size_t> order(changes.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (std::size_t s = 0; s < stores.size(); ++s) {
        std::vector<std::size_t> mine = order;
        if (s == 1) std::reverse(mine.begin(), mine.end());
        if (s == 2) std::rotate(mine.begin(), mine.begin() + 3, mine.end());
        for (std::size_t i : mine) merge_field(*stores[s], changes[i]);
    }
    const std::string first = fields_of(*stores[0]);
    CHECK(fields_of(*stores[1]) == first);
    CHECK(fields_of(*stores[2]) == first);
    // The status written last, knowing of the others, wins everywhere.
    CHECK(contains_text(first, "t1|status|answered|"));
    // A change that is not newer changes nothing.
    CHECK_FALSE(merge_field(*stores[0], changes[0]));
}

TEST_CASE("a second opening of the store waits until the first lets go", "[case_store]") {
    test::TempDir dir;
    const crypto::SecretIdentity me = crypto::SecretIdentity::generate();
    auto first = std::make_unique<CaseStore>(dir / "store", me);
    set_status(*first, "aa", "read");
    std::atomic<bool> opened{false};
    std::string seen;
    std::thread second([&] {
        CaseStore again(dir / "store", me);
        opened = true;
        seen = fields_of(again);
    });
    // However long the second waits, it cannot get in while the first holds the store.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK_FALSE(opened.load());
    first->save();
    first.reset();
    second.join();
    CHECK(opened.load());
    // It read the store as the first left it.
    CHECK(contains_text(seen, "aa|status|read|"));
}

TEST_CASE("a safe copy refuses images past its limits and renderers that run too long",
          "[case_store][safe_copy]") {
    test::TempDir dir;
    std::string missing;
    REQUIRE(safe_copies_available(missing));
    // 12,000 pixels wide: past the 10,000 a page or image may have.
    REQUIRE(
        test::run_command("/usr/bin/gm convert -size 12000x4 xc:white " + test::q(dir / "wide.png"))
            .exit_code == 0);
    const test::Bytes wide = test::read_file(dir / "wide.png");
    REQUIRE(sniff_safe_copy_input(wide) == SafeCopyInput::png);
    try {
        make_safe_copy(wide, SafeCopyInput::png);
        FAIL("an image past the limit was copied");
    } catch (const tooling::ToolError& e) {
        CHECK(std::string(e.what()).find("too large") != std::string::npos);
    }
    // The same image within a lower output limit: the sandbox is stopped, not read to the end.
    REQUIRE(test::run_command("/usr/bin/gm convert -size 2000x2000 xc:white " +
                              test::q(dir / "big.png"))
                .exit_code == 0);
    SafeCopyLimits small;
    small.output_bytes = 1 << 20;
    CHECK_THROWS_AS(make_safe_copy(test::read_file(dir / "big.png"), SafeCopyInput::png, small),
                    tooling::ToolError);
    const SafeCopy copy = make_safe_copy(test::read_file(dir / "big.png"), SafeCopyInput::png);
    CHECK(copy.pages == 1);
    CHECK(copy.media_type == "image/png");
    CHECK(sniff_safe_copy_input(copy.bytes) == SafeCopyInput::png);
}

TEST_CASE("an Office document's safe copy is a PDF of its pages' pixels, with none of its text",
          "[case_store][safe_copy]") {
    test::TempDir dir;
    REQUIRE(office_copies_available());
    // Word, OpenDocument and RTF made by LibreOffice outside any sandbox, from a text whose words
    // must not survive as text: the copy holds pictures of the pages only.
    test::write_file(dir / "letter.txt",
                     std::string("MARKERBODYTEXT 두만강 건너 女性 page one\f second page\n"));
    for (const char* format : {"docx", "odt", "rtf", "doc"}) {
        INFO(format);
        const auto made = test::run_command(
            "cd " + test::q(dir.path()) + " && HOME=" + test::q(dir.path()) +
            " soffice --headless --norestore -env:UserInstallation=file://" +
            (dir / "profile").string() + " --convert-to " + format + " letter.txt >/dev/null 2>&1");
        REQUIRE(made.exit_code == 0);
        const test::Bytes original = test::read_file(dir / (std::string("letter.") + format));
        REQUIRE(sniff_safe_copy_input(original) == SafeCopyInput::office);
        const SafeCopy copy = make_safe_copy(original, SafeCopyInput::office);
        CHECK(copy.media_type == "application/pdf");
        CHECK(copy.pages >= 1);
        CHECK(sniff_safe_copy_input(copy.bytes) == SafeCopyInput::pdf);
        test::write_file(dir / "copy.pdf", copy.bytes);
        const auto text = test::run_command("pdftotext " + test::q(dir / "copy.pdf") + " -");
        REQUIRE(text.exit_code == 0);
        CHECK(text.out.find("MARKER") == std::string::npos);
        const std::string bytes(copy.bytes.begin(), copy.bytes.end());
        CHECK(bytes.find("MARKERBODYTEXT") == std::string::npos);
        CHECK(bytes.find("LibreOffice") == std::string::npos);  // no producer of the original
    }
    // A ZIP that is not an Office document is not taken for one, nor is plain text.
    REQUIRE(test::run_command("cd " + test::q(dir.path()) + " && gzip -c letter.txt > l.gz")
                .exit_code == 0);
    const test::Bytes zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 'a', '.', 't', 'x', 't'};
    CHECK(sniff_safe_copy_input(zip) == SafeCopyInput::unsupported);
    CHECK(sniff_safe_copy_input(test::read_file(dir / "letter.txt")) == SafeCopyInput::unsupported);
}

TEST_CASE("a store kept open lets others in between, and reads what they wrote", "[case_store]") {
    test::TempDir dir;
    const crypto::SecretIdentity me = crypto::SecretIdentity::generate();
    CaseStore kept(dir / "store", me);
    set_status(kept, "t", "read");
    kept.save();
    kept.release();
    CHECK_THROWS_AS(kept.save(), std::logic_error);
    {
        CaseStore other(dir / "store", me);  // would wait if the lock were still held
        CHECK(contains_text(fields_of(other), "t|status|read|"));
        set_status(other, "t", "closed");
        other.save();
    }
    kept.acquire();
    CHECK(contains_text(fields_of(kept), "t|status|closed|"));
    set_tag(kept, "t", "x", true);
    kept.save();
    kept.release();
    {
        CaseStore other(dir / "store", me);
        const std::string fields = fields_of(other);
        CHECK(contains_text(fields, "t|status|closed|"));
        CHECK(contains_text(fields, "t|tag:x|1|"));
    }
    // When nobody wrote in between, what it holds stays as it was.
    kept.acquire();
    set_tag(kept, "t", "y", true);
    kept.release();
    kept.acquire();
    CHECK(contains_text(fields_of(kept), "t|tag:y|1|"));
}

TEST_CASE("stores of versions 1 and 2 open as version 3, keep their triage and share it",
          "[case_store][team_state]") {
    const int from = GENERATE(1, 2);
    INFO("from version " << from);
    test::TempDir dir;
    const crypto::SecretIdentity me = crypto::SecretIdentity::generate();
    {
        CaseStore store(dir / "store", me);
        set_status(store, "aa", "needs_reply");
        set_tag(store, "aa", "x", true);
        // What a tipline-responder of that version wrote: no team-state tables, and for version 1
        // no team tables either.
        tooling::exec_sql(store.db(),
                          "DROP TABLE team_item; DROP TABLE unshared; DROP TABLE deleted_thread; "
                          "DROP TABLE lamport");
        if (from == 1) tooling::exec_sql(store.db(), "DROP TABLE team; DROP TABLE team_list");
        tooling::exec_sql(store.db(), ("PRAGMA user_version = " + std::to_string(from)).c_str());
        store.save();
    }
    CaseStore again(dir / "store", me);
    CHECK(contains_text(fields_of(again), "aa|status|needs_reply|"));
    CHECK_FALSE(stored_team(again));
    tooling::Statement version(again.db(), "PRAGMA user_version");
    REQUIRE(version.step());
    CHECK(version.int64(0) == 3);
    // The triage made before is this responder's to share, and the clock goes on from it.
    CHECK(unshared_count(again) == 2);
    CHECK(set_field(again, "aa", "status", "read").clock == 3);
}