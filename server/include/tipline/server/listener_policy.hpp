// What a listener refuses, as pure functions of what it saw: the checks on every request's header
// before its body is read, and the answer when reading a request failed. The listener
// (http_server.cpp) does the I/O and asks these.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tipline/server/action.hpp"
#include "tipline/server/circuits.hpp"
#include "tipline/server/http_types.hpp"

namespace tipline::server {

// The checks every request's header gets, with the body limit its endpoint allows (0: no body):
// a known method, a path, chunked as the only transfer coding, a length, and not too large.
std::optional<Response> screen_header_with_limit(const RequestHeader& header, std::uint64_t limit);

// The answer when reading a request failed; nullopt means close without one (the client sent
// nothing, or left). got_bytes: some of a request had arrived; draining: the server is stopping.
std::optional<Response> read_refusal(ReadProblem problem, bool got_bytes, bool draining);

// The PROXY protocol version 1 line Tor sends first on each connection when the onion service has
// HiddenServiceExportCircuitID haproxy: "PROXY TCP6 SRC DST SRCPORT DSTPORT", at most
// max_proxy_line_bytes with its CRLF (line excludes it). The circuit is the low 32 bits of SRC.
// nullopt for anything else, "PROXY UNKNOWN" included: such a connection is refused.
inline constexpr std::size_t max_proxy_line_bytes = 107;
std::optional<CircuitId> parse_proxy_line(std::string_view line);

}  // namespace tipline::server
