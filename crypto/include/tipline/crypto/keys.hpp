// Responder identities: X25519 for decryption, Ed25519 for signing, their text form, fingerprint
// and key file, which also holds the organisation's signing key.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::crypto {

inline constexpr std::size_t box_public_key_bytes = 32;
inline constexpr std::size_t box_secret_key_bytes = 32;
inline constexpr std::size_t sign_public_key_bytes = 32;
inline constexpr std::size_t sign_seed_bytes = 32;
inline constexpr std::size_t sign_secret_key_bytes = 64;

using BoxPublicKey = std::array<unsigned char, box_public_key_bytes>;
using SignPublicKey = std::array<unsigned char, sign_public_key_bytes>;

// An X25519 key pair; the secret half lives in secure memory.
struct BoxKeyPair {
    BoxPublicKey public_key{};
    SecretBuffer secret_key;

    static BoxKeyPair generate();
    // Deterministic pair from a 32-byte seed (crypto_box_seed_keypair).
    static BoxKeyPair from_seed(std::span<const unsigned char, 32> seed);
    // Pair from a raw X25519 secret key; the public key is recomputed.
    static BoxKeyPair from_secret(std::span<const unsigned char, box_secret_key_bytes> secret);
};

// What a responder publishes: the key tips are sealed to and the key that signs API requests.
struct PublicIdentity {
    BoxPublicKey box{};
    SignPublicKey sign{};
    bool operator==(const PublicIdentity&) const = default;
};

enum class KeyFileContents : std::uint8_t {
    decrypt_and_sign = 1,  // offline use: opens tips and signs
    sign_only = 2,         // online use: signs API requests, can never decrypt
    organisation = 3,      // the NGO's offline key that signs recipient lists; no decryption key
};

struct SecretIdentity {
    KeyFileContents contents = KeyFileContents::decrypt_and_sign;
    PublicIdentity public_identity;  // for an organisation key, box is all zero
    BoxKeyPair box;                  // secret_key is empty when the file was sign_only
    SecretBuffer sign_secret;        // 64 bytes, libsodium's seed || public key form

    bool can_decrypt() const noexcept { return !box.secret_key.empty(); }
    static SecretIdentity generate();
    // An organisation key: the Ed25519 pair only.
    static SecretIdentity generate_organisation();
};

struct KdfLimits {
    std::uint32_t opslimit;
    std::uint64_t memlimit;
};
KdfLimits kdf_interactive() noexcept;  // 64 MiB, for tests and scripts
KdfLimits kdf_moderate() noexcept;     // 256 MiB, the default for key files
KdfLimits kdf_sensitive() noexcept;    // 1 GiB

inline constexpr std::uint32_t kdf_max_opslimit = 64;
inline constexpr std::uint64_t kdf_min_memlimit = 8192;
inline constexpr std::uint64_t kdf_max_memlimit = std::uint64_t{4} << 30;

std::string encode_public_key(const PublicIdentity& identity);
// Strict: exact prefix, canonical unpadded base64url, exact length, matching checksum, and an
// X25519 key of large order (nothing can be sealed to a low-order one).
std::error_code decode_public_key(std::string_view text, PublicIdentity& out);
// Whether an X25519 public key has small order (all zeros among them): X25519 with any scalar
// gives the all-zero secret, so a tip sealed to it could not be opened (FORMAT.md 6.2).
bool is_low_order(const BoxPublicKey& key) noexcept;
// Five groups of five digits, for two people to read aloud and compare.
std::string fingerprint(const PublicIdentity& identity);
// The five groups of digits of a labelled hash (FORMAT.md 6.3), shared by every kind of
// fingerprint.
std::string fingerprint_digits(std::span<const unsigned char, 32> hash);
// A fingerprint as a person typed or pasted it (any grouping, dashes, full-width digits), in the
// canonical form fingerprint() prints; nullopt unless it holds exactly 25 digits and separators.
std::optional<std::string> parse_fingerprint(std::string_view typed);

// The organisation's Ed25519 public key, which signs the list of responders (FORMAT.md section 17).
struct OrganisationKey {
    SignPublicKey key{};
    bool operator==(const OrganisationKey&) const = default;
};

std::string encode_organisation_key(const OrganisationKey& key);
// Strict, as decode_public_key: exact prefix, canonical base64url, exact length, matching checksum.
std::error_code decode_organisation_key(std::string_view text, OrganisationKey& out);
// Five groups of five digits, under a label of its own: never equal to a responder's by
// construction.
std::string organisation_fingerprint(const OrganisationKey& key);

// Throws std::invalid_argument for limits a reader would refuse, decrypt_and_sign without a box
// key, or contents that do not match the identity (an organisation key is saved only as
// organisation).
std::vector<unsigned char> seal_secret_key_file(const SecretIdentity& identity,
                                                KeyFileContents contents,
                                                std::span<const unsigned char> passphrase,
                                                KdfLimits limits);
// A wrong passphrase and an altered file both give Error::authentication_failed.
std::error_code open_secret_key_file(std::span<const unsigned char> file,
                                     std::span<const unsigned char> passphrase,
                                     SecretIdentity& out);

}  // namespace tipline::crypto
