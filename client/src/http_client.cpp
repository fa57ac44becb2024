// libcurl easy interface: no cookies, no redirects, a fixed user agent that says nothing about the
// device.
#include "tipline/client/http_client.hpp"

#include <curl/curl.h>

#include <boost/json.hpp>

#include "tipline/client/display_text.hpp"
#include "tipline/client/interrupt.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys
namespace {

constexpr long connect_timeout_s = 120;  // Tor circuits can take a while to build
constexpr long low_speed_limit = 1;      // bytes/s ...
constexpr long low_speed_time_s = 120;   // ... for this long aborts a stalled transfer

// What the SOCKS proxy (Tor) said when it could not open the connection.
std::string proxy_failure(CURL* c) {
    long code = CURLPX_OK;
    curl_easy_getinfo(c, CURLINFO_PROXY_ERROR, &code);
    switch (code) {
        case CURLPX_REPLY_HOST_UNREACHABLE:
        case CURLPX_REPLY_GENERAL_SERVER_FAILURE:
            return tr("Tor could not reach the address");
        case CURLPX_REPLY_TTL_EXPIRED:
            return tr("Tor timed out reaching the address");
        case CURLPX_REPLY_CONNECTION_REFUSED:
            return tr("the address refused the connection");
        case CURLPX_RESOLVE_HOST:
            return tr("the proxy could not resolve the address");
        case CURLPX_REPLY_UNASSIGNED:
        case CURLPX_REPLY_NOT_ALLOWED:
        case CURLPX_REPLY_NETWORK_UNREACHABLE:
            return tr("the proxy refused the connection");
        default:
            return tr("the proxy handshake failed");
    }
}

// No answer the tools expect comes near this (a mailbox is at most the server's response_bytes,
// 64 MiB by default); a server that sends more is refused before it can exhaust the device's
// memory.
constexpr std::size_t max_answer_bytes = std::size_t{256} << 20;

struct Collected {
    std::string* body;
    bool too_large = false;
};

size_t collect(char* data, size_t size, size_t count, void* user) {
    auto* collected = static_cast<Collected*>(user);
    if (collected->body->size() + size * count > max_answer_bytes) {
        collected->too_large = true;
        return 0;  // libcurl stops the transfer
    }
    collected->body->append(data, size * count);
    return size * count;
}

CURL* handle(void* p) { return static_cast<CURL*>(p); }

// libcurl calls it at least once a second, even while nothing moves: non-zero ends the transfer.
int stop_when_interrupted(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return *static_cast<const bool*>(stop) && interrupted() ? 1 : 0;
}

bool is_port(std::string_view text) {
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != text.npos)
        return false;
    const int port = std::stoi(std::string(text));
    return port >= 1 && port <= 65535;
}

// [USER[:PASSWORD]@]HOST:PORT, HOST a name, an IPv4 address or a bracketed IPv6 address.
bool is_socks_address(std::string_view text) {
    if (const auto at = text.rfind('@'); at != text.npos) text.remove_prefix(at + 1);
    std::string_view host, port;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == text.npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != host.npos)
            return false;
    } else {
        const auto colon = text.rfind(':');
        if (colon == text.npos) return false;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.empty() || host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                                                   "VWXYZ0123456789.-_") != host.npos)
            return false;
    }
    return is_port(port);
}

}  // namespace

std::string proxy_url(std::string_view given) {
    if (given.empty()) return {};
    const std::string shown = escape_for_display(given);
    const std::vector<std::string> forms = {
        tr("give HOST:PORT or socks5h://HOST:PORT, such as 127.0.0.1:9050 for Tor's SOCKS port")};
    const auto scheme_end = given.find("://");
    if (scheme_end == given.npos) {
        if (!is_socks_address(given)) {
            usage_error(
                tr("--proxy '{proxy}' is not the address of a SOCKS proxy", {{"proxy", shown}}),
                forms);
        }
        return "socks5h://" + std::string(given);
    }
    std::string scheme(given.substr(0, scheme_end));
    for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (scheme == "socks5" || scheme == "socks4") {
        usage_error(tr("--proxy '{proxy}' would have this machine look up the server's name, in "
                       "the open, before Tor is reached",
                       {{"proxy", shown}}),
                    forms);
    }
    if (scheme != "socks5h" || !is_socks_address(given.substr(scheme_end + 3))) {
        usage_error(tr("--proxy '{proxy}' is not the address of a SOCKS proxy", {{"proxy", shown}}),
                    forms);
    }
    return "socks5h://" + std::string(given.substr(scheme_end + 3));
}

HttpClient::HttpClient(std::string base_url, std::string proxy)
    : base_url_(std::move(base_url)), proxy_(proxy_url(proxy)), curl_(nullptr) {
    static const bool global = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!global) io_error(tr("cannot initialise libcurl"));
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
    if (!base_url_.starts_with("http://") && !base_url_.starts_with("https://")) {
        usage_error(tr("--server must start with http:// or https://"),
                    {tr("for an onion service: http://ADDRESS.onion")});
    }
    curl_ = curl_easy_init();
    if (curl_ == nullptr) io_error(tr("cannot initialise libcurl"));
}

HttpClient::~HttpClient() { curl_easy_cleanup(handle(curl_)); }

HttpResponse HttpClient::get(std::string_view path) { return request("GET", path, {}, {}); }

HttpResponse HttpClient::post(std::string_view path, std::span<const unsigned char> body,
                              std::string_view content_type) {
    return request("POST", path, body, {"Content-Type: " + std::string(content_type)});
}

HttpResponse HttpClient::request(std::string_view method, std::string_view path,
                                 std::span<const unsigned char> body,
                                 const std::vector<std::string>& extra_headers) {
    CURL* c = handle(curl_);
    curl_easy_reset(c);
    HttpResponse response;
    const std::string url = base_url_ + std::string(path);
    const std::string verb(method);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tipline");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, low_speed_limit);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, low_speed_time_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stop_when_interrupted);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &stop_on_interrupt_);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    Collected collected{&response.body};
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &collected);
    if (!proxy_.empty()) curl_easy_setopt(c, CURLOPT_PROXY, proxy_.c_str());
    curl_slist* headers =
        curl_slist_append(nullptr, "Expect:");  // no 100-continue round trip over Tor
    for (const std::string& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (verb == "HEAD") {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (verb != "GET") {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb.c_str());
        // A null pointer would make libcurl read the body from standard input.
        static const unsigned char no_body[1] = {0};
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.empty() ? no_body : body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (rc == CURLE_ABORTED_BY_CALLBACK) stop_if_interrupted();
    if (collected.too_large) {
        io_error(tr("the server's answer is larger than {size} MiB; refused",
                    {{"size", std::to_string(max_answer_bytes >> 20)}}));
    }
    if (rc == CURLE_PROXY) {
        std::vector<std::string> hints{
            tr("check the address in --server, and that the service is up")};
        if (base_url_.ends_with(".onion")) {
            hints.push_back(
                tr("a client-authorized onion (the responder API) is out of reach unless your tor "
                   "has your client-authorization key in its ClientOnionAuthDir"));
        }
        throw TransportError(exit_usage_or_io,
                             tr("cannot reach the server: {error}", {{"error", proxy_failure(c)}}),
                             std::move(hints));
    }
    if (rc != CURLE_OK) {
        throw TransportError(
            exit_usage_or_io,
            tr("cannot reach the server: {error}", {{"error", curl_easy_strerror(rc)}}),
            {proxy_.empty()
                 ? tr("check --server, or give --proxy socks5h://127.0.0.1:9050 to go through Tor")
                 : tr("check that Tor is running and that --proxy points at its SOCKS port")});
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

namespace {

// A string field of the JSON error body ({"error": {"code", "message"}}), or empty.
std::string error_field(const HttpResponse& response, std::string_view field) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(response.body, ec);
    if (ec || !value.is_object()) return {};
    const auto* error = value.as_object().if_contains("error");
    if (error == nullptr || !error->is_object()) return {};
    const auto* text = error->as_object().if_contains(field);
    return text != nullptr && text->is_string() ? std::string(text->as_string().c_str())
                                                : std::string();
}

}  // namespace

std::string describe_server_error(const HttpResponse& response) {
    constexpr std::size_t shown_bytes = 200;  // a server's message is a line, not a page
    const std::string message =
        escape_for_display(error_field(response, "message").substr(0, shown_bytes));
    // Only the tool's own words are translated; the server's message is shown escaped, as sent.
    const std::string status = std::to_string(response.status);
    return message.empty() ? tr("the server answered {status}", {{"status", status}})
                           : tr("the server answered {status}: {message}",
                                {{"status", status}, {"message", message}});
}

std::string server_error_code(const HttpResponse& response) {
    return error_field(response, "code");
}

}  // namespace tipline::client
