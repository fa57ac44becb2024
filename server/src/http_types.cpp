// Typed values out of a request's header fields.
#include "tipline/server/http_types.hpp"

#include <boost/beast/http/rfc7230.hpp>
#include <charconv>

#include "tipline/crypto/bytes.hpp"

namespace tipline::server {

bool wants_keep_alive(const RequestHeader& h) {
    http::token_list connection(h[http::field::connection]);
    if (h.version() < 11) return connection.exists("keep-alive");
    return !connection.exists("close");
}

std::string_view header_text(const RequestHeader& h, std::string_view name) {
    const auto it = h.find(name);
    if (it == h.end()) return {};
    return {it->value().data(), it->value().size()};
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0'))
        return std::nullopt;
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

std::optional<std::uint64_t> header_number(const RequestHeader& h, std::string_view name) {
    if (h.find(name) == h.end()) return std::nullopt;
    return parse_decimal(header_text(h, name));
}

Hex32Header hex32_header(const RequestHeader& h, std::string_view name) {
    Hex32Header out;
    if (h.find(name) == h.end()) return out;
    out.present = true;
    const std::string_view text = header_text(h, name);
    if (text.size() != 2 * out.value.size()) return out;
    out.valid = crypto::from_hex(text, out.value);
    return out;
}

}  // namespace tipline::server
