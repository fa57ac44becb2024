// Key material from outside: the public key and organisation key text forms, the secret key file
// and the organisation's recipient list. A key that decodes encodes back to the same text; a key
// file that opens seals again to one that opens the same; a list that verifies has exactly its
// size.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "fixture.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/recipient_list.hpp"

namespace {

using namespace tipline;
using fuzz::require;

// Not inlined, so a crash report names the line of the broken invariant.
// Where the key file's Argon2id parameters sit: magic, version, contents, algorithm, then
// opslimit (u32) and memlimit (u64), big-endian (FORMAT.md, "Secret key file").
constexpr std::size_t opslimit_at = 8 + 2 + 1 + 1;
constexpr std::size_t memlimit_at = opslimit_at + 4;

// The reader accepts up to 64 passes over 4 GiB; one such input would take the target minutes.
// Files asking for more than the cheapest parameters are left out before the reader sees them.
bool cheap_kdf(std::span<const unsigned char> file) {
    if (file.size() < memlimit_at + 8) return true;  // refused before any key derivation
    const auto ops = crypto::get_u32(file.subspan<opslimit_at, 4>());
    const auto mem = crypto::get_u64(file.subspan<memlimit_at, 8>());
    return ops <= fuzz::key_file_kdf.opslimit && mem <= fuzz::key_file_kdf.memlimit;
}

void public_key_text(std::span<const unsigned char> input) {
    const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
    crypto::PublicIdentity id;
    if (crypto::decode_public_key(text, id)) return;
    require(crypto::encode_public_key(id) == text);
    (void)crypto::fingerprint(id);
}

void organisation_key_text(std::span<const unsigned char> input) {
    const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
    crypto::OrganisationKey key;
    if (crypto::decode_organisation_key(text, key)) return;
    require(crypto::encode_organisation_key(key) == text);
    (void)crypto::organisation_fingerprint(key);
}

void recipient_list(std::span<const unsigned char> input) {
    crypto::RecipientList list;
    if (crypto::decode_recipient_list(input, list)) return;
    require(!list.recipients.empty() &&
            list.recipients.size() <= crypto::recipient_list_max_entries);
    require(input.size() == crypto::recipient_list_fixed_size +
                                list.recipients.size() * crypto::recipient_list_entry_size +
                                crypto::recipient_list_signature_size);
    require(list.serial > 0);
    (void)crypto::check_recipient_list(list, {0, list.organisation, list.serial});
}

void secret_key_file(std::span<const unsigned char> file) {
    if (!cheap_kdf(file)) return;
    const auto passphrase = crypto::as_bytes(fuzz::key_file_passphrase);
    crypto::SecretIdentity id;
    if (crypto::open_secret_key_file(file, passphrase, id)) return;
    const auto contents = static_cast<crypto::KeyFileContents>(file[opslimit_at - 2]);
    require(id.can_decrypt() == (contents == crypto::KeyFileContents::decrypt_and_sign));
    require(id.sign_secret.size() == crypto::sign_secret_key_bytes);
    const auto again = crypto::seal_secret_key_file(id, contents, passphrase, fuzz::key_file_kdf);
    crypto::SecretIdentity reopened;
    require(!crypto::open_secret_key_file(again, passphrase, reopened));
    require(reopened.public_identity == id.public_identity);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> input(data, size);
    public_key_text(input);
    organisation_key_text(input);
    recipient_list(input);
    secret_key_file(input);
    return 0;
}
