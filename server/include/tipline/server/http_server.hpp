// The listeners and per-connection sessions: only I/O and deadlines. What to refuse is asked of
// listener_policy.hpp, where a request goes of router.hpp (source) and responder_api.hpp.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "tipline/server/config.hpp"
#include "tipline/server/ingest_queue.hpp"
#include "tipline/server/server_info.hpp"

namespace tipline::server {

struct ServeOptions {
    Endpoint source;
    std::optional<Endpoint> responder;  // the signed responder API, when set
    unsigned threads = 2;
    unsigned work_threads = 2;  // the worker pool's (worker_pool.hpp)
    // SIGHUP: when set, called on an I/O thread; true stops the server as SIGTERM does (serve then
    // returns ServeEnd::restart), false keeps it serving. Unset, SIGHUP is ignored.
    std::function<bool()> on_hangup;
};

enum class ServeEnd { stopped, restart };

struct ReadyPorts {
    unsigned short source = 0;
    unsigned short responder = 0;  // 0 when there is no responder listener
};

// Runs until SIGINT or SIGTERM, then stops accepting, lets in-flight requests finish for up to
// drain_timeout_s, stops the queue, and returns. on_ready receives the bound ports once both
// listeners accept.
ServeEnd serve(const ServeOptions& options, const ServerInfo& info, IngestQueue& queue,
               const std::function<void(const ReadyPorts&)>& on_ready);

}  // namespace tipline::server
