// The listener's request path without a socket: Beast's parser over the bytes of one connection,
// then the header screening, body limits, handlers and writes the listener runs, in its order.
// The first byte picks the listener (source or responder), whether responder requests are signed
// by the configured responder, and the piece size a streamed web form body arrives in.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <span>

#include "fixture.hpp"
#include "tipline/server/api.hpp"
#include "tipline/server/listener_policy.hpp"
#include "tipline/server/responder_api.hpp"
#include "tipline/server/responses.hpp"
#include "tipline/server/router.hpp"

namespace {

using namespace tipline;
namespace beast = boost::beast;
namespace http = server::http;

constexpr unsigned max_requests = 4;  // pipelined on one connection; the server allows more
constexpr std::size_t streamed_pieces[] = {1, 13, 4096, SIZE_MAX};

struct Connection {
    server::ServerInfo info = fuzz::server_info();
    server::ReplayGuard replay;
    server::ResponderContext responder{info, replay, [] { return fuzz::fixed_now; }};
    bool responder_listener = false;
    bool sign = false;
    std::size_t piece = SIZE_MAX;
    std::uint64_t nonces = 0;
};

// What holds for every answer, whatever was asked.
void check_response(const server::Response& res) {
    if (res.find(http::field::server) != res.end()) std::abort();  // never names the software
    // 500 means the store failed; a fuzzed request must be refused before it reaches SQL.
    if (res.result() == http::status::internal_server_error) std::abort();
}

server::Response settle(server::Action&& action) {
    // Heavy work runs here, as the worker pool would run it.
    while (auto* offload = std::get_if<server::Offload>(&action)) action = offload->run();
    if (auto* write = std::get_if<server::PendingWrite>(&action)) {
        server::Store& store = fuzz::scratch_store();
        fuzz::RolledBack transaction(store);
        return fuzz::run_write(*write, store);
    }
    return std::move(std::get<server::Response>(action));
}

std::size_t put(auto& parser, std::span<const unsigned char>& input, beast::error_code& ec) {
    const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    input = input.subspan(used);
    return used;
}

// One request from the front of input; false when the connection closes after it.
bool serve_one(std::span<const unsigned char>& input, Connection& c) {
    http::request_parser<http::empty_body> head;
    head.header_limit(static_cast<std::uint32_t>(c.info.limits.header_bytes));
    head.body_limit(boost::none);
    beast::error_code ec;
    put(head, input, ec);
    if (ec == http::error::need_more) return false;  // the rest never came: the header timeout
    if (ec) {
        check_response(
            server::error_response(http::status::bad_request, "bad_request", "not HTTP"));
        return false;
    }
    const server::RequestHeader& header = head.get().base();
    const auto rejection = c.responder_listener ? server::screen_responder_header(header, c.info)
                                                : server::screen_header(header, c.info);
    if (rejection) {
        check_response(*rejection);
        return false;
    }
    const std::uint64_t limit = c.responder_listener ? server::responder_body_limit(header, c.info)
                                                     : server::body_limit_for(header, c.info);
    std::unique_ptr<server::StreamedBody> streamed =
        c.responder_listener ? nullptr
                             : server::streamed_body_for(header, c.info, *c.info.circuits->get(0));

    http::request_parser<http::vector_body<unsigned char>> parser(std::move(head));
    parser.body_limit(limit);
    parser.eager(true);
    if (!parser.is_done()) put(parser, input, ec);
    if (ec || !parser.is_done()) {
        const bool timeout = !ec || ec == http::error::need_more;
        const server::ReadProblem problem = timeout ? server::ReadProblem::timed_out
                                            : ec == http::error::body_limit
                                                ? server::ReadProblem::body_too_large
                                                : server::ReadProblem::malformed;
        // What the listener answers: the streamed body's page, or listener_policy's refusal.
        if (streamed) {
            check_response(streamed->refusal(problem));
        } else if (auto refusal = server::read_refusal(problem, true, false)) {
            check_response(*refusal);
        }
        return false;
    }
    server::Request request = parser.release();
    server::Response res;
    if (streamed) {
        std::span<const unsigned char> body(request.body());
        bool refused = false;
        while (!body.empty() && !refused) {
            const std::size_t n = std::min(body.size(), c.piece);
            refused = !streamed->write(body.first(n));
            body = body.subspan(n);
        }
        res =
            refused ? streamed->refusal(server::ReadProblem::refused) : settle(streamed->finish());
    } else if (c.responder_listener) {
        if (c.sign) fuzz::sign_as_responder(request, c.nonces++);
        res = settle(server::handle_responder_request(std::move(request), c.responder));
    } else {
        res = settle(server::handle_request(std::move(request), c.info, *c.info.circuits->get(0)));
    }
    check_response(res);
    return res.keep_alive();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static server::Store& store =
        fuzz::scratch_store();  // made before the first input, not during it
    (void)store;
    Connection c;
    c.responder_listener = (data[0] & 1) != 0;
    c.sign = (data[0] & 2) != 0;
    c.piece = streamed_pieces[(data[0] >> 2) & 3];
    std::span<const unsigned char> input(data + 1, size - 1);
    if ((data[0] & 16) != 0) {
        // Behind Tor with circuit IDs: the PROXY line comes first, and without one the listener
        // closes the connection.
        const std::string_view seen(reinterpret_cast<const char*>(input.data()),
                                    std::min(input.size(), server::max_proxy_line_bytes));
        const auto end = seen.find("\r\n");
        if (end == std::string_view::npos) return 0;
        if (!server::parse_proxy_line(seen.substr(0, end))) return 0;
        input = input.subspan(end + 2);
    }
    try {
        for (unsigned served = 0; served < max_requests && !input.empty(); ++served) {
            if (!serve_one(input, c)) break;
        }
    } catch (const std::exception&) {
        // The listener drops the connection when a handler throws; so does this.
    }
    return 0;
}
