// The organisation's signed recipient list: what the writer refuses, and that no altered byte
// passes.
#include "tipline/crypto/recipient_list.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "tipline/crypto/errors.hpp"

using namespace tipline::crypto;

namespace {

struct Signed {
    SecretIdentity organisation = SecretIdentity::generate_organisation();
    RecipientList list;
    Signed() {
        list.organisation = {organisation.public_identity.sign};
        list.serial = 3;
        list.expires_day = 20800;
        for (int i = 0; i < 2; ++i)
            list.recipients.push_back(SecretIdentity::generate().public_identity);
    }
    std::vector<unsigned char> bytes() const { return sign_recipient_list(list, organisation); }
};

}  // namespace

TEST_CASE("a signed list reads back exactly as it was signed", "[recipient_list]") {
    const Signed s;
    const auto bytes = s.bytes();
    CHECK(bytes.size() == recipient_list_fixed_size + 2 * recipient_list_entry_size +
                              recipient_list_signature_size);
    RecipientList read;
    REQUIRE_FALSE(decode_recipient_list(bytes, read));
    CHECK(read == s.list);
    CHECK_FALSE(check_recipient_list(read, {20800, s.list.organisation, 3}));
}

TEST_CASE(
    "the writer refuses a list the format cannot hold, or a key that is not the organisation's",
    "[recipient_list]") {
    Signed s;
    SECTION("serial 0") { s.list.serial = 0; }
    SECTION("no responder") { s.list.recipients.clear(); }
    SECTION("seventeen responders") {
        while (s.list.recipients.size() < 17)
            s.list.recipients.push_back(SecretIdentity::generate().public_identity);
    }
    SECTION("a responder twice") { s.list.recipients.push_back(s.list.recipients[0]); }
    SECTION("signed by another organisation than the list names") {
        s.organisation = SecretIdentity::generate_organisation();
    }
    SECTION("signed by a responder's key") {
        s.organisation = SecretIdentity::generate();
        s.list.organisation = {s.organisation.public_identity.sign};
    }
    CHECK_THROWS_AS(s.bytes(), std::invalid_argument);
}

TEST_CASE("every cut and every flipped bit of a list is refused", "[recipient_list]") {
    const auto bytes = Signed().bytes();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        RecipientList read;
        const std::error_code ec = decode_recipient_list(std::span(bytes).first(n), read);
        INFO("cut at " << n);
        CHECK((ec == Error::truncated || ec == Error::malformed));
    }
    for (std::size_t at = 0; at < bytes.size(); ++at) {
        for (int bit = 0; bit < 8; ++bit) {
            auto altered = bytes;
            altered[at] = static_cast<unsigned char>(altered[at] ^ (1u << bit));
            RecipientList read;
            INFO("byte " << at << " bit " << bit);
            CHECK(decode_recipient_list(altered, read));
        }
    }
}

TEST_CASE("trust is checked signer first, then the expiry, then the remembered serial",
          "[recipient_list]") {
    const Signed s;
    const OrganisationKey other{SecretIdentity::generate_organisation().public_identity.sign};
    CHECK(check_recipient_list(s.list, {20801, other, 9}) == Error::untrusted_key);
    CHECK(check_recipient_list(s.list, {20801, s.list.organisation, 9}) == Error::expired);
    CHECK(check_recipient_list(s.list, {20800, s.list.organisation, 9}) == Error::rolled_back);
    CHECK_FALSE(check_recipient_list(s.list, {20800, std::nullopt, std::nullopt}));
    CHECK_FALSE(check_recipient_list(s.list, {-5, std::nullopt, 3}));
}
