// The witness side of the source API (docs/PROTOCOL.md): fetch the recipients' keys, submit an envelope.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "tipline/client/http_client.hpp"
#include "tipline/crypto/keys.hpp"

namespace tipline::client {

struct ServerKeys {
    std::vector<crypto::PublicIdentity> recipients;
    std::uint64_t inline_bytes = 0;
    std::uint64_t upload_chunk_bytes = 0;
};

// GET /api/v1/keys; every key is checked (checksum, canonical form) before it is returned.
ServerKeys fetch_server_keys(HttpClient& http);

// POST /api/v1/tips; returns the tip's id once the server has stored it durably.
std::string submit_envelope(HttpClient& http, std::span<const unsigned char> envelope);

struct UploadProgress {
    std::uint64_t done = 0;
    std::uint64_t total = 0;
};

// Sends length bytes read from fd (positioned reads from offset 0) as a resumable upload in chunks of
// chunk_bytes. A dropped connection is retried from the offset the server confirms as durable.
// Returns the tip's id once the server has stored the whole envelope.
std::string upload_envelope(HttpClient& http, int fd, std::uint64_t length, std::uint64_t chunk_bytes,
                            const std::function<void(const UploadProgress&)>& progress);

}  // namespace tipline::client
