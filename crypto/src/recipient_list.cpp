// Signing, parsing and checking the organisation's recipient list (FORMAT.md section 18).
#include "tipline/crypto/recipient_list.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labels.hpp"

namespace tipline::crypto {
namespace {

std::vector<unsigned char> signed_message(std::span<const unsigned char> body) {
    std::vector<unsigned char> m;
    put_bytes(m, labels::recipient_list_signature_label);
    put_bytes(m, body);
    return m;
}

bool has_duplicates(const std::vector<PublicIdentity>& ids) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
        for (std::size_t j = i + 1; j < ids.size(); ++j) {
            if (ids[i] == ids[j]) return true;
        }
    }
    return false;
}

}  // namespace

std::vector<unsigned char> sign_recipient_list(const RecipientList& list,
                                               const SecretIdentity& organisation) {
    ensure_sodium();
    if (organisation.contents != KeyFileContents::organisation ||
        organisation.sign_secret.size() != 64 ||
        organisation.public_identity.sign != list.organisation.key) {
        throw std::invalid_argument("the list must be signed by the organisation key it names");
    }
    const bool low_order =
        std::any_of(list.recipients.begin(), list.recipients.end(),
                    [](const PublicIdentity& id) { return is_low_order(id.box); });
    if (list.serial == 0 || list.recipients.empty() ||
        list.recipients.size() > recipient_list_max_entries || has_duplicates(list.recipients) ||
        low_order) {
        throw std::invalid_argument(
            "a recipient list names 1 to 16 different responders with usable keys, and has a "
            "serial "
            "above 0");
    }
    std::vector<unsigned char> out;
    put_bytes(out, labels::recipient_list_magic);
    put_u16(out, labels::recipient_list_version);
    put_bytes(out, list.organisation.key);
    put_u64(out, list.serial);
    put_u32(out, list.expires_day);
    put_u8(out, static_cast<std::uint8_t>(list.recipients.size()));
    for (const PublicIdentity& id : list.recipients) {
        put_bytes(out, id.box);
        put_bytes(out, id.sign);
    }
    const auto message = signed_message(out);
    std::array<unsigned char, recipient_list_signature_size> signature{};
    crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                         organisation.sign_secret.data());
    put_bytes(out, signature);
    return out;
}

std::error_code decode_recipient_list(std::span<const unsigned char> bytes, RecipientList& out) {
    ensure_sodium();
    const auto magic = as_bytes(labels::recipient_list_magic);
    const std::size_t head = std::min(bytes.size(), magic.size());
    if (head > 0 && std::memcmp(bytes.data(), magic.data(), head) != 0) return Error::malformed;
    if (bytes.size() < magic.size() + 2) return Error::truncated;
    ByteReader r(bytes.subspan(magic.size()));
    if (*r.take_u16() != labels::recipient_list_version) return Error::unsupported_version;
    if (bytes.size() < recipient_list_fixed_size) return Error::truncated;

    RecipientList list;
    std::memcpy(list.organisation.key.data(), r.take(sign_public_key_bytes)->data(),
                sign_public_key_bytes);
    list.serial = *r.take_u64();
    list.expires_day = *r.take_u32();
    const std::size_t count = *r.take_u8();
    if (list.serial == 0 || count == 0 || count > recipient_list_max_entries)
        return Error::malformed;
    const std::size_t signed_size = recipient_list_fixed_size + count * recipient_list_entry_size;
    if (bytes.size() < signed_size + recipient_list_signature_size) return Error::truncated;
    if (bytes.size() > signed_size + recipient_list_signature_size) return Error::malformed;
    for (std::size_t i = 0; i < count; ++i) {
        PublicIdentity id;
        std::memcpy(id.box.data(), r.take(box_public_key_bytes)->data(), box_public_key_bytes);
        std::memcpy(id.sign.data(), r.take(sign_public_key_bytes)->data(), sign_public_key_bytes);
        list.recipients.push_back(id);
    }
    if (has_duplicates(list.recipients)) return Error::malformed;
    for (const PublicIdentity& id : list.recipients) {
        if (is_low_order(id.box)) return Error::malformed;
    }

    const auto message = signed_message(bytes.first(signed_size));
    if (crypto_sign_verify_detached(bytes.data() + signed_size, message.data(), message.size(),
                                    list.organisation.key.data()) != 0) {
        return Error::authentication_failed;
    }
    out = std::move(list);
    return {};
}

std::error_code check_recipient_list(const RecipientList& list, const ListExpectations& expect) {
    if (expect.organisation && *expect.organisation != list.organisation)
        return Error::untrusted_key;
    if (expect.today > static_cast<std::int64_t>(list.expires_day)) return Error::expired;
    if (expect.highest_serial_seen && list.serial < *expect.highest_serial_seen)
        return Error::rolled_back;
    return {};
}

}  // namespace tipline::crypto
