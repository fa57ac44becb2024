// BLAKE2b-256 over a label and its inputs, fed incrementally.
#include "tipline/crypto/labelled_hash.hpp"

#include <sodium.h>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::crypto {

Hash32 labelled_hash(std::string_view label,
                     std::initializer_list<std::span<const unsigned char>> parts) {
    ensure_sodium();
    Hash32 out{};
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, out.size());
    crypto_generichash_update(&st, as_bytes(label).data(), label.size());
    for (const auto& part : parts) crypto_generichash_update(&st, part.data(), part.size());
    crypto_generichash_final(&st, out.data(), out.size());
    return out;
}

}  // namespace tipline::crypto
