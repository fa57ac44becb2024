// A responder's key pair (write_key_pair) in a temporary folder, with its passphrase in a file:
// what the tests of the tools' command lines start from.
#pragma once

#include <filesystem>
#include <string>

#include "support.hpp"

namespace tipline::test {

struct Keys {
    TempDir dir;
    std::filesystem::path key = dir / "responder.key";
    std::filesystem::path pub = dir / "responder.key.pub";
    std::filesystem::path pass = dir / "pass";
    Keys() { write_key_pair(key, pass, "a long enough passphrase"); }
    // The options that unlock the secret key, each with a space before it.
    std::string unlock() const { return " --key " + q(key) + " --passphrase-file " + q(pass); }
};

}  // namespace tipline::test
