// The listeners and per-connection sessions: only I/O, deadlines and limits; decisions are in api.hpp.
#pragma once

#include <functional>
#include <memory>

#include "tipline/server/api.hpp"
#include "tipline/server/config.hpp"
#include "tipline/server/ingest_queue.hpp"

namespace tipline::server {

struct ServeOptions {
    Endpoint source;
    unsigned threads = 2;
};

// Runs until SIGINT or SIGTERM, then stops accepting, lets in-flight requests finish for up to
// drain_timeout_s, stops the queue, and returns. on_ready receives the bound port once the listener accepts.
void serve(const ServeOptions& options, const ServerInfo& info, IngestQueue& queue,
           const std::function<void(unsigned short port)>& on_ready);

}  // namespace tipline::server
