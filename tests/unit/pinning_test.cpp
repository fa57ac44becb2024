// Strict pinning: which keys a witness's tool seals to, for every combination of pins, lists and
// memory.
#include "tipline/client/pinning.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/tooling/diagnostics.hpp"

using namespace tipline;
using client::ListMemory;
using client::Pins;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t today = 20790;  // 2026-12-03

struct People {
    crypto::SecretIdentity a = crypto::SecretIdentity::generate();
    crypto::SecretIdentity b = crypto::SecretIdentity::generate();
    crypto::SecretIdentity attacker = crypto::SecretIdentity::generate();
    crypto::SecretIdentity organisation = crypto::SecretIdentity::generate_organisation();
    crypto::SecretIdentity other_organisation = crypto::SecretIdentity::generate_organisation();

    std::vector<unsigned char> list(const std::vector<crypto::PublicIdentity>& who,
                                    std::uint64_t serial = 5, std::int64_t expires = today + 30,
                                    const crypto::SecretIdentity* by = nullptr) const {
        const crypto::SecretIdentity& signer = by ? *by : organisation;
        crypto::RecipientList l{
            {signer.public_identity.sign}, serial, static_cast<std::uint32_t>(expires), who};
        return crypto::sign_recipient_list(l, signer);
    }
    std::string org_fp() const {
        return crypto::organisation_fingerprint({organisation.public_identity.sign});
    }
};

std::string fp(const crypto::SecretIdentity& id) { return crypto::fingerprint(id.public_identity); }

Pins pins(std::vector<std::string> typed) { return client::parse_pins(typed); }

bool warned(const client::TrustedRecipients& t, const std::string& needle) {
    for (const auto& w : t.warnings) {
        if (w.find(needle) != std::string::npos) return true;
    }
    return false;
}

// The exit code and message of a refusal, or -1 when it did not refuse.
std::pair<int, std::string> refusal(const std::function<void()>& f) {
    try {
        f();
    } catch (const tooling::ToolError& e) {
        return {e.exit_code(), e.what()};
    }
    return {-1, ""};
}

// A choice that leaves no key, as the tools refuse it (exit 1), with its reason; -1 otherwise.
std::pair<int, std::string> refusal_of(const client::TrustedRecipients& t) {
    if (!t.identities.empty()) return {-1, ""};
    CHECK_FALSE(t.refusal.empty());
    return {tooling::exit_verification_failure, t.refusal};
}

}  // namespace

TEST_CASE("a fingerprint is its 25 digits, whatever the spelling; anything else is a usage error",
          "[pinning]") {
    const std::string canonical = "12345 67890 12345 67890 12345";
    for (const std::string typed :
         {"12345 67890 12345 67890 12345", "1234567890123456789012345",
          "12345-67890-12345-67890-12345", "12345\u201367890\u201312345\u201367890\u201312345",
          "\uff11\uff12\uff13\uff14\uff15 67890 12345 67890 12345",
          " 12345  67890\t12345\u300067890 12345 ", "123 456 789 012 345 678 901 234 5"}) {
        INFO(typed);
        CHECK(pins({typed}).fingerprints == std::vector<std::string>{canonical});
    }
    CHECK(pins({canonical, "1234567890123456789012345"}).fingerprints.size() ==
          1);  // one pin, spelt twice
    for (const std::string bad : {"12345 67890 12345 67890 1234", "12345 67890 12345 67890 123456",
                                  "12345 67890 O2345 67890 12345", "tipline-pk1-AAAA", "",
                                  "12345.67890.12345.67890.12345", "\xff"}) {
        INFO(bad);
        const auto [code, message] = refusal([&] { pins({bad}); });
        CHECK(code == tooling::exit_usage_or_io);
        CHECK(message.find("is not a fingerprint") != std::string::npos);
    }
}

TEST_CASE("a pinned responder gets the only copy; a key the server adds gets none", "[pinning]") {
    People p;
    ListMemory memory;
    const auto t = client::choose_recipients({p.a.public_identity, p.attacker.public_identity},
                                             std::nullopt, pins({fp(p.a)}), memory, today);
    CHECK(t.identities == std::vector{p.a.public_identity});
    CHECK(t.pinned);
    CHECK(warned(t, fp(p.attacker)));
    CHECK_FALSE(warned(t, fp(p.a)));
}

TEST_CASE("no pinned key listed: the tool refuses before sealing anything", "[pinning]") {
    People p;
    ListMemory memory;
    const auto t = client::choose_recipients({p.attacker.public_identity}, std::nullopt,
                                             pins({fp(p.a)}), memory, today);
    const auto [code, message] = refusal_of(t);
    CHECK(code == tooling::exit_verification_failure);
    CHECK(message.find("nothing was sent") != std::string::npos);
    // What was left out is said too, for the tool to show before it refuses.
    CHECK(warned(t, "no key the tip line lists has the fingerprint " + fp(p.a)));
    CHECK(warned(t, fp(p.attacker)));
}

TEST_CASE("without pins every listed key is used, and the witness is told what that means",
          "[pinning]") {
    People p;
    ListMemory memory;
    const auto t = client::choose_recipients({p.a.public_identity, p.b.public_identity},
                                             std::nullopt, Pins{}, memory, today);
    CHECK(t.identities.size() == 2);
    CHECK_FALSE(t.pinned);
    CHECK(warned(t, "no fingerprint pinned"));
}

TEST_CASE("a pinned organisation's list decides the recipients, whatever else the server lists",
          "[pinning]") {
    People p;
    ListMemory memory;
    const auto list = p.list({p.a.public_identity, p.b.public_identity});
    const auto t = client::choose_recipients({p.a.public_identity, p.attacker.public_identity},
                                             list, pins({p.org_fp()}), memory, today);
    CHECK(t.identities == std::vector{p.a.public_identity, p.b.public_identity});
    REQUIRE(t.list);
    CHECK(t.list->serial == 5);
    CHECK(warned(t, fp(p.attacker)));
}

TEST_CASE(
    "without pins a valid list is used, and its organisation's fingerprint is shown to compare",
    "[pinning]") {
    People p;
    ListMemory memory;
    const auto t = client::choose_recipients({p.attacker.public_identity},
                                             p.list({p.a.public_identity}), Pins{}, memory, today);
    CHECK(t.identities == std::vector{p.a.public_identity});
    CHECK_FALSE(t.pinned);
    CHECK(warned(t, p.org_fp()));
    CHECK(warned(t, fp(p.attacker)));  // listed outside the signed list: no copy
}

TEST_CASE("a list that fails its checks vouches for nobody", "[pinning]") {
    People p;
    ListMemory memory;
    const auto refused = [&](const std::vector<unsigned char>& list, const Pins& with) {
        return refusal_of(
            client::choose_recipients({p.attacker.public_identity}, list, with, memory, today));
    };
    SECTION("expired") {
        const auto [code, message] =
            refused(p.list({p.a.public_identity}, 5, today - 1), pins({p.org_fp()}));
        CHECK(code == tooling::exit_verification_failure);
        CHECK(message.find("expired on " + crypto::format_day(today - 1)) != std::string::npos);
        CHECK(refused(p.list({p.a.public_identity}, 5, today - 1), Pins{}).first ==
              tooling::exit_verification_failure);
    }
    SECTION("signed by another organisation than the pinned one") {
        CHECK(refused(p.list({p.attacker.public_identity}, 5, today + 30, &p.other_organisation),
                      pins({p.org_fp()}))
                  .first == tooling::exit_verification_failure);
    }
    SECTION("expired, nothing pinned: the list's problem is the one warning, not one per key") {
        const auto t = client::choose_recipients({p.a.public_identity},
                                                 p.list({p.a.public_identity}, 5, today - 1),
                                                 Pins{}, memory, today);
        CHECK(t.identities.empty());
        CHECK(t.warnings ==
              std::vector<std::string>{"the tip line's list of responders expired on " +
                                       crypto::format_day(today - 1)});
    }
    SECTION("altered after signing, with or without pins") {
        auto list = p.list({p.a.public_identity});
        list[crypto::recipient_list_fixed_size + 1] ^= 0x01;
        const auto [code, message] = refused(list, pins({p.org_fp()}));
        CHECK(code == tooling::exit_verification_failure);
        CHECK(message.find("altered") != std::string::npos);
        CHECK(refused(list, Pins{}).first == tooling::exit_verification_failure);
    }
    SECTION("not a list at all") {
        CHECK(refused(std::vector<unsigned char>{}, Pins{}).first ==
              tooling::exit_verification_failure);
        CHECK(refused(std::vector<unsigned char>(40, 'x'), pins({p.org_fp()})).first ==
              tooling::exit_verification_failure);
    }
    SECTION("a responder pinned directly still gets the tip when the list fails") {
        const auto t = client::choose_recipients({p.a.public_identity},
                                                 p.list({p.a.public_identity}, 5, today - 1),
                                                 pins({p.org_fp(), fp(p.a)}), memory, today);
        CHECK(t.identities == std::vector{p.a.public_identity});
        CHECK_FALSE(t.list);
        CHECK(warned(t, "expired"));
    }
}

TEST_CASE("a remembered serial refuses a list rolled back to an older one", "[pinning]") {
    People p;
    test::TempDir dir;
    const fs::path file = dir / "seen";
    {
        ListMemory memory(file);
        CHECK_FALSE(fs::exists(file));  // nothing is written until there is something to remember
        client::choose_recipients({}, p.list({p.a.public_identity}, 5), pins({p.org_fp()}), memory,
                                  today);
    }
    REQUIRE(fs::exists(file));
    CHECK((fs::status(file).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
          fs::perms::none);
    CHECK(test::as_text(test::read_file(file)) ==
          crypto::encode_organisation_key({p.organisation.public_identity.sign}) + " 5\n");
    ListMemory memory(file);
    CHECK(memory.highest({p.organisation.public_identity.sign}) == 5u);
    const auto [code, message] = refusal_of(client::choose_recipients(
        {}, p.list({p.attacker.public_identity}, 4), pins({p.org_fp()}), memory, today));
    CHECK(code == tooling::exit_verification_failure);
    CHECK(message.find("(serial 4) is older than one seen before (serial 5)") != std::string::npos);
    // The same serial again is no rollback, and a newer one raises what is kept.
    CHECK(client::choose_recipients({}, p.list({p.a.public_identity}, 5), pins({p.org_fp()}),
                                    memory, today)
              .identities == std::vector{p.a.public_identity});
    client::choose_recipients({}, p.list({p.b.public_identity}, 9), pins({p.org_fp()}), memory,
                              today);
    CHECK(ListMemory(file).highest({p.organisation.public_identity.sign}) == 9u);
    // Without a memory file the older list is accepted: the limit SECURITY.md states.
    ListMemory forgetful;
    CHECK(client::choose_recipients({}, p.list({p.attacker.public_identity}, 4), pins({p.org_fp()}),
                                    forgetful, today)
              .identities == std::vector{p.attacker.public_identity});
}

TEST_CASE("a memory file that breaks its format is refused, not guessed at", "[pinning]") {
    People p;
    test::TempDir dir;
    const std::string key = crypto::encode_organisation_key({p.organisation.public_identity.sign});
    for (const std::string& text : std::vector<std::string>{
             key + " 5", key + " 05\n", key + " -1\n", key + "\n", "tipline-org1-x 5\n",
             key + " 5\n" + key + " 6\n", key + " 5 6\n"}) {
        INFO(text);
        test::write_file(dir / "seen", text);
        CHECK(refusal([&] { ListMemory memory(dir / "seen"); }).first == tooling::exit_usage_or_io);
    }
    test::write_file(dir / "seen", key + " 18446744073709551615\n");
    CHECK(ListMemory(dir / "seen").highest({p.organisation.public_identity.sign}) ==
          18446744073709551615u);
}
