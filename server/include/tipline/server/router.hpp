// The source listener's one place of routing: which endpoint a request is for, what body it may
// carry, what is refused before the body is read, and which handler answers: the JSON API
// (api.hpp), the pages (web.hpp) or the form without JavaScript (web_form.hpp). Handlers never
// route.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "tipline/server/action.hpp"
#include "tipline/server/http_types.hpp"
#include "tipline/server/server_info.hpp"

namespace tipline::server {

// The largest body this request may carry (0 for requests that take none).
std::uint64_t body_limit_for(const RequestHeader& header, const ServerInfo& info);

// Checks a request's header before any body byte is read, proof of work included; a response
// means: send it and close. The web form's visitors get a page in their language, not JSON.
std::optional<Response> screen_header(const RequestHeader& header, const ServerInfo& info);

// The body of this request, when it is one the listener streams (the web form's posts); nullptr
// for every other request.
std::unique_ptr<StreamedBody> streamed_body_for(const RequestHeader& header, const ServerInfo& info,
                                                Circuit& circuit);

// A complete request that was not streamed, on a connection of this circuit.
Action handle_request(Request&& request, const ServerInfo& info, Circuit& circuit);

}  // namespace tipline::server
