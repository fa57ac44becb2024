// TipId generation and hex form.
#include "tipline/server/tip_id.hpp"

#include <sodium.h>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::server {

TipId TipId::random() {
    crypto::ensure_sodium();
    TipId id;
    randombytes_buf(id.bytes.data(), id.bytes.size());
    return id;
}

std::optional<TipId> TipId::from_hex(std::string_view hex) {
    TipId id;
    if (!crypto::from_hex(hex, id.bytes)) return std::nullopt;
    return id;
}

std::string TipId::hex() const { return crypto::to_hex(bytes); }

}  // namespace tipline::server
