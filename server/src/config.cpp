// Config file parsing through CLI11's config reader, so the file and the command line share one
// parser.
#include "tipline/server/config.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>
#include <sstream>
#include <stdexcept>

namespace tipline::server {
namespace {

void bind_options(CLI::App& app, Config& c) {
    app.add_option("--listen", c.listen);
    app.add_option("--responder_listen", c.responder_listen);
    app.add_option("--responder", c.responders);
    app.add_option("--threads", c.threads)->check(CLI::Range(1u, 64u));
    app.add_option("--retention_days", c.retention_days);
    app.add_option("--header_bytes", c.limits.header_bytes)->check(CLI::Range(1024ul, 65536ul));
    app.add_option("--envelope_bytes", c.limits.envelope_bytes);
    app.add_option("--inline_bytes", c.limits.inline_bytes);
    app.add_option("--header_timeout_s", c.limits.header_timeout_s)->check(CLI::Range(1u, 600u));
    app.add_option("--body_min_rate", c.limits.body_min_rate)->check(CLI::Range(1u, 1u << 30));
    app.add_option("--idle_timeout_s", c.limits.idle_timeout_s)->check(CLI::Range(1u, 3600u));
    app.add_option("--requests_per_connection", c.limits.requests_per_connection)
        ->check(CLI::Range(1u, 100000u));
    app.add_option("--max_connections", c.limits.max_connections)->check(CLI::Range(1u, 100000u));
    app.add_option("--drain_timeout_s", c.limits.drain_timeout_s);
    app.add_option("--quota_bytes", c.limits.quota_bytes);
    app.add_option("--upload_chunk_bytes", c.limits.upload_chunk_bytes)
        ->check(CLI::Range(4096ul, 64ul << 20));
    app.add_option("--upload_expiry_days", c.limits.upload_expiry_days)
        ->check(CLI::Range(1u, 365u));
    app.add_option("--response_bytes", c.limits.response_bytes)
        ->check(CLI::Range(1ul << 20, 1ul << 32));
    app.add_option("--mailbox_failure_burst", c.limits.mailbox_failure_burst)
        ->check(CLI::Range(1u, 100000u));
    app.add_option("--mailbox_failures_per_minute", c.limits.mailbox_failures_per_minute)
        ->check(CLI::Range(1u, 100000u));
    app.add_option("--request_window_s", c.limits.request_window_s)->check(CLI::Range(10u, 3600u));
    app.add_option("--web_form_bytes", c.limits.web_form_bytes)
        ->check(CLI::Range(1ul << 16, 1ul << 30));
    app.add_option("--web_form_burst", c.limits.web_form_burst)->check(CLI::Range(1u, 100000u));
    app.add_option("--web_forms_per_hour", c.limits.web_forms_per_hour)
        ->check(CLI::Range(1u, 1000000u));
    app.add_option("--max_pending_uploads", c.limits.max_pending_uploads)
        ->check(CLI::Range(1u, 10000000u));
    app.add_option("--pending_upload_bytes", c.limits.pending_upload_bytes)
        ->check(CLI::Range(1ul << 20, 1ul << 50));
    app.add_option("--upload_burst", c.limits.upload_burst)->check(CLI::Range(1u, 100000u));
    app.add_option("--uploads_per_hour", c.limits.uploads_per_hour)
        ->check(CLI::Range(1u, 1000000u));
    app.add_option("--proof_of_work", c.limits.proof_of_work);
    app.add_option("--pow_bits", c.limits.pow_bits)->check(CLI::Range(0u, 32u));
    app.add_option("--pow_max_bits", c.limits.pow_max_bits)->check(CLI::Range(0u, 32u));
    app.add_option("--pow_target_per_minute", c.limits.pow_target_per_minute)
        ->check(CLI::Range(1u, 1000000u));
    app.add_option("--pow_lifetime_s", c.limits.pow_lifetime_s)->check(CLI::Range(10u, 86400u));
}

}  // namespace

Config load_config(const std::filesystem::path& data_dir) {
    const auto file = data_dir / config_file_name;
    if (!std::filesystem::exists(file))
        throw std::runtime_error("'" + file.string() + "' is missing");
    Config c;
    CLI::App app;
    bind_options(app, c);
    app.set_config("--config", file.string(), "", true);
    app.allow_config_extras(CLI::config_extras_mode::error);
    try {
        app.parse(std::vector<std::string>{});
    } catch (const CLI::ParseError& e) {
        throw std::runtime_error("'" + file.string() + "': " + e.what());
    }
    if (c.limits.inline_bytes > c.limits.envelope_bytes) {
        throw std::runtime_error("'" + file.string() +
                                 "': inline_bytes is larger than envelope_bytes");
    }
    if (c.limits.pow_max_bits < c.limits.pow_bits) {
        throw std::runtime_error("'" + file.string() + "': pow_max_bits is smaller than pow_bits");
    }
    return c;
}

std::string default_config_text(const std::vector<std::string>& responders) {
    const Config d;
    std::ostringstream out;
    out << "# tiplined configuration. Command-line options override listen addresses only.\n"
        << "listen = \"" << d.listen << "\"\n"
        << "# The signed responder API; publish it only through a client-authorized onion "
           "service.\n"
        << "responder_listen = \"" << d.responder_listen << "\"\n"
        << "# Public keys of the responders every tip is sealed to (tipline-pk1-...). Once a "
           "recipient list\n"
        << "# signed by the organisation is installed (tiplined recipients install), it is used "
           "instead.\n"
        << (responders.empty() ? "# responder = []\n" : "responder = [");
    for (std::size_t i = 0; i < responders.size(); ++i)
        out << (i ? ", " : "") << '"' << responders[i] << '"';
    out << (responders.empty() ? "" : "]\n") << "threads = " << d.threads << "\n"
        << "# tiplined purge deletes tips received more than this many days ago.\n"
        << "retention_days = " << d.retention_days << "\n"
        << "header_bytes = " << d.limits.header_bytes << "\n"
        << "envelope_bytes = " << d.limits.envelope_bytes << "\n"
        << "inline_bytes = " << d.limits.inline_bytes << "\n"
        << "header_timeout_s = " << d.limits.header_timeout_s << "\n"
        << "body_min_rate = " << d.limits.body_min_rate << "\n"
        << "idle_timeout_s = " << d.limits.idle_timeout_s << "\n"
        << "requests_per_connection = " << d.limits.requests_per_connection << "\n"
        << "max_connections = " << d.limits.max_connections << "\n"
        << "drain_timeout_s = " << d.limits.drain_timeout_s << "\n"
        << "# Stored ciphertext beyond this many bytes gets 507 for new tips; 0 means only the "
           "disk limits it.\n"
        << "quota_bytes = " << d.limits.quota_bytes << "\n"
        << "# Large tips arrive as resumable uploads in chunks of at most this many bytes.\n"
        << "upload_chunk_bytes = " << d.limits.upload_chunk_bytes << "\n"
        << "# Unfinished uploads are deleted after this many days.\n"
        << "upload_expiry_days = " << d.limits.upload_expiry_days << "\n"
        << "# Largest bundle one response carries: replies to a witness, or a responder's "
           "download.\n"
        << "response_bytes = " << d.limits.response_bytes << "\n"
        << "# Failed mailbox requests (wrong token or name): this many at once, then this many a "
           "minute, for\n"
        << "# everyone together; past that every mailbox request gets 429 until the budget "
           "refills.\n"
        << "mailbox_failure_burst = " << d.limits.mailbox_failure_burst << "\n"
        << "mailbox_failures_per_minute = " << d.limits.mailbox_failures_per_minute << "\n"
        << "# Signed responder requests must carry a time within this many seconds of the server's "
           "clock.\n"
        << "request_window_s = " << d.limits.request_window_s << "\n"
        << "# Largest submission of the web form without JavaScript, sealed by the server in "
           "memory.\n"
        << "web_form_bytes = " << d.limits.web_form_bytes << "\n"
        << "# Web-form submissions sealed by the server (no JavaScript): this many at once, then "
           "this many an\n"
        << "# hour, for everyone together; past that the form answers 503 until the budget "
           "refills.\n"
        << "web_form_burst = " << d.limits.web_form_burst << "\n"
        << "web_forms_per_hour = " << d.limits.web_forms_per_hour << "\n"
        << "# Resumable uploads: at most this many unfinished at once, declaring at most this many "
           "bytes\n"
        << "# together, and started this many at once, then this many an hour (503 beyond any of "
           "them).\n"
        << "max_pending_uploads = " << d.limits.max_pending_uploads << "\n"
        << "pending_upload_bytes = " << d.limits.pending_upload_bytes << "\n"
        << "upload_burst = " << d.limits.upload_burst << "\n"
        << "uploads_per_hour = " << d.limits.uploads_per_hour << "\n"
        << "# Proof of work on every submission through the API. Each leading zero bit doubles the "
           "cost;\n"
        << "# 18 bits is about 0.05 s for tipline-submit and 1 to 2 s in a browser on a phone. "
           "Under a flood\n"
        << "# the server adds a bit for each doubling of solved submissions a minute past the "
           "target, up to\n"
        << "# pow_max_bits, and drops back as the flood stops.\n"
        << "proof_of_work = " << (d.limits.proof_of_work ? "true" : "false") << "\n"
        << "pow_bits = " << d.limits.pow_bits << "\n"
        << "pow_max_bits = " << d.limits.pow_max_bits << "\n"
        << "pow_target_per_minute = " << d.limits.pow_target_per_minute << "\n"
        << "pow_lifetime_s = " << d.limits.pow_lifetime_s << "\n";
    return out.str();
}

Endpoint parse_endpoint(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw std::invalid_argument("'" + text + "' is not ADDRESS:PORT");
    std::string host = text.substr(0, colon);
    if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(host, ec);
    if (ec) throw std::invalid_argument("'" + host + "' is not an IP address");
    const std::string port_text = text.substr(colon + 1);
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port_text) > 65535) {
        throw std::invalid_argument("'" + port_text + "' is not a port number");
    }
    return {address.to_string(), static_cast<unsigned short>(std::stoul(port_text)),
            address.is_loopback()};
}

}  // namespace tipline::server
