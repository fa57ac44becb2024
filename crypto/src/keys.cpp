// Responder key generation, public key text form, fingerprint and the passphrase-protected key
// file.
#include "tipline/crypto/keys.hpp"

#include <sodium.h>

#include <cstring>
#include <new>
#include <stdexcept>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labelled_hash.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/typed_digits.hpp"

namespace tipline::crypto {
namespace {

constexpr std::size_t checksum_bytes = 4;
constexpr std::size_t public_body_bytes =
    box_public_key_bytes + sign_public_key_bytes + checksum_bytes;
constexpr std::size_t organisation_body_bytes = sign_public_key_bytes + checksum_bytes;
constexpr std::size_t key_file_header_bytes = 64;  // magic .. nonce, also the AEAD associated data
constexpr std::size_t key_file_salt_bytes = crypto_pwhash_SALTBYTES;
constexpr std::size_t key_file_nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t key_file_tag_bytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::uint8_t kdf_argon2id13 = 1;
constexpr std::size_t fingerprint_groups = 5;

static_assert(key_file_salt_bytes == 16 && key_file_nonce_bytes == 24);

Hash32 identity_hash(std::string_view label, const PublicIdentity& id) {
    return labelled_hash(label, {id.box, id.sign});
}

// Both bodies are 64 bytes: the X25519 secret key (or, in a sign-only file, only its public key),
// then the Ed25519 seed.
constexpr std::size_t secret_body_bytes = box_secret_key_bytes + sign_seed_bytes;
static_assert(box_secret_key_bytes == box_public_key_bytes);

SecretBuffer derive_file_key(std::span<const unsigned char> passphrase, const unsigned char* salt,
                             KdfLimits limits) {
    SecretBuffer key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
    if (crypto_pwhash(key.data(), key.size(), reinterpret_cast<const char*>(passphrase.data()),
                      passphrase.size(), salt, limits.opslimit,
                      static_cast<std::size_t>(limits.memlimit),
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::bad_alloc();  // libsodium fails here only when it cannot get the memory
    }
    return key;
}

void sign_pair_from_seed(const unsigned char* seed, SecretIdentity& id) {
    id.sign_secret = SecretBuffer(sign_secret_key_bytes);
    crypto_sign_seed_keypair(id.public_identity.sign.data(), id.sign_secret.data(), seed);
}

// FAMILY DIGITS "-" (such as "tipline-pk2-"): a version this build does not read, as opposed to a
// damaged key.
bool is_other_key_version(std::string_view text, std::string_view family) {
    if (!text.starts_with(family)) return false;
    text.remove_prefix(family.size());
    const auto digits = text.find_first_not_of("0123456789");
    return digits != 0 && digits != std::string_view::npos && text[digits] == '-';
}

void check_kdf_limits_or_throw(KdfLimits limits) {
    if (limits.opslimit < 1 || limits.opslimit > kdf_max_opslimit ||
        limits.memlimit < kdf_min_memlimit || limits.memlimit > kdf_max_memlimit ||
        limits.memlimit % 1024 != 0) {
        throw std::invalid_argument("Argon2id limits outside what key file readers accept");
    }
}

static_assert(sizeof(std::size_t) >= 8, "memlimit values up to 4 GiB must fit in size_t");

}  // namespace

BoxKeyPair BoxKeyPair::generate() {
    ensure_sodium();
    BoxKeyPair pair;
    pair.secret_key = SecretBuffer(box_secret_key_bytes);
    crypto_box_keypair(pair.public_key.data(), pair.secret_key.data());
    return pair;
}

BoxKeyPair BoxKeyPair::from_seed(std::span<const unsigned char, 32> seed) {
    ensure_sodium();
    BoxKeyPair pair;
    pair.secret_key = SecretBuffer(box_secret_key_bytes);
    crypto_box_seed_keypair(pair.public_key.data(), pair.secret_key.data(), seed.data());
    return pair;
}

BoxKeyPair BoxKeyPair::from_secret(std::span<const unsigned char, box_secret_key_bytes> secret) {
    ensure_sodium();
    BoxKeyPair pair;
    pair.secret_key = SecretBuffer::copy_of(secret);
    crypto_scalarmult_base(pair.public_key.data(), pair.secret_key.data());
    return pair;
}

SecretIdentity SecretIdentity::generate() {
    SecretIdentity id;
    id.box = BoxKeyPair::generate();
    id.public_identity.box = id.box.public_key;
    SecretBuffer seed(sign_seed_bytes);
    randombytes_buf(seed.data(), seed.size());
    sign_pair_from_seed(seed.data(), id);
    return id;
}

SecretIdentity SecretIdentity::generate_organisation() {
    ensure_sodium();
    SecretIdentity id;
    id.contents = KeyFileContents::organisation;
    SecretBuffer seed(sign_seed_bytes);
    randombytes_buf(seed.data(), seed.size());
    sign_pair_from_seed(seed.data(), id);
    return id;
}

KdfLimits kdf_interactive() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
            crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}
KdfLimits kdf_moderate() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_MODERATE, crypto_pwhash_argon2id_MEMLIMIT_MODERATE};
}
KdfLimits kdf_sensitive() noexcept {
    return {crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE, crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE};
}

std::string encode_public_key(const PublicIdentity& identity) {
    ensure_sodium();
    std::array<unsigned char, public_body_bytes> body{};
    std::memcpy(body.data(), identity.box.data(), box_public_key_bytes);
    std::memcpy(body.data() + box_public_key_bytes, identity.sign.data(), sign_public_key_bytes);
    const auto sum = identity_hash(labels::public_key_checksum_label, identity);
    std::memcpy(body.data() + box_public_key_bytes + sign_public_key_bytes, sum.data(),
                checksum_bytes);
    return std::string(labels::public_key_prefix) + to_base64url(body);
}

std::error_code decode_public_key(std::string_view text, PublicIdentity& out) {
    ensure_sodium();
    if (!text.starts_with(labels::public_key_prefix)) {
        return is_other_key_version(text, "tipline-pk") ? Error::unsupported_version
                                                        : Error::malformed;
    }
    std::array<unsigned char, public_body_bytes> body{};
    if (!from_base64url(text.substr(labels::public_key_prefix.size()), body))
        return Error::malformed;
    PublicIdentity id;
    std::memcpy(id.box.data(), body.data(), box_public_key_bytes);
    std::memcpy(id.sign.data(), body.data() + box_public_key_bytes, sign_public_key_bytes);
    const auto sum = identity_hash(labels::public_key_checksum_label, id);
    if (sodium_memcmp(sum.data(), body.data() + box_public_key_bytes + sign_public_key_bytes,
                      checksum_bytes) != 0) {
        return Error::malformed;
    }
    if (is_low_order(id.box)) return Error::malformed;
    out = id;
    return {};
}

bool is_low_order(const BoxPublicKey& key) noexcept {
    ensure_sodium();
    // libsodium refuses to return the all-zero output that every low-order point gives.
    constexpr std::array<unsigned char, 32> scalar{9};
    std::array<unsigned char, 32> shared{};
    const bool low = crypto_scalarmult(shared.data(), scalar.data(), key.data()) != 0;
    sodium_memzero(shared.data(), shared.size());
    return low;
}

std::string encode_organisation_key(const OrganisationKey& key) {
    std::array<unsigned char, organisation_body_bytes> body{};
    std::memcpy(body.data(), key.key.data(), key.key.size());
    const auto sum = labelled_hash(labels::organisation_key_checksum_label, {key.key});
    std::memcpy(body.data() + key.key.size(), sum.data(), checksum_bytes);
    return std::string(labels::organisation_key_prefix) + to_base64url(body);
}

std::error_code decode_organisation_key(std::string_view text, OrganisationKey& out) {
    if (!text.starts_with(labels::organisation_key_prefix)) {
        return is_other_key_version(text, "tipline-org") ? Error::unsupported_version
                                                         : Error::malformed;
    }
    std::array<unsigned char, organisation_body_bytes> body{};
    if (!from_base64url(text.substr(labels::organisation_key_prefix.size()), body))
        return Error::malformed;
    OrganisationKey key;
    std::memcpy(key.key.data(), body.data(), key.key.size());
    const auto sum = labelled_hash(labels::organisation_key_checksum_label, {key.key});
    if (sodium_memcmp(sum.data(), body.data() + key.key.size(), checksum_bytes) != 0)
        return Error::malformed;
    out = key;
    return {};
}

std::string organisation_fingerprint(const OrganisationKey& key) {
    return fingerprint_digits(labelled_hash(labels::organisation_fingerprint_label, {key.key}));
}

std::string fingerprint(const PublicIdentity& identity) {
    return fingerprint_digits(identity_hash(labels::fingerprint_label, identity));
}

std::string fingerprint_digits(std::span<const unsigned char, 32> hash) {
    std::string out;
    for (std::size_t group = 0; group < fingerprint_groups; ++group) {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < 5; ++i) v = (v << 8) | hash[group * 5 + i];
        v %= 100000;
        char digits[6];
        for (int i = 4; i >= 0; --i, v /= 10) digits[i] = static_cast<char>('0' + v % 10);
        digits[5] = '\0';
        if (group > 0) out += ' ';
        out += digits;
    }
    return out;
}

std::optional<std::string> parse_fingerprint(std::string_view typed) {
    std::array<unsigned char, fingerprint_groups * 5> digits{};
    if (!read_typed_digits(typed, DigitSeparators::fingerprint, digits)) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && i % 5 == 0) out += ' ';
        out += static_cast<char>(digits[i]);
    }
    return out;
}

std::vector<unsigned char> seal_secret_key_file(const SecretIdentity& identity,
                                                KeyFileContents contents,
                                                std::span<const unsigned char> passphrase,
                                                KdfLimits limits) {
    ensure_sodium();
    check_kdf_limits_or_throw(limits);
    if (contents == KeyFileContents::decrypt_and_sign && !identity.can_decrypt()) {
        throw std::invalid_argument("a sign-only identity cannot be saved as a decryption key");
    }
    if ((contents == KeyFileContents::organisation) !=
        (identity.contents == KeyFileContents::organisation)) {
        throw std::invalid_argument(
            "an organisation key and a responder key are saved only as what they are");
    }
    std::vector<unsigned char> out;
    out.reserve(key_file_header_bytes + secret_body_bytes + key_file_tag_bytes);
    put_bytes(out, labels::secret_key_magic);
    put_u16(out, labels::secret_key_version);
    put_u8(out, static_cast<std::uint8_t>(contents));
    put_u8(out, kdf_argon2id13);
    put_u32(out, limits.opslimit);
    put_u64(out, limits.memlimit);
    const std::size_t salt_at = out.size();
    out.resize(out.size() + key_file_salt_bytes + key_file_nonce_bytes);
    randombytes_buf(out.data() + salt_at, key_file_salt_bytes + key_file_nonce_bytes);
    const unsigned char* salt = out.data() + salt_at;

    SecretBuffer body(secret_body_bytes);
    if (contents == KeyFileContents::decrypt_and_sign) {
        std::memcpy(body.data(), identity.box.secret_key.data(), box_secret_key_bytes);
    } else if (contents == KeyFileContents::sign_only) {
        std::memcpy(body.data(), identity.public_identity.box.data(), box_public_key_bytes);
    } else {
        sodium_memzero(body.data(), box_public_key_bytes);  // an organisation has no X25519 key
    }
    crypto_sign_ed25519_sk_to_seed(body.data() + box_secret_key_bytes, identity.sign_secret.data());

    const SecretBuffer key = derive_file_key(passphrase, salt, limits);
    out.resize(key_file_header_bytes + body.size() + key_file_tag_bytes);
    unsigned long long ct_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        out.data() + key_file_header_bytes, &ct_len, body.data(), body.size(), out.data(),
        key_file_header_bytes, nullptr, out.data() + key_file_header_bytes - key_file_nonce_bytes,
        key.data());
    return out;
}

std::error_code open_secret_key_file(std::span<const unsigned char> file,
                                     std::span<const unsigned char> passphrase,
                                     SecretIdentity& out) {
    ensure_sodium();
    const auto magic = as_bytes(labels::secret_key_magic);
    const std::size_t head = std::min(file.size(), magic.size());
    if (head > 0 && std::memcmp(file.data(), magic.data(), head) != 0) return Error::malformed;
    if (file.size() < 10) return Error::truncated;

    ByteReader r(file.subspan(magic.size()));
    if (*r.take_u16() != labels::secret_key_version) return Error::unsupported_version;
    if (file.size() < key_file_header_bytes) return Error::truncated;
    const auto contents = static_cast<KeyFileContents>(*r.take_u8());
    if (contents != KeyFileContents::decrypt_and_sign && contents != KeyFileContents::sign_only &&
        contents != KeyFileContents::organisation) {
        return Error::malformed;
    }
    if (*r.take_u8() != kdf_argon2id13) return Error::malformed;
    const KdfLimits limits{*r.take_u32(), *r.take_u64()};
    if (limits.opslimit < 1 || limits.opslimit > kdf_max_opslimit ||
        limits.memlimit < kdf_min_memlimit || limits.memlimit > kdf_max_memlimit ||
        limits.memlimit % 1024 != 0) {
        return Error::malformed;
    }
    const std::size_t expected = key_file_header_bytes + secret_body_bytes + key_file_tag_bytes;
    if (file.size() < expected) return Error::truncated;
    if (file.size() > expected) return Error::malformed;

    const unsigned char* salt =
        file.data() + key_file_header_bytes - key_file_nonce_bytes - key_file_salt_bytes;
    const unsigned char* nonce = file.data() + key_file_header_bytes - key_file_nonce_bytes;
    const SecretBuffer key = derive_file_key(passphrase, salt, limits);
    SecretBuffer body(secret_body_bytes);
    unsigned long long body_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(body.data(), &body_len, nullptr,
                                                   file.data() + key_file_header_bytes,
                                                   file.size() - key_file_header_bytes, file.data(),
                                                   key_file_header_bytes, nonce, key.data()) != 0) {
        return Error::authentication_failed;
    }

    SecretIdentity id;
    id.contents = contents;
    if (contents == KeyFileContents::decrypt_and_sign) {
        id.box = BoxKeyPair::from_secret(body.span().first<box_secret_key_bytes>());
        id.public_identity.box = id.box.public_key;
    } else if (contents == KeyFileContents::sign_only) {
        std::memcpy(id.public_identity.box.data(), body.data(), box_public_key_bytes);
    } else if (!sodium_is_zero(body.data(), box_public_key_bytes)) {
        return Error::malformed;
    }
    sign_pair_from_seed(body.data() + box_secret_key_bytes, id);
    out = std::move(id);
    return {};
}

}  // namespace tipline::crypto
