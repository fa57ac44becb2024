// Every response the server builds: JSON, bytes, pages and the web form's files, each with the same
// security headers (secure_headers), and the JSON error shape all endpoints share.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "tipline/server/http_types.hpp"

namespace tipline::server {

// What a response carries, which decides its Content-Security-Policy: a page may load its own style
// sheet and script; the page's worker script may load its own scripts and compile WebAssembly;
// nothing else may load anything.
enum class ContentKind { page, worker, other };

// Sets the headers every response carries: no caching, no sniffing, no referrer, no framing, no
// sharing across origins, no camera, microphone or location, and the CSP for kind.
void secure_headers(Response& response, ContentKind kind);

Response json_response(http::status status, const boost::json::value& body, unsigned version,
                       bool keep_alive);
// Bytes (a bundle) as application/octet-stream.
Response bytes_response(std::string body, unsigned version, bool keep_alive);
// A page of the web form, text/html in UTF-8.
Response html_response(http::status status, std::string body, unsigned version, bool keep_alive);

// {"error": {"code": ..., "message": ...}}; never echoes anything from the request.
boost::json::object error_body(std::string_view code, std::string_view message);
// A JSON error with a stable code; the connection closes after it.
Response error_response(http::status status, std::string_view code, std::string_view message,
                        unsigned version = 11);
Response method_not_allowed(std::string_view allowed, unsigned version);

}  // namespace tipline::server
