// Boost.Asio/Beast listener and sessions as C++20 coroutines on one io_context run by N threads.
#include "tipline/server/http_server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <thread>
#include <vector>

#include "tipline/server/listener_policy.hpp"
#include "tipline/server/responder_api.hpp"
#include "tipline/server/router.hpp"
#include "tipline/server/session_table.hpp"
#include "tipline/server/worker_pool.hpp"
#include "tipline/server/write_ops.hpp"

namespace tipline::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Beast reads a typical POST in one call with a buffer this large, not nine. Only a body whose
// bytes have begun to arrive gets it: an idle or silent connection keeps no buffer.
constexpr std::size_t read_buffer_reserve = 64 * 1024;
constexpr std::size_t header_slack = 1024;
constexpr int drain_poll_ms = 50;
// How often a form waiting for its circuit's share of the worker pool looks again.
constexpr int pool_poll_ms = 20;
// Web-form bodies arriving at once; at the cap the slowest is closed to make room.
constexpr unsigned max_form_bodies = 64;
// Open files tiplined keeps for itself beside its connections: the database, its WAL, spools.
constexpr unsigned reserved_files = 64;
// After accept fails for want of file descriptors, the wait before the next try.
constexpr int accept_retry_ms = 100;

struct Shared {
    const ServerInfo& info;
    IngestQueue& queue;
    WorkerPool& pool;
    std::atomic<unsigned> connections{0};  // both listeners: the drain waits for none
    std::atomic<bool> draining{false};
};

// Completes when the queue reports; the completion runs on the session's executor, at once when the
// queue's batch is delivered on an I/O thread and the session's strand is free.
template <typename Token>
auto async_write_op(IngestQueue& queue, WriteOp op, std::uint64_t adds_bytes, Room room,
                    Token&& token) {
    return asio::async_initiate<Token, void(WriteResult)>(
        [&queue, adds_bytes, room](auto handler, WriteOp write) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            auto work = asio::make_work_guard(asio::get_associated_executor(*shared));
            queue.submit(
                std::move(write), adds_bytes,
                [shared, work](const WriteResult& result) mutable {
                    auto ex = asio::get_associated_executor(*shared);
                    asio::dispatch(ex, [shared, result]() mutable { (*shared)(result); });
                    work.reset();
                },
                room);
        },
        token, std::move(op));
}

// Runs work on the pool within the circuit's share; completes with its Action, or with nothing and
// why the pool had no room (work is kept, to be offered again). An exception thrown by the work is
// thrown in the session.
using Work = std::shared_ptr<const std::function<Action()>>;
template <typename Token>
auto async_offload(WorkerPool& pool, const Circuit& circuit, Work work, Token&& token) {
    using Outcome = std::optional<Action>;
    using Admission = WorkerPool::Admission;
    return asio::async_initiate<Token, void(std::exception_ptr, Outcome, Admission)>(
        [&pool, &circuit](auto handler, Work run) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            auto work_guard = asio::make_work_guard(asio::get_associated_executor(*shared));
            auto job = [shared, work_guard, run = std::move(run)]() mutable {
                Outcome outcome;
                std::exception_ptr failure;
                try {
                    outcome = (*run)();
                } catch (...) {
                    failure = std::current_exception();
                }
                auto ex = asio::get_associated_executor(*shared);
                asio::dispatch(ex, [shared, failure, outcome = std::move(outcome)]() mutable {
                    (*shared)(failure, std::move(outcome), Admission::queued);
                });
                work_guard.reset();
            };
            if (const Admission refused = pool.submit(circuit, std::move(job));
                refused != Admission::queued) {
                auto ex = asio::get_associated_executor(*shared);
                asio::post(ex, [shared, refused] { (*shared)(nullptr, Outcome(), refused); });
            }
        },
        token, std::move(work));
}

// A read or write deadline that cancels the socket's operations instead of closing the socket, so
// a 408 can still be sent. Handlers run on the session's strand; alive guards a finished session.
// Arming and disarming only move a time point: the one timer wakes at most once per period and
// waits again if the deadline moved later, so a request costs no timer cancellation.
class Deadline {
  public:
    using Clock = std::chrono::steady_clock;

    Deadline(const asio::any_io_executor& ex, tcp::socket& socket)
        : state_(std::make_shared<State>(ex, socket)) {}
    ~Deadline() {
        state_->alive = false;
        state_->timer.cancel();
    }
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    void arm(std::chrono::seconds after) { arm_at(Clock::now() + after); }
    void arm_at(Clock::time_point at) {
        State& s = *state_;
        s.expired = false;
        s.at = at;
        if (s.waiting && s.timer.expiry() <= s.at)
            return;                // the pending wait checks again when it fires
        s.timer.expires_at(s.at);  // cancels a later pending wait, whose handler then does nothing
        wait(state_);
    }
    void disarm() { state_->at = Clock::time_point::max(); }
    bool expired() const noexcept { return state_->expired; }

    // A function, callable from any thread, that makes the deadline pass now.
    std::function<void()> expirer() const {
        return [weak = std::weak_ptr<State>(state_)] {
            auto state = weak.lock();
            if (!state) return;
            asio::post(state->timer.get_executor(), [weak] {
                auto s = weak.lock();
                if (!s || !s->alive || s->at == Clock::time_point::max()) return;
                s->expired = true;
                boost::system::error_code ignored;
                s->socket.cancel(ignored);
            });
        };
    }

  private:
    struct State {
        State(const asio::any_io_executor& ex, tcp::socket& s) : timer(ex), socket(s) {}
        asio::steady_timer timer;
        tcp::socket& socket;
        Clock::time_point at = Clock::time_point::max();
        unsigned generation = 0;  // which wait is current: a replaced wait's handler must not act
        bool waiting = false;
        bool alive = true;
        bool expired = false;
    };

    static void wait(const std::shared_ptr<State>& state) {
        state->waiting = true;
        state->timer.async_wait(
            [state, generation = ++state->generation](const boost::system::error_code& ec) {
                State& s = *state;
                if (!s.alive || generation != s.generation) return;
                s.waiting = false;
                if (ec || s.at == Clock::time_point::max()) return;
                if (Clock::now() < s.at) {
                    s.timer.expires_at(s.at);
                    wait(state);
                    return;
                }
                s.expired = true;
                boost::system::error_code ignored;
                s.socket.cancel(ignored);
            });
    }

    std::shared_ptr<State> state_;
};

// When a transfer of n bytes that starts now must be over: header_timeout_s of grace, then
// body_min_rate, and never past request_timeout_s.
Deadline::Clock::time_point transfer_due(Deadline::Clock::time_point start, std::uint64_t n,
                                         const Limits& limits) {
    const auto grace = std::chrono::seconds(limits.header_timeout_s);
    const auto at_rate = std::chrono::duration_cast<Deadline::Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(n) / limits.body_min_rate));
    return std::min(start + std::chrono::seconds(limits.request_timeout_s),
                    start + grace + at_rate);
}

awaitable<void> send(tcp::socket& socket, Deadline& deadline, Response& res, const Limits& limits) {
    deadline.arm_at(transfer_due(Deadline::Clock::now(), res.body().size(), limits));
    co_await http::async_write(socket, res, use_tuple);
    deadline.disarm();
}

// What one listener serves: the source API or the responder API.
struct Api {
    std::function<std::optional<Response>(const RequestHeader&)> screen;
    std::function<std::uint64_t(const RequestHeader&)> body_limit;
    std::function<Action(Request&&, Circuit&)> handle;
    // A body that streams instead of being buffered; nullptr (or no function) for the others.
    std::function<std::unique_ptr<StreamedBody>(const RequestHeader&, Circuit&)> stream;
};

// One listener: what it serves, its own connections and their cap, and whether its connections
// begin with Tor's PROXY line.
struct Listener {
    const Api& api;
    SessionTable sessions;
    bool circuit_ids = false;
    unsigned circuit_connections = 0;  // 0: no cap per circuit (the responder listener)
};

// A session's entry in its listener's table, and its place in its circuit's count.
struct SessionSlot {
    SessionTable& table;
    std::uint64_t id;
    std::shared_ptr<Circuit> circuit;
    bool counted = false;
    ~SessionSlot() {
        if (counted) --circuit->connections;
        table.remove(id);
    }
};

// A Beast body that hands each piece of the body to a StreamedBody as the parser releases it.
struct StreamingBody {
    using value_type = std::unique_ptr<StreamedBody>;

    class reader {
      public:
        template <bool isRequest, class Fields>
        reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
        void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }
        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
            ec = {};
            std::size_t n = 0;
            for (const auto b : beast::buffers_range_ref(buffers)) {
                if (!body_->write(
                        std::span(static_cast<const unsigned char*>(b.data()), b.size()))) {
                    ec = beast::errc::make_error_code(beast::errc::operation_canceled);
                    return n;
                }
                n += b.size();
            }
            return n;
        }
        void finish(beast::error_code& ec) { ec = {}; }

      private:
        value_type& body_;
    };
};

// Where reading a body stopped: complete, the client left (nothing to answer), or a problem.
struct BodyOutcome {
    bool complete = false;
    bool dropped = false;
    ReadProblem problem = ReadProblem::malformed;
};

// Reads a body while it keeps up body_min_rate all along (after header_timeout_s of grace) and
// within request_timeout_s, telling the session table how far it got.
template <class Parser>
awaitable<BodyOutcome> read_body(tcp::socket& stream, beast::flat_buffer& buffer, Parser& parser,
                                 Deadline& deadline, const Limits& limits, std::uint64_t body_limit,
                                 SessionSlot& slot) {
    parser.body_limit(body_limit);
    const auto start = Deadline::Clock::now();
    std::uint64_t received = 0;
    beast::error_code ec;
    while (!parser.is_done()) {
        deadline.arm_at(transfer_due(start, received, limits));
        if (buffer.size() == 0 && buffer.capacity() < read_buffer_reserve) {
            // The large buffer only once body bytes are there: a body that never comes costs
            // no more than a silent connection.
            auto [wait_ec] = co_await stream.async_wait(tcp::socket::wait_read, use_tuple);
            if (wait_ec) {
                ec = wait_ec;
                break;
            }
            buffer.reserve(read_buffer_reserve);
        }
        auto [read_ec, n] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
        if (read_ec) {
            ec = read_ec;
            break;
        }
        received += n;
        slot.table.progress(slot.id);
    }
    deadline.disarm();
    if (!ec) co_return BodyOutcome{.complete = true};
    if (ec == http::error::body_limit)
        co_return BodyOutcome{.problem = ReadProblem::body_too_large};
    if (deadline.expired()) co_return BodyOutcome{.problem = ReadProblem::timed_out};
    if (ec == beast::errc::operation_canceled)
        co_return BodyOutcome{.problem = ReadProblem::refused};
    if (ec == http::error::partial_message || ec == asio::error::eof)
        co_return BodyOutcome{.dropped = true};
    co_return BodyOutcome{.problem = ReadProblem::malformed};
}

// A form's heavy work runs on the pool within its circuit's share. While that share is taken, the
// form's body stays unread and the session waits, for at most header_timeout_s: a flood of forms
// from one circuit then goes as fast as the pool works for it, and costs the I/O threads nothing
// while it waits. False when the wait ran out, or the session was closed to make room.
awaitable<bool> wait_for_pool_share(WorkerPool& pool, const Circuit& circuit, Deadline& deadline,
                                    const Limits& limits) {
    if (pool.has_room(circuit)) co_return true;
    deadline.arm(std::chrono::seconds(limits.header_timeout_s));
    asio::steady_timer poll(co_await asio::this_coro::executor);
    bool room = false;
    while (!deadline.expired() && !(room = pool.has_room(circuit))) {
        poll.expires_after(std::chrono::milliseconds(pool_poll_ms));
        co_await poll.async_wait(use_tuple);
    }
    deadline.disarm();
    co_return room;
}

// Tor's PROXY line, read before anything else; nullopt closes the connection without an answer
// (whatever sent it is not the Tor this server was set up behind).
awaitable<std::optional<CircuitId>> read_proxy_line(tcp::socket& stream, beast::flat_buffer& buffer,
                                                    Deadline& deadline, const Limits& limits) {
    boost::system::error_code ec;
    const auto peer = stream.remote_endpoint(ec);
    if (ec || !peer.address().is_loopback()) co_return std::nullopt;
    deadline.arm(std::chrono::seconds(limits.header_timeout_s));
    std::optional<CircuitId> circuit;
    for (;;) {
        const std::string_view seen(static_cast<const char*>(buffer.data().data()), buffer.size());
        if (const auto end = seen.find("\r\n"); end != std::string_view::npos) {
            circuit = parse_proxy_line(seen.substr(0, end));
            buffer.consume(end + 2);
            break;
        }
        if (seen.size() >= max_proxy_line_bytes) break;
        // Never past the line's longest length, so the request after it stays in the buffer.
        auto [read_ec, n] = co_await stream.async_read_some(
            buffer.prepare(max_proxy_line_bytes - seen.size()), use_tuple);
        if (read_ec) break;
        buffer.commit(n);
    }
    deadline.disarm();
    co_return circuit;
}

awaitable<void> run_session(tcp::socket stream, Shared& shared, Listener& listener) {
    const Limits& limits = shared.info.limits;
    Deadline deadline(co_await asio::this_coro::executor, stream);
    const auto admitted = listener.sessions.add(deadline.expirer());
    if (!admitted) co_return;  // every connection is busy, or the server is stopping
    SessionSlot slot{listener.sessions, *admitted, nullptr};
    beast::flat_buffer buffer;

    std::optional<CircuitId> circuit_id = 0;
    if (listener.circuit_ids)
        circuit_id = co_await read_proxy_line(stream, buffer, deadline, limits);
    if (!circuit_id) co_return;
    slot.circuit = shared.info.circuits->get(*circuit_id);
    if (listener.circuit_connections > 0) {
        slot.counted = true;
        if (++slot.circuit->connections > listener.circuit_connections) co_return;
    }
    const Api& api = listener.api;

    for (unsigned served = 0; served < limits.requests_per_connection && !shared.draining;
         ++served) {
        http::request_parser<http::empty_body> head;
        head.header_limit(static_cast<std::uint32_t>(limits.header_bytes));
        head.body_limit(boost::none);  // screen_header answers an oversized Content-Length with 413
        const bool idle = served > 0 && buffer.size() == 0;
        if (idle) {
            buffer.shrink_to_fit();  // an idle connection holds no buffer
            if (!listener.sessions.enter(slot.id, SessionTable::Phase::idle)) break;
        } else if (served > 0) {
            listener.sessions.enter(slot.id, SessionTable::Phase::header);
        }
        deadline.arm(std::chrono::seconds(idle ? limits.idle_timeout_s : limits.header_timeout_s));
        if (buffer.size() == 0) {
            // No buffer until the request's first bytes are there: a silent connection costs only
            // its socket. Those bytes end an idle wait; the header then has header_timeout_s like
            // any other.
            auto [wait_ec] = co_await stream.async_wait(tcp::socket::wait_read, use_tuple);
            if (wait_ec) break;  // too slow, closed to make room, or a drain: nothing to answer
            if (idle) {
                listener.sessions.enter(slot.id, SessionTable::Phase::header);
                deadline.arm(std::chrono::seconds(limits.header_timeout_s));
            }
        }
        // Room for a whole header at once, so Beast applies header_bytes the same way however
        // the header arrives.
        buffer.reserve(limits.header_bytes + header_slack);
        auto [ec, n] = co_await http::async_read_header(stream, buffer, head, use_tuple);
        deadline.disarm();
        if (ec) {
            // What happened, as the socket tells it; listener_policy decides the answer.
            const bool got_bytes = buffer.size() > 0 || head.got_some();
            const bool closed = ec == http::error::end_of_stream || ec == asio::error::eof ||
                                ec == asio::error::connection_reset ||
                                ec == asio::error::operation_aborted;
            std::optional<Response> res;
            if (ec == http::error::header_limit) {
                res = read_refusal(ReadProblem::header_too_large, got_bytes, shared.draining);
            } else if (deadline.expired()) {
                res = read_refusal(ReadProblem::timed_out, got_bytes, shared.draining);
            } else if (!closed) {
                res = read_refusal(ReadProblem::malformed, got_bytes, shared.draining);
            }
            if (res) co_await send(stream, deadline, *res, limits);
            break;
        }
        if (auto rejection = api.screen(head.get())) {
            listener.sessions.enter(slot.id, SessionTable::Phase::busy);
            co_await send(stream, deadline, *rejection, limits);
            break;
        }

        const std::uint64_t body_limit = api.body_limit(head.get().base());
        std::unique_ptr<StreamedBody> streamed =
            api.stream ? api.stream(head.get().base(), *slot.circuit) : nullptr;
        Action action;
        if (streamed) {
            const bool room =
                co_await wait_for_pool_share(shared.pool, *slot.circuit, deadline, limits) &&
                listener.sessions.enter_form_body(slot.id);
            http::request_parser<StreamingBody> parser(std::move(head));
            parser.get().body() = std::move(streamed);
            StreamedBody& body = *parser.get().body();
            BodyOutcome outcome{.problem = ReadProblem::busy};
            if (room)
                outcome =
                    co_await read_body(stream, buffer, parser, deadline, limits, body_limit, slot);
            listener.sessions.enter(slot.id, SessionTable::Phase::busy);
            if (outcome.dropped) break;
            if (!outcome.complete) {
                Response res = body.refusal(outcome.problem);
                res.keep_alive(false);
                co_await send(stream, deadline, res, limits);
                break;
            }
            action = body.finish();
        } else {
            if (body_limit > 0) listener.sessions.enter(slot.id, SessionTable::Phase::body);
            http::request_parser<http::vector_body<unsigned char>> parser(std::move(head));
            const BodyOutcome outcome =
                co_await read_body(stream, buffer, parser, deadline, limits, body_limit, slot);
            listener.sessions.enter(slot.id, SessionTable::Phase::busy);
            if (outcome.dropped) break;
            if (!outcome.complete) {
                if (auto res = read_refusal(outcome.problem, true, false))
                    co_await send(stream, deadline, *res, limits);
                break;
            }
            action = api.handle(parser.release(), *slot.circuit);
        }
        while (auto* offload = std::get_if<Offload>(&action)) {
            // Another session of the circuit may have taken the share since the wait before the
            // body: wait again rather than refuse. Only a full queue, or a wait that runs out,
            // gets the busy answer.
            const Work work =
                std::make_shared<const std::function<Action()>>(std::move(offload->run));
            std::optional<Action> done;
            for (;;) {
                auto [outcome, admission] =
                    co_await async_offload(shared.pool, *slot.circuit, work, asio::use_awaitable);
                done = std::move(outcome);
                if (admission != WorkerPool::Admission::circuit_busy) break;
                if (!co_await wait_for_pool_share(shared.pool, *slot.circuit, deadline, limits))
                    break;
            }
            action = done ? std::move(*done) : Action(offload->busy());
        }
        Response res;
        if (auto* write = std::get_if<PendingWrite>(&action)) {
            const WriteResult result =
                co_await async_write_op(shared.queue, std::move(write->op), write->adds_bytes,
                                        write->room, asio::use_awaitable);
            res = write->respond(result);
        } else {
            res = std::move(std::get<Response>(action));
        }
        if (shared.draining || served + 1 == limits.requests_per_connection) res.keep_alive(false);
        co_await send(stream, deadline, res, limits);
        if (!res.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<void> accept_loop(tcp::acceptor& acceptor, Shared& shared, Listener& listener) {
    asio::steady_timer pause(acceptor.get_executor());
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
            ec.value() == ENFILE) {
            // Out of file descriptors: wait instead of spinning; connections end meanwhile.
            pause.expires_after(std::chrono::milliseconds(accept_retry_ms));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        if (ec) continue;
        ++shared.connections;
        asio::co_spawn(
            asio::make_strand(acceptor.get_executor()),
            [&shared, &listener, s = std::move(socket)]() mutable -> awaitable<void> {
                co_await run_session(std::move(s), shared, listener);
            },
            [&shared](std::exception_ptr) { --shared.connections; });
    }
}

// Deletes the unfinished uploads that stored no chunk for upload_idle_s, looking every twelfth of
// that (at least every second, at most every ten minutes). A chunk counts once it is stored, so the
// wait is never shorter than twice the time a whole chunk may take to arrive.
awaitable<void> expire_idle_uploads(Shared& shared) {
    using std::chrono::seconds;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const Limits& limits = shared.info.limits;
    const seconds idle(std::max<std::uint64_t>(
        limits.upload_idle_s, 2 * limits.upload_chunk_bytes / limits.body_min_rate));
    const seconds every = std::clamp<seconds>(idle / 12, seconds(1), seconds(600));
    for (;;) {
        timer.expires_after(every);
        auto [ec] = co_await timer.async_wait(use_tuple);
        if (ec || shared.draining) co_return;
        co_await async_write_op(shared.queue, expire_idle_uploads_op(shared.info.uploads, idle), 0,
                                Room::new_tip, asio::use_awaitable);
    }
}

// Raises the soft limit on open files as far as the hard limit allows; returns the limit.
rlim_t raise_open_files() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    return limit.rlim_cur;
}

}  // namespace

namespace {

void open_listener(tcp::acceptor& acceptor, const Endpoint& where) {
    const tcp::endpoint endpoint(asio::ip::make_address(where.address), where.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
}

}  // namespace

ServeEnd serve(const ServeOptions& options, const ServerInfo& info, IngestQueue& queue,
               const std::function<void(const ReadyPorts&)>& on_ready) {
    asio::io_context io(static_cast<int>(options.threads));
    // Destroyed before the io_context: a job that finishes while the pool stops still posts to it.
    WorkerPool pool(options.work_threads, WorkerPool::default_queue_limit,
                    WorkerPool::default_per_circuit);
    Shared shared{info, queue, pool, {}, {}};
    ReplayGuard replay;
    ResponderContext responder_context{info, replay};

    const Api source_api{
        [&info](const RequestHeader& h) { return screen_header(h, info); },
        [&info](const RequestHeader& h) { return body_limit_for(h, info); },
        [&info](Request&& r, Circuit& c) { return handle_request(std::move(r), info, c); },
        [&info](const RequestHeader& h, Circuit& c) { return streamed_body_for(h, info, c); }};
    const Api responder_api{
        [&info](const RequestHeader& h) { return screen_responder_header(h, info); },
        [&info](const RequestHeader& h) { return responder_body_limit(h, info); },
        [&responder_context](Request&& r, Circuit&) {
            return handle_responder_request(std::move(r), responder_context);
        },
        {}};

    // Each listener has its own cap, so the source listener's flood never takes the responders'
    // room; both fit in the open-file limit.
    const Limits& limits = info.limits;
    const rlim_t files = raise_open_files();
    const unsigned responder_cap = options.responder ? limits.responder_max_connections : 0;
    unsigned source_cap = limits.max_connections;
    if (files < rlim_t{source_cap} + responder_cap + reserved_files) {
        const rlim_t fits = files > rlim_t{responder_cap} + reserved_files + 16
                                ? files - responder_cap - reserved_files
                                : 16;
        source_cap = static_cast<unsigned>(std::min<rlim_t>(fits, source_cap));
        std::fprintf(stderr,
                     "tiplined: the open-file limit (%llu) holds %u source connections, fewer than "
                     "max_connections (%u); raise LimitNOFILE to serve more\n",
                     static_cast<unsigned long long>(files), source_cap, limits.max_connections);
    }
    // Without circuit IDs every connection is on the one circuit: no cap per circuit then.
    Listener source{source_api, SessionTable(source_cap, max_form_bodies), limits.circuit_ids,
                    limits.circuit_ids ? limits.circuit_connections : 0};
    Listener responder{responder_api, SessionTable(std::max(1u, responder_cap), max_form_bodies)};

    tcp::acceptor acceptor(io);
    tcp::acceptor responder_acceptor(io);
    open_listener(acceptor, options.source);
    ReadyPorts ports{acceptor.local_endpoint().port(), 0};
    if (options.responder) {
        open_listener(responder_acceptor, *options.responder);
        ports.responder = responder_acceptor.local_endpoint().port();
    }
    on_ready(ports);

    asio::co_spawn(io, accept_loop(acceptor, shared, source), asio::detached);
    if (options.responder)
        asio::co_spawn(io, accept_loop(responder_acceptor, shared, responder), asio::detached);
    asio::co_spawn(io, expire_idle_uploads(shared), asio::detached);

    // SIGINT/SIGTERM: stop accepting, let sessions finish, and stop once none is left or the
    // deadline passes.
    struct Drain {
        asio::io_context& io;
        Shared& shared;
        asio::steady_timer deadline{io};
        asio::steady_timer poll{io};
        void start(std::chrono::seconds limit) {
            deadline.expires_after(limit);
            deadline.async_wait([this](const boost::system::error_code& ec) {
                if (!ec) io.stop();
            });
            check();
        }
        void check() {
            if (shared.connections.load() == 0) {
                io.stop();
                return;
            }
            poll.expires_after(std::chrono::milliseconds(drain_poll_ms));
            poll.async_wait([this](const boost::system::error_code& ec) {
                if (!ec) check();
            });
        }
    } drain{io, shared};
    const auto stop = [&] {
        if (shared.draining.exchange(true)) return;
        source.sessions.drain();
        responder.sessions.drain();
        beast::error_code ignored;
        acceptor.close(ignored);
        responder_acceptor.close(ignored);
        drain.start(std::chrono::seconds(info.limits.drain_timeout_s));
    };
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) stop();
    });
    // SIGHUP (systemctl reload) asks the caller; its default action would end the process.
    ServeEnd end = ServeEnd::stopped;
    asio::signal_set hangups(io, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_hangup =
        [&](const boost::system::error_code& ec, int) {
            if (ec || shared.draining.load()) return;
            if (options.on_hangup && options.on_hangup()) {
                end = ServeEnd::restart;
                stop();
                return;
            }
            hangups.async_wait(on_hangup);
        };
    hangups.async_wait(on_hangup);

    // A committed batch reaches the I/O threads as one handler, not one wake-up per write.
    queue.set_deliver(
        [&io](std::function<void()> completions) { asio::post(io, std::move(completions)); });

    std::vector<std::thread> threads;
    for (unsigned i = 1; i < options.threads; ++i) threads.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : threads) t.join();
    // Writes still queued become durable now. Their completions go to the stopped io_context, which
    // discards them with the abandoned sessions; none can reach it once it is destroyed.
    queue.stop();
    return end;
}

}  // namespace tipline::server
