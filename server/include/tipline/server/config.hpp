// tiplined's configuration: DATADIR/tiplined.conf, with a few command-line overrides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace tipline::server {

inline constexpr const char* config_file_name = "tiplined.conf";
inline constexpr const char* database_file_name = "tips.sqlite";

// Every setting of tiplined.conf. The defaults are here; each key's name, unit, accepted range and
// meaning are in config_keys() (config.cpp), which the parser, `tiplined init` and the table in
// docs/OPERATIONS.md all come from.
struct Limits {
    std::uint64_t header_bytes = 8 * 1024;
    std::uint64_t envelope_bytes = 512ull * 1024 * 1024;
    std::uint64_t inline_bytes = 4 * 1024 * 1024;
    unsigned header_timeout_s = 20;
    unsigned body_min_rate = 4096;
    unsigned idle_timeout_s = 30;
    unsigned requests_per_connection = 100;
    unsigned max_connections = 12000;
    unsigned responder_max_connections = 64;
    bool circuit_ids = false;
    unsigned circuit_connections = 16;
    unsigned request_timeout_s = 3600;
    unsigned drain_timeout_s = 10;
    std::uint64_t quota_bytes = 0;
    std::uint64_t upload_chunk_bytes = 1024 * 1024;
    unsigned upload_expiry_days = 2;
    unsigned upload_idle_s = 6 * 3600;
    std::uint64_t response_bytes = 64 * 1024 * 1024;
    unsigned mailbox_failure_burst = 20;
    unsigned mailbox_failures_per_minute = 10;
    unsigned request_window_s = 300;
    std::uint64_t web_form_bytes = 16 * 1024 * 1024;
    unsigned web_form_burst = 10;
    unsigned web_forms_per_hour = 120;
    unsigned max_pending_uploads = 1000;
    std::uint64_t pending_upload_bytes = 8ull << 30;
    unsigned upload_burst = 30;
    unsigned uploads_per_hour = 300;
    bool proof_of_work = true;
    unsigned pow_bits = 14;
    unsigned pow_max_bits = 28;
    unsigned pow_target_per_minute = 20;
    unsigned pow_lifetime_s = 600;
    std::uint64_t pow_size_base_bytes = 1024 * 1024;
};

struct Config {
    std::string listen = "127.0.0.1:8080";
    std::string responder_listen = "127.0.0.1:8081";
    std::vector<std::string> responders;  // public key texts, tipline-pk1-...
    unsigned threads = 2;
    unsigned work_threads = 2;
    unsigned retention_days = 30;
    unsigned unread_reply_days = 180;
    // The site's name on every page; "" keeps the catalogs' generic one. Per language where set.
    std::string site_name;
    std::string site_name_ko;
    std::string site_name_zh_hans;
    Limits limits;
};

// The site names by language tag, "" standing for every language without its own: what
// set_site_names (web.hpp) takes.
std::map<std::string, std::string> site_names_of(const Config& config);

// One key of tiplined.conf, as the operator sees it.
struct ConfigKey {
    std::string_view name;
    std::string_view unit;  // "bytes", "seconds", ...; for text, what it holds
    std::optional<std::pair<std::uint64_t, std::uint64_t>> range;  // accepted numbers, inclusive
    std::string_view meaning;                                      // one or more sentences
    std::string (*value)(const Config&);                           // as written in tiplined.conf
    void (*bind)(CLI::App&, Config&, const ConfigKey&);
};
// Every key, in the order tiplined.conf lists them.
std::span<const ConfigKey> config_keys();

// A tiplined.conf at fault: the file, the line (0 when the fault is no one line's) and the key,
// in what(), with a hint when there is one to give.
class ConfigError : public std::runtime_error {
  public:
    ConfigError(std::string message, std::size_t line, std::string key, std::string hint = {})
        : std::runtime_error(std::move(message)),
          line_(line),
          key_(std::move(key)),
          hint_(std::move(hint)) {}
    std::size_t line() const noexcept { return line_; }
    const std::string& key() const noexcept { return key_; }
    const std::string& hint() const noexcept { return hint_; }

  private:
    std::size_t line_;
    std::string key_;
    std::string hint_;
};

// The line each key is set on, for messages about what the configuration holds.
using ConfigLines = std::map<std::string, std::size_t, std::less<>>;

// The largest tiplined.conf load_config reads: the file init writes is about 9 KiB.
inline constexpr std::uintmax_t max_config_bytes = 1024 * 1024;

// Reads DATADIR/tiplined.conf; throws ConfigError naming the line and the key at fault (an
// unknown key, one set twice, a value its key does not take, limits that contradict each other),
// or std::runtime_error when the file cannot be read. `tiplined check-config`, `serve` at start
// and `serve` on SIGHUP all check with it.
Config load_config(const std::filesystem::path& data_dir, ConfigLines* lines = nullptr);

// The keys whose values differ between a and b, in the file's order.
std::vector<std::string> changed_keys(const Config& a, const Config& b);

// One key as its documentation shows it: the table in docs/OPERATIONS.md and tiplined.conf(5).
struct ConfigKeyRow {
    std::string name;
    std::string default_value;  // "8192 (8 KiB)", "\"127.0.0.1:8080\"", "none"
    bool literal = false;       // the default is written as in the file (a string, true or false)
    std::string unit;           // with the range: "bytes, 1024 (1 KiB) to 65536 (64 KiB)"
    std::string meaning;
};
std::vector<ConfigKeyRow> config_key_rows();

// The text of a fresh tiplined.conf with the defaults above, these responders and this quota.
std::string default_config_text(const std::vector<std::string>& responders,
                                std::uint64_t quota_bytes = 0);

// The quota tiplined init sets: 80% of free_bytes, in whole MiB.
std::uint64_t default_quota(std::uint64_t free_bytes);

// docs/OPERATIONS.md's table of the keys: name, default, unit and range, meaning.
std::string config_keys_markdown();

struct Endpoint {
    std::string address;
    unsigned short port = 0;
    bool loopback = true;
};

// "127.0.0.1:8080" or "[::1]:8080"; throws std::invalid_argument on anything else.
Endpoint parse_endpoint(const std::string& text);

}  // namespace tipline::server
