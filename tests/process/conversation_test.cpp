// The whole conversation with the real tools against a real tiplined on 127.0.0.1: the witness
// sends text, a file and a photo with GPS metadata; the responder fetches, opens offline, replies
// and pushes; the witness reads the reply with the receipt and answers; the responder fetches that.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "image_fixtures.hpp"
#include "server_process.hpp"
#include "support.hpp"
#include "tipline/client/image_metadata.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/server/data_dir.hpp"
#include "tipline/server/store.hpp"
#include "tipline/tooling/key_io.hpp"

namespace fs = std::filesystem;
using namespace tipline;
using test::Deployment;
using test::ServerProcess;

namespace {

using test::responder_tool;
using test::submit;
using test::text_of;

using test::q;

// The single folder 'open' wrote for a given kind of item ("kind: tip" in info.txt), or empty.
std::vector<fs::path> folders_of_kind(const fs::path& dir, const std::string& kind) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.is_directory() &&
            text_of(e.path() / "info.txt").find("kind: " + kind + "\n") != std::string::npos) {
            out.push_back(e.path());
        }
    }
    return out;
}

struct Online {
    const Deployment& d;
    std::string responder_url;
    fs::path sign_key;
    fs::path sign_pass;
    test::CommandResult run(const std::string& args) const {
        return test::run_command(responder_tool() + " " + args + " --server " + responder_url +
                                 " --key " + q(sign_key) + " --passphrase-file " + q(sign_pass));
    }
};

}  // namespace

TEST_CASE("a full conversation between a witness and a responder with the tools",
          "[conversation][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const fs::path w = d.dir / "witness";
    const fs::path r = d.dir / "responder";
    fs::create_directories(w);
    fs::create_directories(r);

    // The online machine gets a sign-only copy of the key.
    const fs::path sign_pass = r / "sign.pass";
    test::write_file(sign_pass, std::string("online signing passphrase\n"));
    const auto signing = test::run_command(
        responder_tool() + " signing-key --key " + q(d.key) + " --passphrase-file " + q(d.pass) +
        " --new-passphrase-file " + q(sign_pass) + " --out " + q(r / "sign.key"));
    REQUIRE(signing.exit_code == 0);
    const Online online{d, "http://127.0.0.1:" + std::to_string(server.responder_port()),
                        r / "sign.key", sign_pass};

    // 1. The witness sends text and two files, one a photo with GPS metadata.
    test::write_file(w / "message.txt", std::string("거래된 여성들이 있습니다. 长白县。\n"));
    test::write_file(w / "notes.txt", std::string("names and places\n"));
    const test::Bytes photo = test::camera_jpeg_with_gps();
    client::CleanedImage before;
    REQUIRE_FALSE(client::strip_image_metadata(photo, before));
    REQUIRE(before.report.exif_gps);  // the photo really carries a position
    test::write_file(w / "photo.jpg", photo);
    const auto sent =
        test::run_command(submit() + " send --server " + server.url() + " --message-file " +
                          q(w / "message.txt") + " --file " + q(w / "notes.txt") + " --file " +
                          q(w / "photo.jpg") + " --lang ko --receipt-out " + q(w / "receipt.txt"));
    INFO("send stderr: " << sent.err);
    REQUIRE(sent.exit_code == 0);
    CHECK(std::regex_match(sent.out, std::regex("[0-9a-f]{32}\n")));
    CHECK(sent.err.find("removed from '" + (w / "photo.jpg").string() + "': exif") !=
          std::string::npos);
    CHECK(sent.err.find("gps") != std::string::npos);
    CHECK(sent.err.find("Your receipt:") != std::string::npos);
    const std::string receipt = text_of(w / "receipt.txt");
    CHECK(std::regex_match(receipt, std::regex("[0-9]{4}( [0-9]{4}){4}\n")));
    CHECK(sent.err.find(receipt.substr(0, 24)) != std::string::npos);  // shown once, as saved
    CHECK((fs::status(w / "receipt.txt").permissions() & fs::perms::others_read) ==
          fs::perms::none);

    // 2. The responder fetches (online, sign-only key) and opens offline (full key).
    const auto first = online.run("fetch --out " + q(r / "one.bundle"));
    INFO("fetch stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.out.find("fetched 1 items (1 tips, 0 follow-ups, 0 replies)") != std::string::npos);
    const auto cannot_open = test::run_command(
        responder_tool() + " open " + q(r / "one.bundle") + " --key " + q(r / "sign.key") +
        " --passphrase-file " + q(sign_pass) + " --out " + q(r / "nope"));
    CHECK(cannot_open.exit_code == 2);
    CHECK(cannot_open.err.find("signing-only key") != std::string::npos);
    const auto opened =
        test::run_command(responder_tool() + " open " + q(r / "one.bundle") + " --key " + q(d.key) +
                          " --passphrase-file " + q(d.pass) + " --out " + q(r / "inbox"));
    REQUIRE(opened.exit_code == 0);
    const auto tips = folders_of_kind(r / "inbox", "tip");
    REQUIRE(tips.size() == 1);
    CHECK(text_of(tips[0] / "message.txt") == text_of(w / "message.txt"));
    CHECK(text_of(tips[0] / "notes.txt") == "names and places\n");
    CHECK(text_of(tips[0] / "info.txt").find("reply: possible") != std::string::npos);
    CHECK(text_of(tips[0] / "info.txt").find("language: ko") != std::string::npos);
    // No GPS tag, nor any other metadata, survived in the photo the responder received.
    client::CleanedImage check;
    REQUIRE_FALSE(client::strip_image_metadata(test::read_file(tips[0] / "photo.jpg"), check));
    CHECK_FALSE(check.report.exif_gps);
    CHECK_FALSE(check.report.xmp_gps);
    CHECK_FALSE(check.report.found_any());
    CHECK(test::jpeg_has_no_gps(test::read_file(tips[0] / "photo.jpg")));
    // Fetching again finds nothing new.
    CHECK(online.run("fetch --out " + q(r / "empty.bundle")).out.find("fetched 0 items") !=
          std::string::npos);

    // 3. The responder replies offline and pushes online.
    test::write_file(r / "reply.txt", std::string("감사합니다. Are you safe now?\n"));
    const std::string tip_id = tips[0].filename().string().substr(11);
    // From another folder, with the interface's arguments only: 'open' noted where the tip is.
    const auto sealed =
        test::run_command("cd " + q(w) + " && " + responder_tool() + " reply --tip " + tip_id +
                          " --key " + q(d.key) + " --passphrase-file " + q(d.pass) +
                          " --message-file " + q(r / "reply.txt") + " --out " + q(r / "one.reply"));
    INFO("reply stderr: " << sealed.err);
    REQUIRE(sealed.exit_code == 0);
    // An unknown tip id is refused with a hint.
    const auto unknown = test::run_command(
        responder_tool() + " reply --tip 0123456789abcdef0123456789abcdef --key " + q(d.key) +
            " --passphrase-file " + q(d.pass) + " --out " + q(r / "x.reply"),
        "hi\n");
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("no folder for tip 0123456789abcdef0123456789abcdef") !=
          std::string::npos);
    const auto pushed = online.run("push " + q(r / "one.reply"));
    INFO("push stderr: " << pushed.err);
    REQUIRE(pushed.exit_code == 0);
    CHECK(pushed.out.find("stored as ") != std::string::npos);

    // 4. The witness reads the reply with the receipt and answers.
    const auto checked = test::run_command(submit() + " check --server " + server.url() +
                                           " --receipt-file " + q(w / "receipt.txt"));
    INFO("check stderr: " << checked.err);
    REQUIRE(checked.exit_code == 0);
    CHECK(checked.out.find("감사합니다. Are you safe now?") != std::string::npos);
    test::write_file(w / "answer.txt", std::string("Yes. There are two more women.\n"));
    const auto answered =
        test::run_command(submit() + " reply --server " + server.url() + " --receipt-file " +
                          q(w / "receipt.txt") + " --message-file " + q(w / "answer.txt"));
    INFO("reply stderr: " << answered.err);
    REQUIRE(answered.exit_code == 0);

    // 5. The responder fetches the follow-up (and the thread's own reply) and reads it.
    const auto second = online.run("fetch --out " + q(r / "two.bundle") + " --delete");
    REQUIRE(second.exit_code == 0);
    CHECK(second.out.find("fetched 2 items (0 tips, 1 follow-ups, 1 replies)") !=
          std::string::npos);
    CHECK(second.out.find("deleted 2 items on the server") != std::string::npos);
    REQUIRE(test::run_command(responder_tool() + " open " + q(r / "two.bundle") + " --key " +
                              q(d.key) + " --passphrase-file " + q(d.pass) + " --out " +
                              q(r / "inbox2"))
                .exit_code == 0);
    const auto follow_ups = folders_of_kind(r / "inbox2", "follow-up");
    REQUIRE(follow_ups.size() == 1);
    CHECK(text_of(follow_ups[0] / "message.txt") == "Yes. There are two more women.\n");
    // The responder's own reply came back too, readable with the responder's key: the thread is
    // whole.
    const auto replies = folders_of_kind(r / "inbox2", "reply");
    REQUIRE(replies.size() == 1);
    CHECK(text_of(replies[0] / "message.txt") == "감사합니다. Are you safe now?\n");
}

TEST_CASE("a wrong receipt reads nothing, and a bad reply file is refused before anything is sent",
          "[conversation][server]") {
    Deployment d;
    ServerProcess server(d.data);
    test::write_file(d.dir / "m.txt", std::string("hello\n"));
    REQUIRE(test::run_command(submit() + " send --server " + server.url() + " --message-file " +
                              q(d.dir / "m.txt") + " --receipt-out " + q(d.dir / "receipt.txt"))
                .exit_code == 0);
    // A --receipt-out that exists stops the run before anything is sent: the receipt must never be
    // lost after the tip is stored.
    const auto refused =
        test::run_command(submit() + " send --server " + server.url() + " --message-file " +
                          q(d.dir / "m.txt") + " --receipt-out " + q(d.dir / "receipt.txt"));
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("already exists") != std::string::npos);
    CHECK(test::stored_tips(d.data) == 1);
    // A receipt of the right shape that belongs to no tip.
    std::string wrong = text_of(d.dir / "receipt.txt");
    wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
    test::write_file(d.dir / "wrong.txt", wrong);
    const auto checked = test::run_command(submit() + " check --server " + server.url() +
                                           " --receipt-file " + q(d.dir / "wrong.txt"));
    CHECK(checked.exit_code == 1);
    CHECK(checked.err.find("no replies can be found with this receipt") != std::string::npos);
    // Not a receipt at all.
    test::write_file(d.dir / "junk.txt", std::string("1234 5678\n"));
    const auto junk = test::run_command(submit() + " check --server " + server.url() +
                                        " --receipt-file " + q(d.dir / "junk.txt"));
    CHECK(junk.exit_code == 2);
    CHECK(junk.err.find("that is not a receipt") != std::string::npos);
    // The right one works and finds no reply yet.
    const auto ok = test::run_command(submit() + " check --server " + server.url() +
                                      " --receipt-file " + q(d.dir / "receipt.txt"));
    CHECK(ok.exit_code == 0);
    CHECK(ok.out == "no replies yet\n");

    // push checks every file first.
    test::write_file(d.dir / "not.reply", std::string("TIPLNRPL but not really"));
    const auto pushed =
        test::run_command(responder_tool() + " push --server http://127.0.0.1:" +
                          std::to_string(server.responder_port()) + " --key " + q(d.key) +
                          " --passphrase-file " + q(d.pass) + " " + q(d.dir / "not.reply"));
    CHECK(pushed.exit_code == 2);
    CHECK(pushed.err.find("is not a reply file") != std::string::npos);
}

TEST_CASE("a large tip goes on after the client is killed midway, completes and decrypts",
          "[conversation][server]") {
    // Small chunks, so the upload takes many durable steps and the kill lands in the middle of it.
    Deployment d(std::map<std::string, std::string>{{"upload_chunk_bytes", "16384"}});
    ServerProcess server(d.data);
    const test::Bytes big = test::pattern_bytes(24 * 1024 * 1024, 5);
    test::write_file(d.dir / "video.bin", big);
    test::write_file(d.dir / "m.txt", std::string("see the file\n"));
    const fs::path resume = d.dir / "tip.resume";

    // The first run goes to the background; it is killed once part of the upload is durable.
    const auto started = test::run_command(
        submit() + " send --server " + server.url() + " --message-file " + q(d.dir / "m.txt") +
        " --file " + q(d.dir / "video.bin") + " --resume-file " + q(resume) + " > " +
        q(d.dir / "first.out") + " 2> " + q(d.dir / "first.err") + " & echo $!");
    REQUIRE(started.exit_code == 0);
    const pid_t pid = std::stoi(started.out);
    std::uint64_t stored = 0;
    for (int i = 0; i < 3000 && stored == 0;
         ++i) {  // at most 30 s; a hang fails instead of blocking
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::string header(62, '\0');
        std::ifstream in(resume, std::ios::binary);
        if (!in.read(header.data(), 62) || header[30] == '\0') continue;
        const std::string key = header.substr(30);
        const std::string status =
            test::raw_http(server.port(), "GET /api/v1/uploads/" + key +
                                              " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        const auto at = status.find("\"offset\":");
        if (at != std::string::npos) stored = std::stoull(status.substr(at + 9));
    }
    INFO("first run's stderr: " << (fs::exists(d.dir / "first.err") ? text_of(d.dir / "first.err")
                                                                    : ""));
    REQUIRE(stored > 0);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);  // not our child when the shell started it; harmless then
    // Gone, or a zombie nobody has reaped yet: either way it writes nothing more.
    CHECK(test::eventually([&] {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(stat, line)) return true;
        return line.substr(line.rfind(')') + 2, 1) == "Z";
    }));
    REQUIRE(fs::exists(resume));
    CHECK(text_of(d.dir / "first.err").find("Your receipt:") ==
          std::string::npos);  // not sent, so not shown

    // Running again with the resume file alone goes on from the stored offset and finishes.
    const auto resumed =
        test::run_command(submit() + " send --server " + server.url() + " --resume-file " +
                          q(resume) + " --receipt-out " + q(d.dir / "receipt.txt"));
    INFO("resume stderr: " << resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(std::regex_match(resumed.out, std::regex("[0-9a-f]{32}\n")));
    CHECK(resumed.err.find("resuming the tip in") != std::string::npos);
    CHECK(resumed.err.find("Your receipt:") != std::string::npos);
    CHECK_FALSE(fs::exists(resume));  // it held the receipt: gone once the tip is stored

    // The tip decrypts to exactly what was sealed, and its mailbox works with the receipt.
    REQUIRE(test::run_command(test::tool("server/tiplined") + " export " + q(d.data) + " --out " +
                              q(d.dir / "all.bundle"))
                .exit_code == 0);
    REQUIRE(test::run_command(responder_tool() + " open " + q(d.dir / "all.bundle") + " --key " +
                              q(d.key) + " --passphrase-file " + q(d.pass) + " --out " +
                              q(d.dir / "opened"))
                .exit_code == 0);
    const auto tips = folders_of_kind(d.dir / "opened", "tip");
    REQUIRE(tips.size() == 1);
    CHECK(test::read_file(tips[0] / "video.bin") == big);
    CHECK(text_of(tips[0] / "message.txt") == "see the file\n");
    const auto checked = test::run_command(submit() + " check --server " + server.url() +
                                           " --receipt-file " + q(d.dir / "receipt.txt"));
    CHECK(checked.exit_code == 0);
    CHECK(checked.out == "no replies yet\n");
}

TEST_CASE("fetch downloads an item too large for one bundle in parts", "[conversation][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const test::Bytes big = test::pattern_bytes(40 * 1024 * 1024 + 7, 8);
    test::write_file(d.dir / "big.bin", big);
    test::write_file(d.dir / "m.txt", std::string("large\n"));
    test::write_file(d.dir / "small.txt", std::string("small\n"));
    REQUIRE(test::run_command(submit() + " send --server " + server.url() + " --message-file " +
                              q(d.dir / "small.txt"))
                .exit_code == 0);
    REQUIRE(test::run_command(submit() + " send --server " + server.url() + " --message-file " +
                              q(d.dir / "m.txt") + " --file " + q(d.dir / "big.bin"))
                .exit_code == 0);
    const auto fetched =
        test::run_command(responder_tool() + " fetch --server http://127.0.0.1:" +
                          std::to_string(server.responder_port()) + " --key " + q(d.key) +
                          " --passphrase-file " + q(d.pass) + " --out " + q(d.dir / "b.bundle"));
    INFO("fetch stderr: " << fetched.err);
    REQUIRE(fetched.exit_code == 0);
    CHECK(fetched.out.find("fetched 2 items (2 tips") != std::string::npos);
    REQUIRE(test::run_command(responder_tool() + " open " + q(d.dir / "b.bundle") + " --key " +
                              q(d.key) + " --passphrase-file " + q(d.pass) + " --out " +
                              q(d.dir / "opened"))
                .exit_code == 0);
    const auto tips = folders_of_kind(d.dir / "opened", "tip");
    REQUIRE(tips.size() == 2);
    std::size_t matched = 0;
    for (const auto& t : tips) {
        if (fs::exists(t / "big.bin")) {
            CHECK(test::read_file(t / "big.bin") == big);
            ++matched;
        } else {
            CHECK(text_of(t / "message.txt") == "small\n");
        }
    }
    CHECK(matched == 1);
}

TEST_CASE("fetch pages through more items than one listing or acknowledgement takes",
          "[conversation][server]") {
    Deployment d;
    {
        // 10001 stored tips, written straight into the store: one past the API's 10000 per request.
        const auto pub = tipline::tooling::load_public_key(d.pub.string());
        const crypto::BoxPublicKey to[] = {pub.box};
        const test::Bytes envelope = test::seal_bytes(to, test::Bytes{'x'});
        auto store = server::Store::open(server::database_path(d.data), false);
        store->in_transaction([&] {
            for (int i = 0; i < 10001; ++i)
                store->insert_tip(server::TipId::random(), server::current_day(), envelope);
        });
    }
    ServerProcess server(d.data);
    const std::string fetch = responder_tool() + " fetch --server http://127.0.0.1:" +
                              std::to_string(server.responder_port()) + " --key " + q(d.key) +
                              " --passphrase-file " + q(d.pass) + " --out ";
    const auto first = test::run_command(fetch + q(d.dir / "all.bundle"));
    INFO("fetch stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.out.find("fetched 10001 items (10001 tips") != std::string::npos);
    CHECK(first.out.find("marked as fetched 10001 items on the server") != std::string::npos);
    const auto bundle = test::read_file(d.dir / "all.bundle");
    crypto::MemorySource in(bundle);
    std::vector<crypto::BundleEntry> entries;
    REQUIRE_FALSE(crypto::read_bundle_manifest(in, bundle.size(), entries));
    CHECK(entries.size() == 10001);
    CHECK(test::run_command(fetch + q(d.dir / "none.bundle")).out.find("fetched 0 items") !=
          std::string::npos);
}
