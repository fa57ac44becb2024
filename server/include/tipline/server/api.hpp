// The source API's JSON endpoints under /api/v1/ (docs/PROTOCOL.md, "Source API"), as pure
// functions from a request to a response or to a write to make. No sockets and no routing of pages
// here: router.hpp sends requests this way.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "tipline/server/action.hpp"
#include "tipline/server/http_types.hpp"
#include "tipline/server/server_info.hpp"
#include "tipline/server/tip_id.hpp"

namespace tipline::server {

// An endpoint of the source API, from a request's path.
struct ApiRoute {
    enum Kind {
        keys,
        challenge,
        tips,
        uploads,
        upload,
        upload_finish,
        mailbox,
        mailbox_messages,
        none
    } kind = none;
    std::optional<TipId> key;  // the upload's, for upload and upload_finish
};
ApiRoute api_route(std::string_view target);

// The largest body this endpoint takes with this method (0 for none).
std::uint64_t api_body_limit(const ApiRoute& route, http::verb method, const ServerInfo& info);

// Whether this request must carry a solved proof of work: new tips, uploads and follow-ups, when
// the server asks for work. Upload chunks are covered by the proof that started their upload.
bool api_needs_proof(const ApiRoute& route, http::verb method, const ServerInfo& info);
// Checks and spends the request's proof; the answer refusing it, or nothing when it is accepted.
std::optional<Response> check_proof(const RequestHeader& header, const ServerInfo& info);

// A complete request to an endpoint of the source API, on a connection of this circuit.
Action handle_api(const ApiRoute& route, Request&& request, const ServerInfo& info,
                  Circuit& circuit);

// A whole envelope in a body: its header is sound and the body is exactly as long as it says.
std::optional<Response> check_envelope_body(const std::vector<unsigned char>& body,
                                            const ServerInfo& info, unsigned version);

// The answer to a stored tip (ec empty: 201 with its id) or to a write that failed.
Response stored_response(std::error_code ec, const TipId& id, unsigned version, bool keep_alive);

}  // namespace tipline::server
