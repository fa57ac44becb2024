// tiplined's configuration: DATADIR/tiplined.conf, with a few command-line overrides; every limit
// is named here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tipline::server {

inline constexpr const char* config_file_name = "tiplined.conf";
inline constexpr const char* database_file_name = "tips.sqlite";

struct Limits {
    std::size_t header_bytes = 8 * 1024;  // request line, and header fields, each (431 beyond)
    std::uint64_t envelope_bytes =
        512ull * 1024 * 1024;                      // largest tip the server stores (413 beyond)
    std::uint64_t inline_bytes = 4 * 1024 * 1024;  // largest body of one POST /api/v1/tips
    unsigned header_timeout_s = 20;  // to receive the request line and headers (slowloris)
    unsigned body_min_rate = 4096;   // bytes/s a body must keep up, on top of header_timeout_s
    unsigned idle_timeout_s = 30;    // keep-alive wait for the next request
    unsigned requests_per_connection = 100;
    unsigned max_connections = 512;
    unsigned drain_timeout_s = 10;                   // SIGTERM: time given to in-flight requests
    std::uint64_t quota_bytes = 0;                   // 0: no quota beyond the disk itself
    std::uint64_t upload_chunk_bytes = 1024 * 1024;  // largest body of one upload chunk (PUT)
    unsigned upload_expiry_days = 2;  // unfinished uploads older than this are deleted
    std::uint64_t response_bytes =
        64 * 1024 * 1024;                       // largest bundle one response carries (413 beyond)
    unsigned mailbox_failure_burst = 20;        // failed mailbox requests at once, then throttled
    unsigned mailbox_failures_per_minute = 10;  // and this many a minute after that
    unsigned request_window_s = 300;  // signed responder requests: allowed clock difference
    std::uint64_t web_form_bytes =
        16 * 1024 * 1024;               // largest submission of the web form without JavaScript
    unsigned web_form_burst = 10;       // web-form submissions sealed by the server at once,
    unsigned web_forms_per_hour = 120;  // then this many an hour, for everyone together (503)
    // Global limits on resumable uploads (503 with Retry-After beyond them).
    unsigned max_pending_uploads = 1000;  // unfinished uploads at once
    std::uint64_t pending_upload_bytes =
        8ull << 30;                   // declared bytes of all unfinished uploads together
    unsigned upload_burst = 30;       // uploads started at once,
    unsigned uploads_per_hour = 300;  // then this many an hour
    // Proof of work on submission (POST /api/v1/tips, /api/v1/uploads, /api/v1/mailbox/messages).
    bool proof_of_work = true;
    unsigned pow_bits = 18;               // normal difficulty, in leading zero bits
    unsigned pow_max_bits = 28;           // the most a flood can raise it to
    unsigned pow_target_per_minute = 20;  // solved submissions a minute before it rises
    unsigned pow_lifetime_s = 600;        // a challenge is good for between half this and this
};

struct Config {
    std::string listen = "127.0.0.1:8080";
    std::string responder_listen = "127.0.0.1:8081";  // the signed responder API
    std::vector<std::string> responders;              // public key texts, tipline-pk1-...
    unsigned threads = 2;
    unsigned retention_days = 30;
    Limits limits;
};

// Reads DATADIR/tiplined.conf; throws std::runtime_error naming the problem.
Config load_config(const std::filesystem::path& data_dir);

// The text of a fresh tiplined.conf with the defaults above and these responders.
std::string default_config_text(const std::vector<std::string>& responders);

struct Endpoint {
    std::string address;
    unsigned short port = 0;
    bool loopback = true;
};

// "127.0.0.1:8080" or "[::1]:8080"; throws std::invalid_argument on anything else.
Endpoint parse_endpoint(const std::string& text);

}  // namespace tipline::server
