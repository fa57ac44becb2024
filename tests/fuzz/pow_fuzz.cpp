// The Tipline-Proof header: the text parser, the work check, and the server's verdict. A proof that
// parses prints back to the same text; the server accepts nothing it did not issue.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fixture.hpp"
#include "tipline/crypto/proof_of_work.hpp"
#include "tipline/server/proof_of_work.hpp"

namespace {

using namespace tipline;
using fuzz::require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // One server for the whole run, at 0 bits, so that any nonce solves: only the challenge's
    // authentication and the spent set stand between an input and acceptance.
    static server::ProofOfWork pow({.bits = 0, .max_bits = 0, .target_per_minute = 1000000});
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    crypto::PowProof proof;
    if (!crypto::parse_pow_proof(text, proof)) {
        require(crypto::pow_proof_text(proof.challenge, proof.nonce) == text);
        require(static_cast<bool>(crypto::check_pow_work(proof)) ==
                (crypto::pow_zero_bits(proof.challenge, proof.nonce) <
                 crypto::pow_bits(proof.challenge)));
    }
    const server::PowVerdict verdict = pow.check(text);
    require(verdict != server::PowVerdict::accepted);  // the fuzzer cannot forge the server's MAC
    return 0;
}
