// Getting passphrases from a person or a script, and loading key files and public keys for the
// tools.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::tooling {

inline constexpr std::size_t max_passphrase_size = 1024;
inline constexpr std::size_t max_key_file_size = 4096;

struct PassphraseSource {
    std::filesystem::path file;  // first line of this file, when set
    int fd = -1;                 // first line read from this descriptor, when set
};

// From the file or descriptor when given, otherwise asked on the terminal with echo off
// (twice when confirm is set). Empty passphrases are refused.
crypto::SecretBuffer obtain_passphrase(const PassphraseSource& source, std::string_view prompt,
                                       bool confirm);

// What a command does with a responder's key: sign (a sign-only copy will do) or decrypt too.
enum class KeyUse { sign, decrypt };

// Decrypts a responder's secret key file ("-": standard input); a wrong passphrase exits 1 with a
// hint. A file of the wrong kind is refused (exit 2) before the passphrase is asked for: a public
// key, an envelope or any other file that is not a secret key, the organisation's key (it signs
// recipient lists and nothing else), and a sign-only key where use is decrypt.
crypto::SecretIdentity load_secret_key(const std::filesystem::path& path,
                                       const PassphraseSource& source, KeyUse use = KeyUse::sign);
// Decrypts the organisation's key file, and refuses any other.
crypto::SecretIdentity load_organisation_key(const std::filesystem::path& path,
                                             const PassphraseSource& source);

// Accepts the key text itself ("tipline-pk1-...") or the path of a file holding it ("-": standard
// input). A file of another kind (a secret key, the organisation's key, an envelope) is named as
// such (exit 2).
crypto::PublicIdentity load_public_key(std::string_view text_or_path);
// The same for the organisation's public key ("tipline-org1-...").
crypto::OrganisationKey load_organisation_public_key(std::string_view text_or_path);

}  // namespace tipline::tooling
