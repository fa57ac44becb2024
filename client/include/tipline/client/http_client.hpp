// A small HTTP client over libcurl for the witness and responder tools, with optional SOCKS proxy
// (Tor).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

// The network failed (as opposed to the server answering with an error): worth a retry.
class TransportError : public tooling::ToolError {
  public:
    using tooling::ToolError::ToolError;
};

struct HttpResponse {
    long status = 0;
    std::string body;
};

// The proxy URL for libcurl from what --proxy was given, or empty for none. HOST:PORT is taken as
// socks5h://HOST:PORT, and socks5h://[USER:PASSWORD@]HOST:PORT as it is: the proxy (Tor) resolves
// the server's name, never this machine. socks5:// and socks4://, which resolve it here in the
// open, and anything else are refused (exit 2), naming the forms taken.
std::string proxy_url(std::string_view given);

class HttpClient {
  public:
    // base_url such as http://xyz.onion or http://127.0.0.1:8080; proxy as proxy_url() takes it
    // (127.0.0.1:9050 or socks5h://127.0.0.1:9050 for Tor), or empty.
    HttpClient(std::string base_url, std::string proxy);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Throws TransportError when the server cannot be reached or the connection drops.
    HttpResponse get(std::string_view path);
    HttpResponse post(std::string_view path, std::span<const unsigned char> body,
                      std::string_view content_type);
    // Any method, with extra "Name: value" header lines.
    HttpResponse request(std::string_view method, std::string_view path,
                         std::span<const unsigned char> body,
                         const std::vector<std::string>& headers);

    // Whether a caught signal (interrupt.hpp) cuts a request short with Interrupted; it does
    // unless told otherwise, for requests that should finish once begun.
    void stop_on_interrupt(bool stop) noexcept { stop_on_interrupt_ = stop; }

  private:
    std::string base_url_;
    std::string proxy_;
    void* curl_;
    bool stop_on_interrupt_ = true;
};

// "Name: value", one extra header line for HttpClient::request.
inline std::string header_line(std::string_view name, std::string_view value) {
    std::string line(name);
    line += ": ";
    line += value;
    return line;
}

// The message of a JSON error body ({"error": {"code", "message"}}), or a generic text.
std::string describe_server_error(const HttpResponse& response);
// The stable code of a JSON error body, or empty.
std::string server_error_code(const HttpResponse& response);

}  // namespace tipline::client
