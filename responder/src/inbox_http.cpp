// The inbox's HTTP server: Boost.Beast on 127.0.0.1, one thread, one request per connection. The
// case store's lock is taken for each request and let go after it.
#include <sodium.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <memory>

#include "tipline/crypto/bytes.hpp"
#include "tipline/responder/inbox.hpp"
#include "tipline/tooling/diagnostics.hpp"

namespace tipline::responder {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint64_t max_body = 1 << 20;  // a reply or a note, typed
constexpr std::uint32_t max_header = 16 << 10;
constexpr auto request_timeout = std::chrono::seconds(30);

// Pages may load only the inbox's style sheet and safe-copy images, and post only to the inbox.
constexpr std::string_view page_csp =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";
// A safe copy or the style sheet: nothing runs, nothing loads.
constexpr std::string_view file_csp = "default-src 'none'; frame-ancestors 'none'; sandbox";

http::response<http::string_body> to_http(InboxResponse&& in, unsigned version, bool head) {
    http::response<http::string_body> res{static_cast<http::status>(in.status), version};
    if (!in.body.empty() || in.status != 303) res.set(http::field::content_type, in.content_type);
    if (!in.location.empty()) res.set(http::field::location, in.location);
    if (!in.allow.empty()) res.set(http::field::allow, in.allow);
    // Nothing decrypted is kept in the browser's cache on disk.
    res.set(http::field::cache_control, "no-store");
    res.set("Content-Security-Policy", in.page ? page_csp : file_csp);
    res.set("X-Content-Type-Options", "nosniff");
    // Same-origin only: forms then carry their real Origin (with no-referrer, browsers send
    // "Origin: null"), and no other site is ever told a URL with the token.
    res.set("Referrer-Policy", "same-origin");
    res.set("X-Frame-Options", "DENY");
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    res.set("Cross-Origin-Resource-Policy", "same-origin");
    res.keep_alive(false);
    res.body() = std::move(in.body);
    res.prepare_payload();
    if (head) res.body().clear();
    return res;
}

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket socket, Inbox& inbox, CaseStore& store, std::shared_ptr<std::size_t> open)
        : stream_(std::move(socket)), inbox_(inbox), store_(store), open_(std::move(open)) {
        parser_.body_limit(max_body);
        parser_.header_limit(max_header);
        ++*open_;
    }
    // Sessions may outlive the listener, in the handlers the io_context drops when it ends.
    ~Session() { --*open_; }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start() {
        stream_.expires_after(request_timeout);
        http::async_read(
            stream_, buffer_, parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

  private:
    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout) return close();
        if (ec) {
            InboxResponse bad;
            bad.status = ec == http::error::body_limit ? 413 : 400;
            bad.content_type = "text/plain; charset=utf-8";
            bad.body = ec == http::error::body_limit ? "too large\n" : "malformed request\n";
            return send(to_http(std::move(bad), 11, false));
        }
        const auto& req = parser_.get();
        InboxRequest request;
        request.method = std::string(req.method_string());
        request.target = std::string(req.target());
        request.host = std::string(req[http::field::host]);
        request.origin = std::string(req[http::field::origin]);
        request.fetch_site = std::string(req["Sec-Fetch-Site"]);
        request.accept_language = std::string(req[http::field::accept_language]);
        request.content_type = std::string(req[http::field::content_type]);
        request.body = req.body();
        InboxResponse response;
        try {
            // Waits while a command of the command line holds the store; reads it again if that
            // command wrote it.
            store_.acquire();
            response = inbox_.handle(request);
        } catch (const std::exception& e) {
            response = InboxResponse{};
            response.status = 500;
            response.content_type = "text/plain; charset=utf-8";
            response.body = std::string("error: ") + e.what() + "\n";
        }
        store_.release();
        // The form's text is not kept in this process's memory longer than needed.
        sodium_memzero(request.body.data(), request.body.size());
        sodium_memzero(parser_.get().body().data(), parser_.get().body().size());
        send(to_http(std::move(response), req.version(), req.method() == http::verb::head));
    }

    void send(http::response<http::string_body>&& res) {
        response_ = std::move(res);
        stream_.expires_after(request_timeout);
        http::async_write(stream_, response_,
                          [self = shared_from_this()](beast::error_code, std::size_t) {
                              self->wipe();
                              self->close();
                          });
    }

    void wipe() { sodium_memzero(response_.body().data(), response_.body().size()); }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request_parser<http::string_body> parser_;
    http::response<http::string_body> response_;
    Inbox& inbox_;
    CaseStore& store_;
    std::shared_ptr<std::size_t> open_;
};

// Connections at once: a browser opens a few; more are closed as they come, so that connections
// left open (by another local user, who lacks the token) cannot use up this process's files.
constexpr std::size_t max_open = 64;

struct Listener {
    tcp::acceptor& acceptor;
    Inbox& inbox;
    CaseStore& store;
    asio::steady_timer retry;
    std::shared_ptr<std::size_t> open = std::make_shared<std::size_t>(0);

    void accept() {
        acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted) return;
            if (ec) {
                // Out of files, say: try again in a moment rather than at once, in a loop.
                retry.expires_after(std::chrono::milliseconds(100));
                retry.async_wait([this](beast::error_code waited) {
                    if (!waited) accept();
                });
                return;
            }
            if (*open < max_open) {
                std::make_shared<Session>(std::move(socket), inbox, store, open)->start();
            } else {
                beast::error_code ignored;
                socket.close(ignored);
            }
            accept();
        });
    }
};

}  // namespace

void run_inbox(CaseStore& store, InboxOptions options,
               const std::function<void(const std::string& url)>& ready) {
    asio::io_context io{1};
    tcp::acceptor acceptor(io);
    beast::error_code ec;
    const tcp::endpoint at(asio::ip::make_address_v4("127.0.0.1"), options.port);
    acceptor.open(at.protocol(), ec);
    if (!ec) acceptor.bind(at, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        tooling::io_error(
            "cannot listen on 127.0.0.1:" + std::to_string(options.port) + ": " + ec.message(),
            {"choose another port with --port, or 0 for any free one"});
    }
    unsigned char token[16];
    randombytes_buf(token, sizeof token);
    Inbox inbox(store, std::move(options), acceptor.local_endpoint().port(), crypto::to_hex(token));
    sodium_memzero(token, sizeof token);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) {
        acceptor.close();
        io.stop();
    });
    Listener listener{acceptor, inbox, store, asio::steady_timer(io)};
    listener.accept();
    // Other commands may use the store while nobody is looking at a page.
    store.release();
    ready(inbox.url());
    io.run();
}

}  // namespace tipline::responder
