#include "tipline/server/multipart.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

namespace tipline::server {
namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::size_t max_boundary_padding = 256;  // spaces and tabs after a boundary

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_token_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f &&
           std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

// The HTML form encoding escapes only these three bytes inside quoted names (WHATWG HTML,
// "multipart/form-data encoding algorithm"); every other byte, UTF-8 included, is sent as is.
std::string unescape_form_name(std::string_view quoted) {
    std::string out;
    for (std::size_t i = 0; i < quoted.size(); ++i) {
        if (quoted[i] == '%' && i + 2 < quoted.size()) {
            const std::string_view code = quoted.substr(i, 3);
            if (code == "%22") {
                out += '"';
                i += 2;
                continue;
            }
            if (code == "%0D" || code == "%0d") {
                out += '\r';
                i += 2;
                continue;
            }
            if (code == "%0A" || code == "%0a") {
                out += '\n';
                i += 2;
                continue;
            }
        }
        out += quoted[i];
    }
    return out;
}

// `form-data; name="x"; filename="y"`: the disposition type, then parameters as token=token or
// token="quoted". Unknown parameters are ignored; a repeated one is an error.
void parse_disposition(std::string_view value, FormPart& part) {
    const std::size_t semi = value.find(';');
    if (!iequals(trim(value.substr(0, semi)), "form-data"))
        throw FormError("a part is not form-data");
    bool have_name = false;
    std::string_view rest =
        semi == std::string_view::npos ? std::string_view() : value.substr(semi + 1);
    while (!trim(rest).empty()) {
        rest = trim(rest);
        const std::size_t eq = rest.find('=');
        if (eq == std::string_view::npos)
            throw FormError("a Content-Disposition parameter has no value");
        const std::string_view key = trim(rest.substr(0, eq));
        if (key.empty() || !std::all_of(key.begin(), key.end(), is_token_char)) {
            throw FormError("a Content-Disposition parameter name is not a token");
        }
        rest = trim(rest.substr(eq + 1));
        std::string parsed;
        if (!rest.empty() && rest.front() == '"') {
            const std::size_t close = rest.find('"', 1);
            if (close == std::string_view::npos)
                throw FormError("a quoted Content-Disposition value is not closed");
            parsed = unescape_form_name(rest.substr(1, close - 1));
            rest.remove_prefix(close + 1);
        } else {
            const std::size_t end = std::min(rest.find(';'), rest.size());
            const std::string_view token = trim(rest.substr(0, end));
            if (token.empty() || !std::all_of(token.begin(), token.end(), is_token_char)) {
                throw FormError("a Content-Disposition value is not a token");
            }
            parsed = token;
            rest.remove_prefix(end);
        }
        rest = trim(rest);
        if (!rest.empty()) {
            if (rest.front() != ';')
                throw FormError("Content-Disposition parameters must be separated by ';'");
            rest.remove_prefix(1);
        }
        if (iequals(key, "name")) {
            if (have_name) throw FormError("a part names its field twice");
            part.name = std::move(parsed);
            have_name = true;
        } else if (iequals(key, "filename")) {
            if (part.filename) throw FormError("a part names its file twice");
            part.filename = std::move(parsed);
        }
    }
    if (!have_name) throw FormError("a part has no field name");
}

}  // namespace

std::optional<std::string> form_boundary(std::string_view content_type) {
    const std::size_t semi = content_type.find(';');
    if (!iequals(trim(content_type.substr(0, semi)), "multipart/form-data") ||
        semi == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view params = content_type.substr(semi + 1);
    while (!params.empty()) {
        const std::size_t next = params.find(';');
        std::string_view param = trim(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
        const std::size_t eq = param.find('=');
        if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "boundary"))
            continue;
        std::string_view b = trim(param.substr(eq + 1));
        if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
        // RFC 2046: bchars, 1 to 70 of them, the last not a space.
        constexpr std::string_view bchars =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";
        if (b.empty() || b.size() > 70 || b.back() == ' ' ||
            b.find_first_not_of(bchars) != std::string_view::npos) {
            return std::nullopt;
        }
        return std::string(b);
    }
    return std::nullopt;
}

MultipartParser::MultipartParser(std::string boundary, FormHandler& handler, FormLimits limits)
    : delimiter_("\r\n--" + boundary), handler_(handler), limits_(limits) {
    // The body's first delimiter has no CRLF before it; supplying one lets one search find them
    // all.
    pending_.assign(crlf.begin(), crlf.end());
}

void MultipartParser::write(std::span<const unsigned char> bytes) {
    if (state_ == State::epilogue)
        return;  // RFC 2046: whatever follows the close delimiter is ignored
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    for (;;) {
        const std::string_view view(reinterpret_cast<const char*>(pending_.data()),
                                    pending_.size());
        switch (state_) {
            case State::preamble: {
                const std::size_t at = view.find(delimiter_);
                if (at == std::string_view::npos) {
                    // Keep only what could still be the start of the first delimiter.
                    if (pending_.size() >= delimiter_.size()) {
                        pending_.erase(
                            pending_.begin(),
                            pending_.end() - static_cast<std::ptrdiff_t>(delimiter_.size() - 1));
                    }
                    return;
                }
                pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(
                                                                        at + delimiter_.size()));
                state_ = State::after_boundary;
                break;
            }
            case State::after_boundary: {
                // "--" closes the body; otherwise optional white space and CRLF start the next
                // part.
                if (view.size() < 2) return;
                if (view.substr(0, 2) == "--") {
                    state_ = State::epilogue;
                    pending_.clear();
                    return;
                }
                // Only spaces and tabs may stand between the boundary and its CRLF, in any split:
                // a lone CR is checked once the byte after it has arrived.
                const std::size_t padding = view.find_first_not_of(" \t");
                if (padding != std::string_view::npos && view[padding] != '\r') {
                    throw FormError("a boundary line has bytes after the boundary");
                }
                if (padding != std::string_view::npos && padding + 1 < view.size() &&
                    view[padding + 1] != '\n') {
                    throw FormError("a boundary line has bytes after the boundary");
                }
                if (padding > max_boundary_padding && padding != std::string_view::npos) {
                    throw FormError("a boundary line is too long");
                }
                if (padding == std::string_view::npos || padding + 1 >= view.size()) {
                    if (view.size() > max_boundary_padding)
                        throw FormError("a boundary line is too long");
                    return;
                }
                const std::size_t end = padding;
                if (++parts_ > limits_.parts) throw FormError("the form has too many parts");
                pending_.erase(pending_.begin(),
                               pending_.begin() + static_cast<std::ptrdiff_t>(end + 2));
                state_ = State::headers;
                break;
            }
            case State::headers: {
                // The header block ends at an empty line; a part with no headers starts with one.
                const std::size_t end = view.substr(0, 2) == crlf ? 0 : view.find("\r\n\r\n");
                if (end == std::string_view::npos) {
                    if (pending_.size() > limits_.part_header_bytes)
                        throw FormError("a part's headers are too large");
                    return;
                }
                if (end > limits_.part_header_bytes)
                    throw FormError("a part's headers are too large");
                parse_headers(view.substr(0, end));
                pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(
                                                                        end == 0 ? 2 : end + 4));
                state_ = State::content;
                break;
            }
            case State::content:
                scan_content();
                if (state_ == State::content) return;
                break;
            case State::epilogue:
                pending_.clear();
                return;
        }
    }
}

void MultipartParser::scan_content() {
    const std::string_view view(reinterpret_cast<const char*>(pending_.data()), pending_.size());
    const auto found =
        std::search(view.begin(), view.end(),
                    std::boyer_moore_horspool_searcher(delimiter_.begin(), delimiter_.end()));
    if (found == view.end()) {
        // Everything but a tail that could begin a delimiter is content.
        const std::size_t keep = std::min(pending_.size(), delimiter_.size() - 1);
        const std::size_t ready = pending_.size() - keep;
        if (ready > 0) {
            handler_.on_data(std::span(pending_.data(), ready));
            pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(ready));
        }
        return;
    }
    const auto at = static_cast<std::size_t>(found - view.begin());
    if (at > 0) handler_.on_data(std::span(pending_.data(), at));
    handler_.on_part_end();
    pending_.erase(pending_.begin(),
                   pending_.begin() + static_cast<std::ptrdiff_t>(at + delimiter_.size()));
    state_ = State::after_boundary;
}

void MultipartParser::parse_headers(std::string_view block) {
    FormPart part;
    part.content_type = "text/plain";
    bool have_disposition = false, have_type = false;
    while (!block.empty()) {
        const std::size_t end = std::min(block.find(crlf), block.size());
        const std::string_view line = block.substr(0, end);
        block.remove_prefix(std::min(block.size(), end + 2));
        if (line.empty() || line.front() == ' ' || line.front() == '\t') {
            throw FormError("a part's header line is empty or folded");
        }
        if (line.find('\0') != std::string_view::npos)
            throw FormError("a part's header holds a NUL byte");
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            throw FormError("a part's header line has no name");
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "Content-Disposition")) {
            if (have_disposition) throw FormError("a part has two Content-Disposition headers");
            parse_disposition(value, part);
            have_disposition = true;
        } else if (iequals(name, "Content-Type")) {
            if (have_type) throw FormError("a part has two Content-Type headers");
            part.content_type = value;
            have_type = true;
        }
    }
    if (!have_disposition) throw FormError("a part has no Content-Disposition");
    handler_.on_part(part);
}

void MultipartParser::finish() {
    if (state_ != State::epilogue) throw FormError("the form ended before its closing boundary");
}

}  // namespace tipline::server
