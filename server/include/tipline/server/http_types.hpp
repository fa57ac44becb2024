// The HTTP messages the listeners and handlers pass around (Boost.Beast), and reading typed values
// out of a request's header fields.
#pragma once

#include <array>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tipline::server {

namespace http = boost::beast::http;
using Request = http::request<http::vector_body<unsigned char>>;
using RequestHeader = http::request_header<>;
using Response = http::response<http::string_body>;

// Whether the client keeps the connection open after this request (HTTP/1.1 unless it says close).
bool wants_keep_alive(const RequestHeader& header);

// A header field's value, or empty when the request has none.
std::string_view header_text(const RequestHeader& header, std::string_view name);

// A canonical decimal: digits only, no sign, no leading zero, fits in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view text);
// A header field holding a canonical decimal; nullopt when absent or not one.
std::optional<std::uint64_t> header_number(const RequestHeader& header, std::string_view name);

// A 32-byte value sent as 64 lowercase hex digits in a header: absent, malformed, or present.
struct Hex32Header {
    bool present = false;
    bool valid = false;
    std::array<unsigned char, 32> value{};
};
Hex32Header hex32_header(const RequestHeader& header, std::string_view name);

}  // namespace tipline::server
