// What a handler gives the listener for a request: an answer now, or a write for the ingest queue
// and how to answer once it is durable. And a body the listener streams to a handler as it arrives.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <variant>

#include "tipline/server/http_types.hpp"
#include "tipline/server/ingest_queue.hpp"

namespace tipline::server {

// A write for the ingest queue, and how to answer once it is durable or has failed. A write that
// carries on a conversation (a follow-up, a reply) may use the quota's margin (ingest_queue.hpp).
struct PendingWrite {
    PendingWrite(WriteOp write, std::uint64_t adds, std::function<Response(const WriteResult&)> r,
                 Room in = Room::new_tip)
        : op(std::move(write)), adds_bytes(adds), respond(std::move(r)), room(in) {}
    WriteOp op;
    std::uint64_t adds_bytes = 0;
    std::function<Response(const WriteResult&)> respond;
    Room room = Room::new_tip;
};

struct Offload;

// The handler's verdict on a complete request: answer it now, make a write and then answer, or
// do heavy work first.
using Action = std::variant<Response, PendingWrite, Offload>;

// Work too heavy for an I/O thread (Argon2id, sealing): the listener runs it on the worker pool
// (worker_pool.hpp), within its circuit's share, and goes on with the Action it returns.
struct Offload {
    std::function<Action()> run;
    // The answer when the pool has no room for it.
    std::function<Response()> busy;
};

// Why a request could not be read whole (listener_policy.hpp decides the answer).
enum class ReadProblem {
    header_too_large,  // the request line or a header field is over header_bytes
    timed_out,         // the client was too slow
    malformed,         // not valid HTTP/1.1
    body_too_large,    // the body runs past its limit
    refused,           // a streamed body's handler refused it part way
    busy,              // the listener has no room for this body now
};

// A request body taken as it arrives, not buffered whole: the web form's submission streams into
// sealing. The listener feeds it and asks it for the answer.
class StreamedBody {
  public:
    virtual ~StreamedBody() = default;
    // The next bytes of the body; false refuses the body, and refusal(ReadProblem::refused) then
    // answers.
    virtual bool write(std::span<const unsigned char> bytes) noexcept = 0;
    // The whole body has arrived.
    virtual Action finish() = 0;
    // The answer when the body was refused, or could not be read.
    virtual Response refusal(ReadProblem why) = 0;
};

}  // namespace tipline::server
