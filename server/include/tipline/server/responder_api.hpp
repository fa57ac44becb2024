// The responder API, served on its own listener: every request signed by a configured responder's
// Ed25519 key (FORMAT.md section 13), no cookies, no pages. Pure functions, as the source API.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "tipline/crypto/request_auth.hpp"
#include "tipline/server/action.hpp"
#include "tipline/server/http_types.hpp"
#include "tipline/server/server_info.hpp"

namespace tipline::server {

// Nonces seen inside the time window, so that a captured request cannot be sent again.
class ReplayGuard {
  public:
    explicit ReplayGuard(std::size_t capacity = 100000) : capacity_(capacity) {}
    // False when the nonce was seen before, or the guard is full of unexpired nonces.
    bool first_use(const crypto::RequestNonce& nonce, std::int64_t now, std::int64_t window_s);

  private:
    std::mutex mutex_;
    std::size_t capacity_;
    std::unordered_map<std::string, std::int64_t> seen_;  // nonce bytes -> when it may be forgotten
};

struct ResponderContext {
    const ServerInfo& info;
    ReplayGuard& replay;
    std::function<std::int64_t()> now = [] {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
};

std::uint64_t responder_body_limit(const RequestHeader& header, const ServerInfo& info);
std::optional<Response> screen_responder_header(const RequestHeader& header,
                                                const ServerInfo& info);
Action handle_responder_request(Request&& request, ResponderContext& context);

}  // namespace tipline::server
