// What the listener refuses (listener_policy.hpp) and the headers every response carries
// (responses.hpp), as pure functions: no socket.
#include "tipline/server/listener_policy.hpp"

#include <catch2/catch.hpp>

#include "tipline/server/responses.hpp"
#include "tipline/server/web.hpp"

using namespace tipline;
using server::ReadProblem;
using server::http::status;

namespace {

std::string code_of(const server::Response& r) {
    const auto at = r.body().find("\"code\":\"");
    if (at == std::string::npos) return "";
    const auto from = at + 8;
    return r.body().substr(from, r.body().find('"', from) - from);
}

}  // namespace

TEST_CASE("a request that could not be read gets the answer its problem calls for",
          "[listener_policy]") {
    using server::read_refusal;
    const auto header = read_refusal(ReadProblem::header_too_large, true, false);
    REQUIRE(header);
    CHECK(header->result() == status::request_header_fields_too_large);
    CHECK(code_of(*header) == "header_too_large");

    // A connection that sent nothing and then timed out is closed without a word.
    CHECK_FALSE(read_refusal(ReadProblem::timed_out, false, false));
    CHECK_FALSE(read_refusal(ReadProblem::timed_out, false, true));
    const auto slow = read_refusal(ReadProblem::timed_out, true, false);
    REQUIRE(slow);
    CHECK(slow->result() == status::request_timeout);
    // Cut short by a stop: nothing was stored, so the client is told to try again.
    const auto stopping = read_refusal(ReadProblem::timed_out, true, true);
    REQUIRE(stopping);
    CHECK(stopping->result() == status::service_unavailable);
    CHECK(code_of(*stopping) == "shutting_down");

    const auto large = read_refusal(ReadProblem::body_too_large, true, false);
    REQUIRE(large);
    CHECK(large->result() == status::payload_too_large);
    const auto bad = read_refusal(ReadProblem::malformed, true, false);
    REQUIRE(bad);
    CHECK(bad->result() == status::bad_request);
    CHECK(code_of(*bad) == "bad_request");
    // Every refusal closes the connection.
    for (const auto& r : {header, slow, stopping, large, bad}) CHECK_FALSE(r->keep_alive());
}

TEST_CASE("every kind of response carries the same security headers", "[listener_policy]") {
    server::ServerInfo info;
    const server::Request page_request{server::http::verb::get, "/en/submit", 11};
    const server::Request asset_request{server::http::verb::get, "/static/style.css", 11};
    const server::Response responses[] = {
        server::json_response(status::ok, boost::json::object{}, 11, true),
        server::bytes_response("x", 11, true),
        server::error_response(status::not_found, "not_found", "no"),
        server::method_not_allowed("GET", 11),
        server::html_response(status::ok, "<p>", 11, true),
        server::web_response(page_request.base(), *server::web_target("/en/submit"), info),
        server::web_response(asset_request.base(), *server::web_target("/static/style.css"), info),
        server::form_error_page("ko", status::bad_request, "error.bad_form", 11),
    };
    const std::pair<const char*, const char*> expected[] = {
        {"Cache-Control", "no-store"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
    };
    for (std::size_t i = 0; i < std::size(responses); ++i) {
        INFO("response " << i);
        for (const auto& [name, value] : expected) {
            INFO(name);
            CHECK(std::string(responses[i][name]) == value);
        }
        const std::string csp(responses[i]["Content-Security-Policy"]);
        const bool page =
            std::string(responses[i][server::http::field::content_type]).starts_with("text/html");
        // A page may load its own style sheet and script; nothing else may load anything.
        CHECK(csp.starts_with("default-src 'none';"));
        CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
        CHECK((csp.find("script-src 'self'") != std::string::npos) == page);
        CHECK((csp.find("sandbox") != std::string::npos) == !page);
    }
}

TEST_CASE("Tor's PROXY line gives the circuit, and anything else is refused", "[listener_policy]") {
    using server::parse_proxy_line;
    // As tor writes it for HiddenServiceExportCircuitID haproxy: the circuit is the source
    // address's low 32 bits.
    CHECK(parse_proxy_line("PROXY TCP6 fc00:dead:beef:4dad::12:3456 ::1 65535 80") == 0x00123456u);
    CHECK(parse_proxy_line("PROXY TCP6 fc00:dead:beef:4dad::ffff:ffff ::1 65535 80") ==
          0xffffffffu);
    CHECK(parse_proxy_line("PROXY TCP6 fc00:dead:beef:4dad::0:0 ::1 65535 80") == 0u);
    // Two streams of one circuit are one circuit; the upper 96 bits do not matter.
    CHECK(parse_proxy_line("PROXY TCP6 fc00::1:2 ::1 1 2") ==
          parse_proxy_line("PROXY TCP6 fd12:3456::1:2 ::1 65535 80"));
    CHECK(parse_proxy_line("PROXY TCP4 127.0.0.2 127.0.0.1 5000 80") == 0x7f000002u);

    for (const char* bad : {
             "", "PROXY", "PROXY UNKNOWN", "PROXY UNKNOWN fc00::1 ::1 1 2",
             "PROXY TCP6 fc00::1 ::1 1",            // a field missing
             "PROXY TCP6 fc00::1 ::1 1 2 3",        // one too many
             "PROXY TCP6  fc00::1 ::1 1 2",         // two spaces
             "PROXY TCP6 fc00::1 ::1 1 2 ",         // a trailing space
             "proxy TCP6 fc00::1 ::1 1 2",          // the keyword is upper case
             "PROXY TCP6 127.0.0.1 ::1 1 2",        // not an IPv6 address
             "PROXY TCP6 fc00::g ::1 1 2",          // not hex
             "PROXY TCP6 fe80::1%eth0 ::1 1 2",     // a scope
             "PROXY TCP6 fc00::1 ::1 65536 2",      // a port out of range
             "PROXY TCP6 fc00::1 ::1 01 2",         // a leading zero
             "PROXY TCP6 fc00::1 ::1 -1 2",         // a sign
             "PROXY TCP4 256.0.0.1 127.0.0.1 1 2",  // not an IPv4 address
             "PROXY TCP4 fc00::1 127.0.0.1 1 2",    // the wrong family
             "GET / HTTP/1.1",                      // a request without the line
         }) {
        INFO(bad);
        CHECK_FALSE(parse_proxy_line(bad));
    }
    // The longest TCP6 line there is fits; a line past 107 bytes with its CRLF never does.
    const std::string longest =
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535";
    CHECK(parse_proxy_line(longest) == 0xffffffffu);
    CHECK_FALSE(
        parse_proxy_line("PROXY TCP6 0000:0000:0000:0000:0000:0000:0000:0001 "
                         "0000:0000:0000:0000:0000:0000:0000:0001 00000065535 65535"));
    CHECK_FALSE(parse_proxy_line(std::string(server::max_proxy_line_bytes - 1, ' ')));
}
