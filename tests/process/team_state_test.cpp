// The team's state with the real tools and a real tiplined: three responders triage the same
// conversations on their own machines, in different orders, share and push their changes, fetch
// and import each other's, and end with identical stores; the server's data never holds a word of
// a note or a tag; a responder outside the team cannot change anyone's triage.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "responder_team.hpp"
#include "server_process.hpp"
#include "support.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/responder/case_store.hpp"
#include "tipline/tooling/key_io.hpp"
#include "tipline/tooling/sqlite.hpp"

namespace fs = std::filesystem;
using namespace tipline;
using namespace tipline::test;

namespace {

struct Member {
    std::string name;
    Responder r;
    fs::path store;
    int bundles = 0;
};

std::string fingerprint_of(const Responder& r) {
    return crypto::fingerprint(tooling::load_public_key(r.pub.string()));
}

std::string responder_url(const ServerProcess& server) {
    return "http://127.0.0.1:" + std::to_string(server.responder_port());
}

// Fetches what is new for this responder into a new bundle, and returns its path.
fs::path fetch_new(const ServerProcess& server, Member& m, const fs::path& dir) {
    const fs::path bundle = dir / (m.name + "-" + std::to_string(++m.bundles) + ".bundle");
    const auto r = fetch(server, m.r, bundle);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return bundle;
}

CommandResult import(const Member& m, const fs::path& bundle) {
    const auto r = responder_run("import " + q(bundle), m.r, m.store);
    INFO(m.name << " import: " << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return r;
}

void triage(const Member& m, const std::string& conversation, const std::string& flags) {
    const auto r = responder_run("triage " + conversation, m.r, m.store, flags);
    INFO(m.name << " triage " << flags << ": " << r.err);
    REQUIRE(r.exit_code == 0);
}

// tipline-responder share, then push of what it sealed and of any other files given.
std::string share_and_push(const ServerProcess& server, const Member& m,
                           const std::vector<fs::path>& more = {}) {
    const auto shared = responder_run("share", m.r, m.store);
    INFO(m.name << " share: " << shared.out << shared.err);
    REQUIRE(shared.exit_code == 0);
    std::string files;
    for (const fs::path& f : more) files += " " + q(f);
    if (fs::exists(m.store / "outbox")) {
        for (const auto& e : fs::directory_iterator(m.store / "outbox")) {
            if (e.path().extension() == ".team") files += " " + q(e.path());
        }
    }
    if (files.empty()) return shared.out;
    const auto pushed =
        run_command(responder_tool() + " push --server " + responder_url(server) + " --key " +
                    q(m.r.key) + " --passphrase-file " + q(m.r.pass) + files);
    INFO(m.name << " push: " << pushed.err);
    REQUIRE(pushed.exit_code == 0);
    // Pushed: out of the outbox, as a responder clears the USB stick.
    if (fs::exists(m.store / "outbox")) {
        for (const auto& e : fs::directory_iterator(m.store / "outbox")) fs::remove(e.path());
    }
    return shared.out;
}

// Every row of the store that the team's machines must agree on. Attachment files and their search
// rows are named by random ids each machine draws, so attachments are compared by what they are.
std::string dump(const Member& m) {
    const crypto::SecretIdentity identity =
        tooling::load_secret_key(m.r.key, tooling::PassphraseSource{m.r.pass, -1});
    responder::CaseStore store(m.store, identity);
    const char* queries[] = {
        "SELECT thread, lower(hex(reply_key)), first_day, last_day FROM conversation ORDER BY "
        "thread",
        "SELECT lower(hex(m.item)), c.thread, m.kind, m.day, m.written, m.language, m.body, "
        "coalesce(m.signer, '') FROM message m JOIN conversation c ON c.id = m.conversation ORDER "
        "BY m.item",
        "SELECT lower(hex(m.item)), a.position, a.name, a.media_type, a.size FROM attachment a "
        "JOIN message m ON m.id = a.message ORDER BY m.item, a.position",
        "SELECT thread, name, value, clock, writer, day FROM field ORDER BY thread, name",
        "SELECT text, thread, source FROM search WHERE source NOT LIKE 'attachment:%' ORDER BY "
        "source, thread",
        "SELECT fingerprint, position FROM team ORDER BY fingerprint",
    };
    std::string out;
    for (const char* sql : queries) {
        tooling::Statement st(store.db(), sql);
        out += std::string("== ") + sql + "\n";
        while (st.step()) {
            for (int i = 0; i < st.columns(); ++i) out += (i ? " | " : "") + st.text(i);
            out += "\n";
        }
    }
    return out;
}

// The lines one dump has and the other lacks, to show what differs when they should not.
std::string difference(const std::string& a, const std::string& b) {
    const auto lines = [](const std::string& text) {
        std::multiset<std::string> out;
        std::size_t at = 0;
        while (at < text.size()) {
            const std::size_t end = std::min(text.find('\n', at), text.size());
            out.insert(text.substr(at, end - at));
            at = end + 1;
        }
        return out;
    };
    const auto x = lines(a), y = lines(b);
    std::string out;
    for (const std::string& l : x)
        if (x.count(l) > y.count(l)) out += "- " + l + "\n";
    for (const std::string& l : y)
        if (y.count(l) > x.count(l)) out += "+ " + l + "\n";
    return out;
}

std::string field_of(const std::string& dumped, const std::string& thread,
                     const std::string& name) {
    const std::string prefix = thread + " | " + name + " | ";
    const std::size_t at = dumped.find("\n" + prefix);
    if (at == std::string::npos) return "(none)";
    const std::size_t start = at + 1 + prefix.size();
    return dumped.substr(start, dumped.find(" | ", start) - start);
}

std::string all_bytes_under(const fs::path& dir) {
    std::string out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) out += as_text(read_file(e.path()));
    }
    return out;
}

// The full thread id of the conversation whose listing line holds part.
std::string thread_with(const Member& m, const std::string& part) {
    const auto listed = responder_run("conversations", m.r, m.store);
    REQUIRE(listed.exit_code == 0);
    std::size_t at = listed.out.find(part);
    REQUIRE(at != std::string::npos);
    const std::size_t line = listed.out.rfind('\n', at);
    const std::string short_id = listed.out.substr(line == std::string::npos ? 0 : line + 1, 8);
    const auto shown = responder_run("show " + short_id, m.r, m.store);
    REQUIRE(shown.exit_code == 0);
    const std::size_t id_at = shown.out.find(short_id);
    REQUIRE(id_at != std::string::npos);
    std::size_t end = id_at;
    while (end < shown.out.size() && std::isxdigit(static_cast<unsigned char>(shown.out[end])))
        ++end;
    return shown.out.substr(id_at, end - id_at);
}

}  // namespace

TEST_CASE("three responders triage apart, share through the server and end with identical stores",
          "[team_state][case_store][server]") {
    Deployment d;
    Member alice{"alice", first_responder(d), d.dir / "alice-store"};
    Member bob{"bob", add_responder(d, "bob.key"), d.dir / "bob-store"};
    Member carol{"carol", add_responder(d, "carol.key"), d.dir / "carol-store"};
    // A responder the server serves but the organisation's list leaves out of the team.
    Member mallory{"mallory", add_responder(d, "mallory.key"), d.dir / "mallory-store"};
    ServerProcess server(d.data);

    // The organisation signs the team; each machine pins it.
    const SignedTeam team = sign_team(d.dir.path(), {&alice.r, &bob.r, &carol.r});
    const fs::path& list = team.list;
    const std::string& expect = team.organisation_fingerprint;

    // Witnesses write in Korean, English and Chinese.
    const fs::path w1 =
        send_tip(server, d.dir / "w1", "첫째 제보: 두만강 건너 여성 세 명이 팔려 갔습니다.");
    send_tip(server, d.dir / "w2", "Second tip: women sold to farms near Yanji.");
    send_tip(server, d.dir / "w3", "第三个举报：她们在边境被卖到农村。");

    for (Member* m : {&alice, &bob, &carol}) {
        // Before the team is set, nothing can be shared.
        if (m == &alice) {
            const auto early = responder_run("share", m->r, m->store);
            CHECK(early.exit_code == 2);
            CHECK(contains(early.err, "no team"));
        }
        const auto set =
            responder_run("team set " + q(list), m->r, m->store, "--expect " + q(expect));
        INFO(set.err);
        REQUIRE(set.exit_code == 0);
        import(*m, fetch_new(server, *m, d.dir.path()));
    }
    const std::string c1 = thread_with(alice, "첫째 제보");
    const std::string c2 = thread_with(alice, "Second tip");
    const std::string c3 = thread_with(alice, "第三个举报");

    // Round 1: each machine triages on its own, some of it on the same fields at the same time.
    write_file(d.dir / "note-alice.txt", std::string("MARKERNOTEALICE 단속 일정 확인 필요"));
    write_file(d.dir / "note-bob.txt", std::string("MARKERNOTEBOB 联系了当地的合作伙伴"));
    triage(alice, c1,
           "--status needs_reply --tag MARKERTAGALPHA --note-file " + q(d.dir / "note-alice.txt"));
    triage(alice, c2, "--assign " + q(fingerprint_of(bob.r)));
    triage(bob, c1, "--status closed --tag MARKERTAGBRAVO");
    triage(bob, c3, "--note-file " + q(d.dir / "note-bob.txt") + " --tag 긴급");
    triage(carol, c1, "--untag MARKERTAGALPHA");
    triage(carol, c2, "--status read --assign me");

    // Replies from each responder, copied to the whole team (a reply copied to nobody stays in
    // its writer's store and the witness's mailbox only).
    const auto reply = [&](const Member& m, const std::string& thread, const std::string& text,
                           const std::string& cc) {
        const fs::path message = d.dir / (m.name + "-reply.txt");
        write_file(message, text);
        const fs::path out = d.dir / (m.name + "-" + thread.substr(0, 8) + ".reply");
        const auto r = run_command(responder_tool() + " reply --conversation " +
                                   thread.substr(0, 8) + store_args(m.r, m.store) +
                                   " --message-file " + q(message) + " --out " + q(out) + cc);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return out;
    };
    const fs::path r1 = reply(alice, c1, "감사합니다. 안전한 곳에서 다시 연락 주세요.",
                              " --cc " + q(bob.r.pub) + " --cc " + q(carol.r.pub));
    const fs::path r2 = reply(bob, c2, "Thank you. Which village?",
                              " --cc " + q(alice.r.pub) + " --cc " + q(carol.r.pub));
    const fs::path r3 = reply(carol, c3, "谢谢。请在安全的时候再联系。",
                              " --cc " + q(alice.r.pub) + " --cc " + q(bob.r.pub));

    const std::string shared = share_and_push(server, alice, {r1});
    CHECK(contains(shared, "for the team's 3 responders"));
    share_and_push(server, bob, {r2});
    share_and_push(server, carol, {r3});
    // Shared once: nothing is sealed twice.
    CHECK(contains(responder_run("share", alice.r, alice.store).out, "nothing to share"));

    // The witness reads the reply and writes again.
    const auto checked = check(server, w1);
    REQUIRE(checked.exit_code == 0);
    write_file(d.dir / "w1" / "follow-up.txt", std::string("네, 연길 근처 마을입니다."));
    REQUIRE(run_command(submit() + " reply --server " + server.url() + " --receipt-file " + q(w1) +
                        " --message-file " + q(d.dir / "w1" / "follow-up.txt"))
                .exit_code == 0);

    // Round 2: Alice and Bob bring in everyone's changes; Carol fetches but imports later.
    import(alice, fetch_new(server, alice, d.dir.path()));
    const auto bob_round2 = import(bob, fetch_new(server, bob, d.dir.path()));
    CHECK(contains(bob_round2.out, "the team's state: "));
    const fs::path carol_round2 = fetch_new(server, carol, d.dir.path());
    // Having seen the others' changes, Bob decides: a later change wins everywhere.
    triage(bob, c1, "--status answered");
    const auto read_by_alice = responder_run("show " + c3.substr(0, 8), alice.r, alice.store);
    REQUIRE(read_by_alice.exit_code == 0);
    CHECK(contains(read_by_alice.out, "MARKERNOTEBOB"));  // Bob's note reached her
    for (Member* m : {&alice, &bob, &carol}) share_and_push(server, *m);

    // Round 3: everything, in a different order on each machine.
    const fs::path carol_round3 = fetch_new(server, carol, d.dir.path());
    import(carol, carol_round3);
    import(carol, carol_round2);
    import(bob, fetch_new(server, bob, d.dir.path()));
    import(alice, fetch_new(server, alice, d.dir.path()));
    // Carol's machine and Alice's saw new changes since they last shared (seen marks from 'show');
    // one more exchange carries those, and then nobody has anything left to share.
    for (Member* m : {&carol, &alice, &bob}) share_and_push(server, *m);
    for (Member* m : {&bob, &carol, &alice}) import(*m, fetch_new(server, *m, d.dir.path()));
    for (Member* m : {&alice, &bob, &carol})
        CHECK(contains(responder_run("share", m->r, m->store).out, "nothing to share"));

    const std::string a = dump(alice), b = dump(bob), c = dump(carol);
    CHECK(difference(a, b) == "");
    CHECK(difference(a, c) == "");
    CHECK(field_of(a, c1, "status") == "answered");
    CHECK(contains(a, "MARKERNOTEALICE"));
    CHECK(contains(a, "MARKERNOTEBOB"));
    CHECK(contains(a, "네, 연길 근처 마을입니다."));  // the follow-up, in every store
    CHECK(field_of(a, c3, "tag:긴급") == "1");
    // Concurrent changes of one field resolve the same way everywhere, to one of them.
    const std::string alpha = field_of(a, c1, "tag:MARKERTAGALPHA");
    CHECK((alpha == "0" || alpha == "1"));
    const std::string assignee = field_of(a, c2, "assignee");
    CHECK((assignee == fingerprint_of(bob.r) || assignee == fingerprint_of(carol.r)));
    // Seen marks travel too: Alice read conversation 3.
    CHECK(contains(a, "seen:" + fingerprint_of(alice.r) + ":"));

    // The server held all of it, and none of its words.
    const std::string server_bytes = all_bytes_under(d.data);
    for (const char* marker : {"MARKERNOTEALICE", "MARKERNOTEBOB", "MARKERTAGALPHA",
                               "MARKERTAGBRAVO", "needs_reply", "단속 일정", "联系了当地"}) {
        INFO(marker);
        CHECK_FALSE(contains(server_bytes, marker));
    }

    SECTION("a responder outside the team changes nobody's triage") {
        // Mallory pins the same list, which does not name her: 'share' refuses.
        REQUIRE(
            responder_run("team set " + q(list), mallory.r, mallory.store, "--expect " + q(expect))
                .exit_code == 0);
        const auto refused = responder_run("share", mallory.r, mallory.store);
        CHECK(refused.exit_code == 2);
        CHECK(contains(refused.err, "not in the store's team"));

        // So she seals a change herself, to every responder, signed with her key, and pushes it.
        const crypto::SecretIdentity her =
            tooling::load_secret_key(mallory.r.key, tooling::PassphraseSource{mallory.r.pass, -1});
        crypto::TipHeader h;
        h.kind = crypto::TipKind::team_state;
        h.message = R"({"version":1,"changes":[{"thread":")" + c1 +
                    R"(","name":"status","value":"new","clock":9007199254740991,"day":20000}]})";
        std::vector<crypto::BoxPublicKey> to;
        for (const Member* m : {&alice, &bob, &carol})
            to.push_back(tooling::load_public_key(m->r.pub.string()).box);
        crypto::VectorSink sealed;
        REQUIRE_FALSE(crypto::seal_team_state(to, h, her, sealed));
        write_file(d.dir / "forged.team", client::encode_team_file(sealed.bytes()));
        const auto pushed =
            run_command(responder_tool() + " push --server " + responder_url(server) + " --key " +
                        q(mallory.r.key) + " --passphrase-file " + q(mallory.r.pass) + " " +
                        q(d.dir / "forged.team"));
        INFO(pushed.err);
        REQUIRE(pushed.exit_code == 0);

        const auto imported = responder_run("import " + q(fetch_new(server, alice, d.dir.path())),
                                            alice.r, alice.store);
        CHECK(imported.exit_code == 1);
        CHECK(contains(imported.err, "not in the store's team"));
        CHECK(field_of(dump(alice), c1, "status") == "answered");
    }
}
