// What tiplined serves: the installed list or the configuration's keys, the install checks, and the
// reload.
#include "tipline/server/recipients.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "support.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/server/data_dir.hpp"

using namespace tipline;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t list_today = 20790;

struct Organisation {
    crypto::SecretIdentity key = crypto::SecretIdentity::generate_organisation();
    std::vector<unsigned char> list(std::vector<crypto::PublicIdentity> who, std::uint64_t serial,
                                    std::int64_t expires = list_today + 10) const {
        return crypto::sign_recipient_list({{key.public_identity.sign},
                                            serial,
                                            static_cast<std::uint32_t>(expires),
                                            std::move(who)},
                                           key);
    }
};

crypto::PublicIdentity someone() { return crypto::SecretIdentity::generate().public_identity; }

std::string refusal(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("the installed list replaces the configuration's keys", "[recipients]") {
    test::TempDir dir;
    const auto configured = someone();
    const auto listed = someone();
    const std::vector<std::string> config{crypto::encode_public_key(configured)};
    CHECK(server::load_recipients(dir.path(), config).identities == std::vector{configured});
    CHECK(refusal([&] { server::load_recipients(dir.path(), {}); }).find("no responders") !=
          std::string::npos);

    const Organisation org;
    server::install_list(dir.path(), org.list({listed}, 1));
    const auto served = server::load_recipients(dir.path(), config);
    CHECK(served.identities == std::vector{listed});
    CHECK(served.list_bytes == org.list({listed}, 1));  // Ed25519 signatures are deterministic
    REQUIRE(served.list);
    CHECK(served.list->serial == 1);
    CHECK(served.fingerprints == std::vector{crypto::fingerprint(listed)});
}

TEST_CASE("install refuses what would harm witnesses, and says why", "[recipients]") {
    test::TempDir dir;
    const Organisation org, other;
    const auto a = someone(), b = someone();
    server::install_list(dir.path(), org.list({a}, 4));
    CHECK(refusal([&] {
              server::check_new_list(dir.path(), org.list({a, b}, 5, list_today - 1), list_today,
                                     false);
          }).find("expired on") != std::string::npos);
    CHECK(refusal([&] {
              server::check_new_list(dir.path(), org.list({a, b}, 3), list_today, false);
          }).find("would roll the list back") != std::string::npos);
    CHECK(refusal([&] {
              server::check_new_list(dir.path(), org.list({b}, 4), list_today, false);
          }).find("would roll the list back") != std::string::npos);
    CHECK(refusal([&] {
              server::check_new_list(dir.path(), other.list({b}, 9), list_today, false);
          }).find("not by " + crypto::organisation_fingerprint({org.key.public_identity.sign})) !=
          std::string::npos);
    CHECK_NOTHROW(server::check_new_list(dir.path(), other.list({b}, 9), list_today, true));
    auto altered = org.list({a, b}, 5);
    altered[crypto::recipient_list_fixed_size] ^= 1;
    CHECK(refusal([&] {
              server::check_new_list(dir.path(), altered, list_today, false);
          }).find("signature") != std::string::npos);
    CHECK(refusal([&] {
              server::check_new_list(dir.path(), std::vector<unsigned char>(30, 'x'), list_today,
                                     false);
          }).find("not a recipient list") != std::string::npos);
    // The same list again is no change, and a newer one passes.
    CHECK(server::check_new_list(dir.path(), org.list({a}, 4), list_today, false).list->serial ==
          4);
    CHECK(server::check_new_list(dir.path(), org.list({a, b}, 5), list_today, false)
              .identities.size() == 2);
    CHECK(server::load_recipients(dir.path(), {}).list->serial == 4);  // checking changed nothing
}

TEST_CASE(
    "a running server's book follows the installed file, and keeps its list when the file is bad",
    "[recipients]") {
    test::TempDir dir;
    const Organisation org;
    const auto a = someone(), b = someone();
    server::install_list(dir.path(), org.list({a}, 1));
    server::RecipientBook book(server::load_recipients(dir.path(), {}));
    server::ListWatcher watcher(dir.path(), book);
    CHECK(watcher.poll().empty());
    const auto before = book.current();

    server::install_list(dir.path(), org.list({a, b}, 2));
    CHECK(watcher.poll().find("now serving recipient list serial 2") != std::string::npos);
    CHECK(book.current()->identities == std::vector{a, b});
    CHECK(before->identities == std::vector{a});  // a request in flight keeps what it started with
    CHECK(watcher.poll().empty());

    test::write_file(dir / server::recipient_list_file_name, std::string("not a list"));
    CHECK(watcher.poll().find("the list in use stays") != std::string::npos);
    CHECK(book.current()->list->serial == 2);
    fs::remove(dir / server::recipient_list_file_name);
    CHECK(watcher.poll().find("was removed") != std::string::npos);
    CHECK(book.current()->list->serial == 2);
}
