// Reading a server's JSON answer as hostile data: one parser and one number reader for both APIs.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tipline/client/http_client.hpp"

namespace tipline::client {

// The answer's body as a JSON object; an I/O error (exit 2) for anything else.
boost::json::object parse_answer(const HttpResponse& response);

// A member that is a whole number from 0 to 2^64-1; nullopt when it is missing, negative,
// fractional or too large, so a hostile number is refused rather than thrown past the tool.
std::optional<std::uint64_t> unsigned_member(const boost::json::object& object,
                                             std::string_view name);

// A member that is exactly 32 lowercase hex digits (an id or an upload key); an I/O error
// otherwise, so nothing from the server reaches a terminal or a request path unchecked.
std::string item_id_member(const boost::json::object& object, std::string_view name);

}  // namespace tipline::client
