// The organisation key end to end with the real tools and a real tiplined: a signed list installed,
// a responder joining and one leaving while the server runs, the witness pinning only the
// organisation, signed replies, and a seized server rolling the list back.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "server_process.hpp"
#include "support.hpp"
#include "tipline/crypto/bytes.hpp"

namespace fs = std::filesystem;
using namespace tipline;
using test::q;

namespace {

using test::responder_tool;
using test::submit;
using test::tiplined;

struct Key {
    fs::path key, pub, pass;
    std::string fingerprint;
};

// A key pair; organisation for the NGO's list-signing key. Its fingerprint as the tool prints it.
Key make_key(const fs::path& dir, const std::string& name, bool organisation = false) {
    Key k{dir / name, dir / (name + ".pub"), dir / (name + ".pass"), {}};
    test::write_key_pair(k.key, k.pass, "passphrase of " + name, organisation);
    const auto printed = test::run_command(responder_tool() + (organisation ? " org" : "") +
                                           " fingerprint " + q(k.pub));
    REQUIRE(printed.exit_code == 0);
    k.fingerprint = printed.out.substr(0, 29);
    REQUIRE(std::regex_match(k.fingerprint, std::regex("[0-9]{5}( [0-9]{5}){4}")));
    return k;
}

Key deployment_key(const test::Deployment& d) {
    const auto fp = test::run_command(responder_tool() + " fingerprint " + q(d.pub));
    REQUIRE(fp.exit_code == 0);
    return {d.key, d.pub, d.pass, fp.out.substr(0, 29)};
}

test::CommandResult sign_list(const Key& org, const std::vector<const Key*>& who,
                              const std::string& serial_or_previous, const fs::path& out) {
    std::string args;
    for (const Key* k : who) args += " --responder " + q(k->pub);
    return test::run_command(responder_tool() + " org sign --key " + q(org.key) +
                             " --passphrase-file " + q(org.pass) + args + " " + serial_or_previous +
                             " --out " + q(out));
}

// The list the server serves, as hex, or "" (GET /api/v1/keys).
std::string served_list(unsigned short port) {
    const std::string body = test::body_of(
        test::raw_http(port, "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::smatch m;
    return std::regex_search(body, m, std::regex("\"recipient_list\":\"([0-9a-f]+)\"")) ? m[1].str()
                                                                                        : "";
}

// Waits (without asserting any time) until the running server serves this list file.
bool serves(unsigned short port, const fs::path& list) {
    const std::string want = crypto::to_hex(test::read_file(list));
    for (int i = 0; i < 300; ++i) {
        if (served_list(port) == want) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

struct OpenCounts {
    int exit_code;
    std::size_t opened, other;
};

OpenCounts open_bundle(const Key& k, const fs::path& bundle, const fs::path& out) {
    const auto r =
        test::run_command(responder_tool() + " open " + q(bundle) + " --key " + q(k.key) +
                          " --passphrase-file " + q(k.pass) + " --out " + q(out));
    std::smatch m;
    if (!std::regex_search(r.out, m, std::regex("([0-9]+) opened, ([0-9]+) for other keys")))
        return {r.exit_code, 0, 0};
    return {r.exit_code, std::stoul(m[1]), std::stoul(m[2])};
}

// The tip folder 'open' wrote under dir for the tip with this message.
fs::path tip_folder(const fs::path& dir, const std::string& message = "first tip\n") {
    for (const auto& e : fs::directory_iterator(dir)) {
        if (test::as_text(test::read_file(e.path() / "info.txt")).find("kind: tip\n") !=
                std::string::npos &&
            test::as_text(test::read_file(e.path() / "message.txt")) == message) {
            return e.path();
        }
    }
    FAIL("no tip folder in " << dir);
    return {};
}

}  // namespace

TEST_CASE(
    "the organisation's list through a rotation: a tip sealed after it does not open with the "
    "removed key, "
    "and the witness trusts only current responders' replies",
    "[organisation][server]") {
    test::Deployment d;
    const Key a = deployment_key(d);
    const Key b = make_key(d.dir.path(), "bob"), c = make_key(d.dir.path(), "carol"),
              org = make_key(d.dir.path(), "org", true);
    const fs::path w = d.dir / "witness";
    fs::create_directories(w);

    // The organisation signs Alice and Bob; the operator installs the list before serving.
    const fs::path l1 = d.dir / "one.list", l2 = d.dir / "two.list";
    REQUIRE(sign_list(org, {&a, &b}, "--serial 1", l1).exit_code == 0);
    const auto shown = test::run_command(responder_tool() + " org show " + q(l1) + " --expect " +
                                         q(org.fingerprint));
    CHECK(shown.exit_code == 0);
    CHECK(shown.out.find("responder " + b.fingerprint) != std::string::npos);
    const auto installed =
        test::run_command(tiplined() + " recipients install " + q(d.data) + " " + q(l1));
    INFO("install: " << installed.out << installed.err);
    REQUIRE(installed.exit_code == 0);
    test::ServerProcess server(d.data);
    REQUIRE(served_list(server.port()) == crypto::to_hex(test::read_file(l1)));

    // The witness pins only the organisation's fingerprint, as printed on a flyer: with dashes.
    std::string flyer = org.fingerprint;
    std::replace(flyer.begin(), flyer.end(), ' ', '-');
    const std::string witness_trust = " --expect " + q(flyer) + " --remember " + q(w / "seen");
    test::write_file(w / "one.txt", std::string("first tip\n"));
    const auto first = test::run_command(submit() + " send --server " + server.url() +
                                         witness_trust + " --message-file " + q(w / "one.txt") +
                                         " --receipt-out " + q(w / "receipt"));
    INFO("first send: " << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.err.find("vouches for 2 responder(s): list serial 1") != std::string::npos);
    CHECK(test::as_text(test::read_file(w / "seen")).ends_with(" 1\n"));

    // Bob opens it and answers; the witness sees his reply as the NGO's.
    const fs::path one = test::export_all(d, "one");
    const OpenCounts bob_one = open_bundle(b, one, d.dir / "bob-one");
    CHECK((bob_one.exit_code == 0 && bob_one.opened == 1));
    test::write_file(d.dir / "bob-reply.txt", std::string("Bob here. We read your tip.\n"));
    REQUIRE(test::run_command(responder_tool() + " reply --tip " +
                              q(tip_folder(d.dir / "bob-one")) + " --key " + q(b.key) +
                              " --passphrase-file " + q(b.pass) + " --message-file " +
                              q(d.dir / "bob-reply.txt") + " --out " + q(d.dir / "bob.reply"))
                .exit_code == 0);
    const std::string responder_api =
        " --server http://127.0.0.1:" + std::to_string(server.responder_port());
    const auto bob_push =
        test::run_command(responder_tool() + " push" + responder_api + " --key " + q(b.key) +
                          " --passphrase-file " + q(b.pass) + " " + q(d.dir / "bob.reply"));
    INFO("bob push: " << bob_push.err);
    REQUIRE(bob_push.exit_code == 0);
    const std::string check = submit() + " check --server " + server.url() + witness_trust +
                              " --receipt-file " + q(w / "receipt");
    const auto read_bob = test::run_command(check);
    REQUIRE(read_bob.exit_code == 0);
    CHECK(read_bob.out.find("from the NGO, signed by responder " + b.fingerprint) !=
          std::string::npos);
    CHECK(read_bob.out.find("Bob here. We read your tip.") != std::string::npos);

    // Bob leaves, Carol joins: one command offline, one on the server, no restart.
    const auto signed_two = sign_list(org, {&a, &c}, "--previous " + q(l1), l2);
    REQUIRE(signed_two.exit_code == 0);
    CHECK(signed_two.out.find("joins: responder " + c.fingerprint) != std::string::npos);
    CHECK(signed_two.out.find("leaves: responder " + b.fingerprint) != std::string::npos);
    const auto rotated =
        test::run_command(tiplined() + " recipients install " + q(d.data) + " " + q(l2));
    INFO("install two: " << rotated.out << rotated.err);
    REQUIRE(rotated.exit_code == 0);
    REQUIRE(serves(server.port(), l2));

    // Bob's key no longer opens the responder API.
    const auto bob_fetch =
        test::run_command(responder_tool() + " fetch" + responder_api + " --key " + q(b.key) +
                          " --passphrase-file " + q(b.pass) + " --out " + q(d.dir / "bob.bundle"));
    CHECK(bob_fetch.exit_code == 1);
    CHECK(bob_fetch.err.find("does not accept this responder's signature") != std::string::npos);
    CHECK_FALSE(fs::exists(d.dir / "bob.bundle"));

    // A tip sealed after the rotation opens with Alice and Carol, not with Bob.
    test::write_file(w / "two.txt", std::string("second tip\n"));
    const auto second = test::run_command(submit() + " send --server " + server.url() +
                                          witness_trust + " --message-file " + q(w / "two.txt"));
    INFO("second send: " << second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(second.err.find("list serial 2") != std::string::npos);
    const std::string second_id = second.out.substr(0, 32);
    const auto has_folder = [&](const fs::path& dir) {
        for (const auto& e : fs::directory_iterator(dir)) {
            if (e.path().filename().string().ends_with("-" + second_id)) return true;
        }
        return false;
    };
    // The export holds the first tip, Bob's reply (sealed to him too) and the second tip.
    const fs::path both = test::export_all(d, "both");
    const OpenCounts bob_both = open_bundle(b, both, d.dir / "bob-both");
    CHECK((bob_both.opened == 2 && bob_both.other == 1));
    CHECK_FALSE(has_folder(d.dir / "bob-both"));
    const OpenCounts carol_both = open_bundle(c, both, d.dir / "carol-both");
    CHECK((carol_both.opened == 1 && carol_both.other == 2));
    CHECK(has_folder(d.dir / "carol-both"));
    const OpenCounts alice_both = open_bundle(a, both, d.dir / "alice-both");
    CHECK(alice_both.opened == 2);
    CHECK(has_folder(d.dir / "alice-both"));

    // Bob's reply is no longer shown as the NGO's; Alice's, written now, is.
    const auto after_rotation = test::run_command(check);
    REQUIRE(after_rotation.exit_code == 0);
    CHECK(after_rotation.out.find("Bob here.") == std::string::npos);
    CHECK(after_rotation.err.find(
              "1 message(s) in the mailbox are not signed by a responder you trust") !=
          std::string::npos);
    test::write_file(d.dir / "alice-reply.txt", std::string("Alice here.\n"));
    REQUIRE(test::run_command(responder_tool() + " reply --tip " +
                              q(tip_folder(d.dir / "alice-both")) + " --key " + q(a.key) +
                              " --passphrase-file " + q(a.pass) + " --message-file " +
                              q(d.dir / "alice-reply.txt") + " --out " + q(d.dir / "alice.reply"))
                .exit_code == 0);
    REQUIRE(test::run_command(responder_tool() + " push" + responder_api + " --key " + q(a.key) +
                              " --passphrase-file " + q(a.pass) + " " + q(d.dir / "alice.reply"))
                .exit_code == 0);
    const auto read_alice = test::run_command(check);
    CHECK(read_alice.out.find("from the NGO, signed by responder " + a.fingerprint) !=
          std::string::npos);
    CHECK(read_alice.out.find("Alice here.") != std::string::npos);
    CHECK(read_alice.out.find("Bob here.") == std::string::npos);

    // The operator cannot install the old list again by mistake.
    const auto back =
        test::run_command(tiplined() + " recipients install " + q(d.data) + " " + q(l1));
    CHECK(back.exit_code == 1);
    CHECK(back.err.find("would roll the list back") != std::string::npos);

    // A seized server puts the old list, which names Bob, back in place by hand.
    const long before = test::stored_tips(d.data);
    fs::copy_file(l1, d.data / "recipients.list", fs::copy_options::overwrite_existing);
    REQUIRE(serves(server.port(), l1));
    const auto rolled = test::run_command(submit() + " send --server " + server.url() +
                                          witness_trust + " --message-file " + q(w / "two.txt"));
    CHECK(rolled.exit_code == 1);
    CHECK(rolled.err.find("(serial 1) is older than one seen before (serial 2)") !=
          std::string::npos);
    CHECK(test::stored_tips(d.data) == before);
    // Without a memory the tool cannot tell: the limit SECURITY.md states, and why lists expire.
    const auto forgetful =
        test::run_command(submit() + " send --server " + server.url() + " --expect " +
                          q(org.fingerprint) + " --message-file " + q(w / "two.txt"));
    CHECK(forgetful.exit_code == 0);
    CHECK(forgetful.err.find("list serial 1") != std::string::npos);
}

TEST_CASE("organisation keys and responder keys are never taken for one another",
          "[organisation]") {
    test::TempDir dir;
    const Key org = make_key(dir.path(), "org", true), alice = make_key(dir.path(), "alice");
    // A list signed with a responder's key, and a responder command given the organisation's key.
    const auto wrong_signer = sign_list(alice, {&alice}, "--serial 1", dir / "x.list");
    CHECK(wrong_signer.exit_code == 2);
    CHECK(wrong_signer.err.find("is a responder's key, not the organisation's") !=
          std::string::npos);
    const auto wrong_use = test::run_command(
        responder_tool() + " signing-key --key " + q(org.key) + " --passphrase-file " +
        q(org.pass) + " --new-passphrase-file " + q(org.pass) + " --out " + q(dir / "s.key"));
    CHECK(wrong_use.exit_code == 2);
    CHECK(wrong_use.err.find("is the organisation's key, not a responder's") != std::string::npos);
    CHECK(test::run_command(responder_tool() + " fingerprint " + q(org.pub)).exit_code == 2);
    CHECK(test::run_command(responder_tool() + " org fingerprint " + q(alice.pub)).exit_code == 2);
    const auto org_fp = test::run_command(responder_tool() + " org fingerprint " + q(org.pub));
    CHECK(org_fp.out == org.fingerprint + "\n");
    CHECK(org_fp.out.substr(0, 29) != alice.fingerprint);

    // A list that names a responder twice, a past expiry, a first list without a serial.
    CHECK(sign_list(org, {&alice, &alice}, "--serial 1", dir / "twice.list").exit_code == 2);
    CHECK(
        sign_list(org, {&alice}, "--serial 1 --expires 2020-01-01", dir / "past.list").exit_code ==
        2);
    CHECK(sign_list(org, {&alice}, "", dir / "none.list").exit_code == 2);
    CHECK_FALSE(fs::exists(dir / "twice.list"));
    // A list another organisation signed is shown, and refused when the expected one is named.
    const Key other = make_key(dir.path(), "other", true);
    REQUIRE(sign_list(other, {&alice}, "--serial 1", dir / "other.list").exit_code == 0);
    const auto shown = test::run_command(responder_tool() + " org show " + q(dir / "other.list") +
                                         " --expect " + q(org.fingerprint));
    CHECK(shown.exit_code == 1);
    CHECK(shown.err.find("not signed by the organisation key you expect") != std::string::npos);
    // --previous of another organisation's list is refused: its serials are not this one's.
    CHECK(sign_list(org, {&alice}, "--previous " + q(dir / "other.list"), dir / "next.list")
              .exit_code == 2);
    auto altered = test::read_file(dir / "other.list");
    altered[60] ^= 1;
    test::write_file(dir / "altered.list", altered);
    CHECK(test::run_command(responder_tool() + " org show " + q(dir / "altered.list")).exit_code ==
          1);
}
