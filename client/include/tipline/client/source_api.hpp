// The witness side of the source API (docs/PROTOCOL.md): fetch the recipients' keys, submit an envelope.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "tipline/client/http_client.hpp"
#include "tipline/crypto/keys.hpp"

namespace tipline::client {

struct ServerKeys {
    std::vector<crypto::PublicIdentity> recipients;
    std::uint64_t inline_bytes = 0;
};

// GET /api/v1/keys; every key is checked (checksum, canonical form) before it is returned.
ServerKeys fetch_server_keys(HttpClient& http);

// POST /api/v1/tips; returns the tip's id once the server has stored it durably.
std::string submit_envelope(HttpClient& http, std::span<const unsigned char> envelope);

}  // namespace tipline::client
