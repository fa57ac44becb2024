// The team's state between case stores, with real stores and real envelopes: what share seals, the
// size it shows the server, and what a colleague's store takes from it and refuses.
#include "tipline/responder/team_state.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/responder/casework.hpp"
#include "tipline/responder/team.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"
#include "tipline/tooling/sqlite.hpp"

using namespace tipline;
using namespace tipline::responder;
namespace fs = std::filesystem;

namespace {

const std::string thread_a(64, 'a');

struct Team3 {
    test::TempDir dir;
    std::vector<crypto::SecretIdentity> ids;
    std::vector<std::unique_ptr<CaseStore>> stores;
    crypto::RecipientList list;

    // members of the n responders are in the team; the others are not.
    explicit Team3(std::size_t members = 3, std::size_t n = 3) {
        const crypto::SecretIdentity org = crypto::SecretIdentity::generate_organisation();
        for (std::size_t i = 0; i < n; ++i) ids.push_back(crypto::SecretIdentity::generate());
        list.organisation.key = org.public_identity.sign;
        list.serial = 1;
        list.expires_day = static_cast<std::uint32_t>(crypto::current_day() + 30);
        for (std::size_t i = 0; i < members; ++i) list.recipients.push_back(ids[i].public_identity);
        for (std::size_t i = 0; i < n; ++i) {
            stores.push_back(std::make_unique<CaseStore>(dir / ("s" + std::to_string(i)), ids[i]));
            set_team(*stores[i], list, crypto::organisation_fingerprint(list.organisation));
        }
    }

    // The envelopes share wrote, opened by store i's responder.
    std::vector<crypto::TipHeader> opened_by(std::size_t i, const SharedState& shared) {
        std::vector<crypto::TipHeader> out;
        for (const fs::path& f : shared.files) {
            const std::vector<unsigned char> file = test::read_file(f);
            std::span<const unsigned char> envelope;
            REQUIRE_FALSE(client::decode_team_file(file, envelope));
            struct Keep final : crypto::TipReceiver {
                crypto::TipHeader header;
                void on_header(const crypto::TipHeader& h) override { header = h; }
                void on_attachment_data(std::size_t, std::span<const unsigned char>) override {}
            } keep;
            crypto::MemorySource in(envelope);
            const crypto::BoxKeyPair* keys[] = {&ids[i].box};
            REQUIRE_FALSE(crypto::open_tip(keys, in, keep));
            out.push_back(keep.header);
        }
        return out;
    }
};

std::string fields_of(CaseStore& store) {
    tooling::Statement st(store.db(),
                          "SELECT thread, name, value, clock, writer, day FROM field ORDER BY "
                          "thread, name");
    std::string out;
    while (st.step()) {
        for (int i = 0; i < 6; ++i) out += st.text(i) + "|";
        out += "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("shared triage reaches a colleague's store, once, from the team only",
          "[team_state][case_store]") {
    Team3 t;
    CaseStore& alice = *t.stores[0];
    CaseStore& bob = *t.stores[1];
    set_status(alice, thread_a, "needs_reply");
    set_tag(alice, thread_a, "국경", true);
    add_note(alice, thread_a, "연길 근처, 두 번째 연락");
    CHECK(unshared_count(alice) == 3);

    const SharedState shared = share_team_state(alice, t.dir / "outbox");
    REQUIRE(shared.files.size() == 1);
    CHECK(shared.changes == 3);
    CHECK(shared.responders == 3);
    CHECK(unshared_count(alice) == 0);
    CHECK(share_team_state(alice, t.dir / "outbox").files.empty());  // nothing new to seal

    const auto headers = t.opened_by(1, shared);
    REQUIRE(headers.size() == 1);
    CHECK(headers[0].kind == crypto::TipKind::team_state);
    CHECK(headers[0].created_at % 86400 == 0);  // the day only
    CHECK(headers[0].signer == t.ids[0].public_identity);
    TeamStateCounts counts;
    CHECK(apply_team_state(bob, headers[0], counts) == TeamStateVerdict::applied);
    CHECK(counts.newer == 3);
    CHECK(fields_of(bob) == fields_of(alice));
    // The same state again changes nothing; merging takes it as often as it comes.
    TeamStateCounts again;
    CHECK(apply_team_state(bob, headers[0], again) == TeamStateVerdict::applied);
    CHECK(again.newer == 0);
    CHECK(again.older == 3);
    // What Bob merged is Alice's, not his to share again.
    CHECK(unshared_count(bob) == 0);
}

TEST_CASE("the team's state looks like a reply copied to the whole team", "[team_state]") {
    Team3 t;
    set_status(*t.stores[0], thread_a, "read");
    const SharedState shared = share_team_state(*t.stores[0], t.dir / "outbox");
    REQUIRE(shared.files.size() == 1);
    const std::vector<unsigned char> file = test::read_file(shared.files[0]);
    std::span<const unsigned char> envelope;
    REQUIRE_FALSE(client::decode_team_file(file, envelope));
    crypto::MemorySource in(envelope);
    crypto::EnvelopeHeader header;
    REQUIRE_FALSE(crypto::read_envelope_header(in, header));
    // Three responders and one key nobody holds: the header of a reply to a witness copied to
    // the two colleagues (witness, writer, two colleagues).
    CHECK(header.recipient_count == 4);
    const crypto::BoxKeyPair witness = crypto::BoxKeyPair::generate();
    const crypto::BoxPublicKey cc[] = {t.ids[1].public_identity.box, t.ids[2].public_identity.box};
    const std::vector<unsigned char> reply =
        seal_reply_file(witness.public_key, t.ids[0], "ok", "en", cc);
    CHECK(reply.size() - 42 == envelope.size());  // the same padded size, to the byte
}

TEST_CASE("a colleague's store refuses what the team did not write", "[team_state][case_store]") {
    Team3 t(2, 4);  // responders 2 and 3 are outside the team
    CaseStore& alice = *t.stores[0];
    CaseStore& outsider = *t.stores[2];

    SECTION("share from outside the team is refused before anything is sealed") {
        set_status(outsider, thread_a, "closed");
        CHECK_THROWS_AS(share_team_state(outsider, t.dir / "outbox"), tooling::ToolError);
        CHECK_FALSE(fs::exists(t.dir / "outbox"));
    }
    SECTION("a state signed by a responder outside the team is not applied") {
        crypto::TipHeader h;
        h.kind = crypto::TipKind::team_state;
        h.message = encode_team_changes(std::vector<FieldChange>{
            {thread_a, "status", "closed", 5, crypto::fingerprint(t.ids[2].public_identity), 1}});
        h.signer = t.ids[2].public_identity;
        TeamStateCounts counts;
        CHECK(apply_team_state(alice, h, counts) == TeamStateVerdict::not_in_team);
        CHECK(fields_of(alice).empty());
    }
    SECTION("a store with no team applies nothing") {
        test::TempDir other;
        CaseStore bare(other / "s", t.ids[3]);
        set_status(alice, thread_a, "read");
        const auto headers = t.opened_by(0, share_team_state(alice, t.dir / "outbox"));
        TeamStateCounts counts;
        CHECK(apply_team_state(bare, headers.at(0), counts) == TeamStateVerdict::no_team);
        CHECK(fields_of(bare).empty());
    }
    SECTION("changes that break the rules are left out, the rest applied") {
        const std::string writer = crypto::fingerprint(t.ids[1].public_identity);
        const std::string other = crypto::fingerprint(t.ids[0].public_identity);
        crypto::TipHeader h;
        h.kind = crypto::TipKind::team_state;
        h.signer = t.ids[1].public_identity;
        h.message = encode_team_changes(std::vector<FieldChange>{
            {thread_a, "status", "lost", 1, writer, 1},  // no such status
            {thread_a, "seen:" + other + ":" + std::string(32, 'b'), "1", 2, writer,
             1},                                             // not hers
            {"../etc", "status", "read", 3, writer, 1},      // not a thread id
            {thread_a, "tag:a,b", "1", 4, writer, 1},        // not a tag
            {thread_a, "note:zz", "1\nx", 5, writer, 1},     // not a note id
            {thread_a, "assignee", "nobody", 6, writer, 1},  // not a fingerprint
            {thread_a, "seen:" + writer + ":" + std::string(32, 'b'), "1", 7, writer, 1},
            {thread_a, "status", "read", 8, writer, 1}});
        TeamStateCounts counts;
        CHECK(apply_team_state(alice, h, counts) == TeamStateVerdict::applied);
        CHECK(counts.refused == 6);
        CHECK(counts.newer == 2);
        CHECK(fields_of(alice) == thread_a + "|seen:" + writer + ":" + std::string(32, 'b') +
                                      "|1|7|" + writer + "|1|\n" + thread_a + "|status|read|8|" +
                                      writer + "|1|\n");
        h.message = "{\"version\":1,\"changes\":[";  // not JSON
        CHECK(apply_team_state(alice, h, counts) == TeamStateVerdict::not_json);
    }
}

TEST_CASE("a deleted conversation keeps nothing that arrives for it later, and the clock goes on",
          "[team_state][case_store]") {
    Team3 t;
    CaseStore& alice = *t.stores[0];
    CaseStore& bob = *t.stores[1];
    set_status(bob, thread_a, "needs_reply");
    add_note(bob, thread_a, "a late note");
    const auto late = t.opened_by(0, share_team_state(bob, t.dir / "outbox"));

    set_field(alice, thread_a, "status", "closed");
    // Closed here and not yet shared: deleting it now would lose that, so it is refused until the
    // team has it.
    CHECK(has_unshared_changes(alice, thread_a));
    CHECK_THROWS_AS(delete_conversation(alice, thread_a), tooling::ToolError);
    CHECK(share_team_state(alice, t.dir / "outbox").files.size() == 1);
    delete_conversation(alice, thread_a);
    CHECK(unshared_count(alice) == 0);
    TeamStateCounts counts;
    CHECK(apply_team_state(alice, late.at(0), counts) == TeamStateVerdict::applied);
    CHECK(counts.deleted == 2);
    CHECK(fields_of(alice).empty());
    // The clock goes on past every clock seen, those of the dropped changes and of the deleted
    // fields included: a change made here later comes after them everywhere.
    const auto dropped =
        decode_team_changes(late.at(0).message, crypto::fingerprint(t.ids[1].public_identity));
    REQUIRE(dropped);
    std::int64_t latest = 0;
    for (const FieldChange& c : *dropped) latest = std::max(latest, c.clock);
    CHECK(set_field(alice, std::string(64, 'c'), "status", "read").clock > latest);
}

TEST_CASE("a clock past what stores take is refused, and none is ever made past it",
          "[team_state][case_store]") {
    Team3 t;
    const std::string writer = crypto::fingerprint(t.ids[1].public_identity);
    crypto::TipHeader h;
    h.kind = crypto::TipKind::team_state;
    h.signer = t.ids[1].public_identity;
    h.message = encode_team_changes(
        std::vector<FieldChange>{{thread_a, "status", "closed", max_team_clock, writer, 1},
                                 {thread_a, "tag:x", "1", max_merged_clock, writer, 1}});
    TeamStateCounts counts;
    CHECK(apply_team_state(*t.stores[0], h, counts) == TeamStateVerdict::applied);
    CHECK(counts.refused == 1);
    CHECK(counts.newer == 1);
    // The accepted change at the top of what stores take leaves no clock colleagues would take:
    // the next change is refused, loudly, rather than sealed where others would drop it.
    CHECK_THROWS_AS(set_field(*t.stores[0], thread_a, "status", "read"), tooling::ToolError);
}
