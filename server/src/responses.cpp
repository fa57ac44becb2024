// Response builders, and the one set of security headers every response carries.
#include "tipline/server/responses.hpp"

#include <boost/json/serialize.hpp>

namespace tipline::server {
namespace {

namespace json = boost::json;

// A page may use its own style sheet and script, post forms and make requests to itself; the
// script's libsodium may compile WebAssembly. Nothing from elsewhere, no framing.
constexpr std::string_view page_csp =
    "default-src 'none'; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
// The page's worker (web/static/tipline-worker.js) runs under the policy its own response carries:
// it loads libsodium and the sealing module from here and compiles libsodium's WebAssembly; it
// may fetch nothing (the page makes every API request).
constexpr std::string_view worker_csp = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'";
// Anything else loads nothing and, opened as a document, runs nothing.
constexpr std::string_view other_csp = "default-src 'none'; frame-ancestors 'none'; sandbox";

}  // namespace

void secure_headers(Response& res, ContentKind kind) {
    res.set(http::field::cache_control, "no-store");
    res.set("Content-Security-Policy", kind == ContentKind::page     ? page_csp
                                       : kind == ContentKind::worker ? worker_csp
                                                                     : other_csp);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.set("X-Frame-Options", "DENY");
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    res.set("Cross-Origin-Resource-Policy", "same-origin");
    res.set("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

namespace {

Response make_response(http::status status, std::string_view content_type, ContentKind kind,
                       std::string body, unsigned version, bool keep_alive) {
    Response res{status, version};
    res.set(http::field::content_type, content_type);
    secure_headers(res, kind);
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

}  // namespace

Response json_response(http::status status, const json::value& body, unsigned version,
                       bool keep_alive) {
    return make_response(status, "application/json; charset=utf-8", ContentKind::other,
                         json::serialize(body) + "\n", version, keep_alive);
}

Response bytes_response(std::string body, unsigned version, bool keep_alive) {
    return make_response(http::status::ok, "application/octet-stream", ContentKind::other,
                         std::move(body), version, keep_alive);
}

Response html_response(http::status status, std::string body, unsigned version, bool keep_alive) {
    return make_response(status, "text/html; charset=utf-8", ContentKind::page, std::move(body),
                         version, keep_alive);
}

json::object error_body(std::string_view code, std::string_view message) {
    return json::object{{"error", json::object{{"code", code}, {"message", message}}}};
}

Response error_response(http::status status, std::string_view code, std::string_view message,
                        unsigned version) {
    return json_response(status, error_body(code, message), version, false);
}

Response method_not_allowed(std::string_view allowed, unsigned v) {
    Response res = error_response(http::status::method_not_allowed, "method_not_allowed",
                                  "this method is not allowed here", v);
    res.set(http::field::allow, allowed);
    return res;
}

}  // namespace tipline::server
