// tiplined.conf: one table of keys (name, unit, range, meaning) from which come the parser (CLI11's
// config reader, so the file and the command line share one parser), the text `tiplined init`
// writes and the table in docs/OPERATIONS.md.
#include "tipline/server/config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "tipline/crypto/utf8.hpp"

namespace tipline::server {
namespace {

template <class T>
struct member_of;
template <class C, class V>
struct member_of<V C::*> {
    using owner = C;
};

// The setting a member pointer names, whether it is Config's own or one of its limits.
template <auto Member, class C>
auto& field(C& c) {
    if constexpr (std::is_same_v<typename member_of<decltype(Member)>::owner, Limits>)
        return c.limits.*Member;
    else
        return c.*Member;
}

template <auto Member>
void bind(CLI::App& app, Config& c, const ConfigKey& key) {
    CLI::Option* option = app.add_option("--" + std::string(key.name), field<Member>(c));
    if (key.range) option->check(CLI::Range(key.range->first, key.range->second));
}

template <auto Member>
std::string value(const Config& c) {
    const auto& v = field<Member>(c);
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, bool>) {
        return v ? "true" : "false";
    } else if constexpr (std::is_same_v<V, std::string>) {
        return '"' + v + '"';
    } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
        std::string out = "[";
        for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + '"';
        return out + "]";
    } else {
        return std::to_string(v);
    }
}

template <auto Member>
ConfigKey key(std::string_view name, std::string_view unit,
              std::optional<std::pair<std::uint64_t, std::uint64_t>> range,
              std::string_view meaning) {
    return ConfigKey{name, unit, range, meaning, &value<Member>, &bind<Member>};
}

using Range = std::pair<std::uint64_t, std::uint64_t>;
constexpr std::uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;

const std::vector<ConfigKey>& key_table() {
    static const std::vector<ConfigKey> keys{
        key<&Config::listen>("listen", "ADDRESS:PORT", {},
                             "Where the source API and the web form listen: the address the "
                             "public onion service forwards to. A loopback address."),
        key<&Config::responder_listen>("responder_listen", "ADDRESS:PORT", {},
                                       "Where the signed responder API listens. Publish it only "
                                       "through an onion service with client authorization."),
        key<&Config::responders>(
            "responder", "public key texts", {},
            "The responders every tip is sealed to (tipline-pk1-...). Once a recipient list signed "
            "by the organisation is installed (tiplined recipients install), it is used instead."),
        key<&Config::site_name>(
            "site_name", "text", {},
            "The tip line's name at the top of every page, in every language without a name of "
            "its own below. Empty: a generic name (\"Safe tip line\", in each language). At most "
            "100 bytes of UTF-8, no control characters."),
        key<&Config::site_name_ko>("site_name_ko", "text", {},
                                   "The name on the Korean pages; empty: site_name."),
        key<&Config::site_name_zh_hans>("site_name_zh_hans", "text", {},
                                        "The name on the Chinese pages; empty: site_name."),
        key<&Config::threads>("threads", "threads", Range{1, 64},
                              "Threads serving both listeners."),
        key<&Config::work_threads>(
            "work_threads", "threads", Range{1, 64},
            "Threads for the heavy work of the form without JavaScript (Argon2id: 16 MiB for "
            "a new tip's receipt, 16 MiB then 64 MiB for a typed one, whose version is not "
            "known; and sealing), at a lower priority than the "
            "listeners' threads. Each holds up to 64 MiB while it works; at most 64 jobs wait, "
            "at most 2 of them from one circuit, and circuits take turns (503 beyond)."),
        key<&Config::retention_days>(
            "retention_days", "days", {},
            "tiplined purge deletes tips, follow-ups and the team's state received more than this "
            "many days ago, and replies their witness first read more than this many days ago."),
        key<&Config::unread_reply_days>(
            "unread_reply_days", "days", {},
            "tiplined purge deletes a reply its witness has not read once it was received more "
            "than this many days ago. At least retention_days."),
        key<&Limits::header_bytes>("header_bytes", "bytes", Range{1 * KiB, 64 * KiB},
                                   "Largest request line, and largest header field (431 beyond)."),
        key<&Limits::envelope_bytes>("envelope_bytes", "bytes", {},
                                     "Largest tip the server stores (413 beyond)."),
        key<&Limits::inline_bytes>(
            "inline_bytes", "bytes", {},
            "Largest body of one POST /api/v1/tips or follow-up; larger tips come as resumable "
            "uploads. At most envelope_bytes."),
        key<&Limits::header_timeout_s>(
            "header_timeout_s", "seconds", Range{1, 600},
            "Time to receive the request line and headers (408 beyond), against slow headers."),
        key<&Limits::body_min_rate>(
            "body_min_rate", "bytes a second", Range{1, GiB},
            "Rate a body must keep up all along, after a grace of header_timeout_s: at any moment "
            "it has sent at least this many bytes for each second past the grace (408 beyond), "
            "against slow bodies."),
        key<&Limits::idle_timeout_s>("idle_timeout_s", "seconds", Range{1, 3600},
                                     "A kept-alive connection's wait for its next request."),
        key<&Limits::requests_per_connection>(
            "requests_per_connection", "requests", Range{1, 100000},
            "Requests served on one connection before it is closed."),
        key<&Limits::max_connections>(
            "max_connections", "connections", Range{1, 1000000},
            "Connections open at once on the source listener. At the cap a new connection is still "
            "taken, and the connection idle longest, or slowest to send its request, is closed "
            "to make room. tiplined raises its open-file limit to fit this and "
            "responder_max_connections, and says so if the system does not allow it."),
        key<&Limits::responder_max_connections>(
            "responder_max_connections", "connections", Range{1, 100000},
            "Connections open at once on the responder listener, counted apart from the source "
            "listener's, so no flood of witnesses' connections can shut responders out."),
        key<&Limits::circuit_ids>(
            "circuit_ids", "true or false", {},
            "Each source connection starts with the PROXY line Tor sends for "
            "HiddenServiceExportCircuitID haproxy, naming its circuit; a connection without a "
            "valid one, or not from loopback, is closed. Budgets are then kept per circuit, so "
            "one client cannot spend them for everyone. deploy/install.sh turns it on with the "
            "torrc option. Off, the whole listener is one circuit."),
        key<&Limits::circuit_connections>(
            "circuit_connections", "connections", Range{1, 100000},
            "With circuit_ids: connections one circuit may hold open on the source listener; past "
            "it the circuit's new connection is closed. Tor's HiddenServiceMaxStreams closes a "
            "circuit that opens more streams than that."),
        key<&Limits::request_timeout_s>(
            "request_timeout_s", "seconds", Range{10, 86400},
            "Longest time one request may take to arrive, however fast its body comes (408 "
            "beyond)."),
        key<&Limits::drain_timeout_s>("drain_timeout_s", "seconds", {},
                                      "After SIGTERM: time given to requests in progress."),
        key<&Limits::quota_bytes>("quota_bytes", "bytes", {},
                                  "Stored ciphertext beyond this gets 507 for new tips; "
                                  "follow-ups and replies may go a sixteenth past it. 0 means "
                                  "only the disk limits it. tiplined init sets it to 80% of the "
                                  "space free on the data folder's file system then, so the disk "
                                  "itself never fills with tips."),
        key<&Limits::upload_chunk_bytes>(
            "upload_chunk_bytes", "bytes", Range{4 * KiB, 64 * MiB},
            "Large tips arrive as resumable uploads, in chunks (PUT) of at most this many bytes."),
        key<&Limits::upload_expiry_days>("upload_expiry_days", "days", Range{1, 365},
                                         "Unfinished uploads are deleted after this many days."),
        key<&Limits::upload_idle_s>(
            "upload_idle_s", "seconds", Range{5, 7 * 24 * 3600},
            "An unfinished upload that stores no chunk for this long is deleted, with what it "
            "received, so that uploads started and left hold nothing for long. Timed in memory "
            "only: after a restart each unfinished upload has this long again. Never less than "
            "twice the time a chunk of upload_chunk_bytes may take at body_min_rate."),
        key<&Limits::response_bytes>(
            "response_bytes", "bytes", Range{1 * MiB, 4 * GiB},
            "Largest bundle one response carries: the replies to a witness, or a responder's "
            "download (413 beyond)."),
        key<&Limits::mailbox_failure_burst>(
            "mailbox_failure_burst", "requests", Range{1, 100000},
            "Failed mailbox requests (wrong name or token) one circuit may make at once, then "
            "mailbox_failures_per_minute; past that the circuit's wrong tries get 429 until its "
            "budget refills. A right name and token is always answered."),
        key<&Limits::mailbox_failures_per_minute>("mailbox_failures_per_minute",
                                                  "requests a minute", Range{1, 100000},
                                                  "How fast the failed-mailbox budget refills."),
        key<&Limits::request_window_s>("request_window_s", "seconds", Range{10, 3600},
                                       "Signed responder requests must carry a time within this "
                                       "many seconds of the server's clock."),
        key<&Limits::web_form_bytes>(
            "web_form_bytes", "bytes", Range{64 * KiB, 1 * GiB},
            "Largest submission of the web form without JavaScript, sealed by the server in "
            "memory (413 beyond)."),
        key<&Limits::web_form_burst>(
            "web_form_burst", "submissions", Range{1, 100000},
            "Web-form submissions the server seals (no JavaScript) for one circuit: this many at "
            "once, then web_forms_per_hour; past that the form answers 503 on that circuit until "
            "its budget refills. Only submissions that are stored spend it."),
        key<&Limits::web_forms_per_hour>("web_forms_per_hour", "submissions an hour",
                                         Range{1, 1000000},
                                         "How fast a circuit's web-form budget refills."),
        key<&Limits::max_pending_uploads>("max_pending_uploads", "uploads", Range{1, 10000000},
                                          "Unfinished uploads at once (503 beyond)."),
        key<&Limits::pending_upload_bytes>(
            "pending_upload_bytes", "bytes", Range{1 * MiB, GiB << 20},
            "Bytes received by all unfinished uploads together: a chunk that would pass it gets "
            "503, and so does a new upload while it is reached. What an upload declares holds "
            "nothing."),
        key<&Limits::upload_burst>("upload_burst", "uploads", Range{1, 100000},
                                   "Uploads one circuit may start at once, then "
                                   "uploads_per_hour (503 beyond)."),
        key<&Limits::uploads_per_hour>("uploads_per_hour", "uploads an hour", Range{1, 1000000},
                                       "How fast a circuit's upload budget refills."),
        key<&Limits::proof_of_work>(
            "proof_of_work", "true or false", {},
            "Proof of work on every submission through the API: POST /api/v1/tips, "
            "/api/v1/uploads and /api/v1/mailbox/messages."),
        key<&Limits::pow_bits>(
            "pow_bits", "bits", Range{0, 32},
            "Normal difficulty, in leading zero bits; each bit doubles the cost. 14 bits is about "
            "3 ms for tipline-submit, a tenth of a second in a browser on a phone and about 2.4 s "
            "at Tor Browser's Safer level, where JavaScript runs without its JIT. Under a flood "
            "it rises by itself (pow_target_per_minute)."),
        key<&Limits::pow_max_bits>(
            "pow_max_bits", "bits", Range{0, 32},
            "Under a flood the server adds a bit for each doubling of solved submissions a minute "
            "past pow_target_per_minute, up to this, and drops back as the flood stops. At least "
            "pow_bits."),
        key<&Limits::pow_target_per_minute>(
            "pow_target_per_minute", "submissions a minute", Range{1, 1000000},
            "Solved submissions a minute before the difficulty rises."),
        key<&Limits::pow_lifetime_s>("pow_lifetime_s", "seconds", Range{10, 86400},
                                     "A challenge is good for between half this and this."),
        key<&Limits::pow_size_base_bytes>(
            "pow_size_base_bytes", "bytes", Range{64 * KiB, GiB << 10},
            "A submission larger than this (a tip's or follow-up's body, an upload's declared "
            "length) needs one more bit of proof of work for each doubling past it, so the work "
            "grows with what it may store: at the default, a 4 MiB tip asks 2 bits more and a "
            "512 MiB upload 9 bits more."),
    };
    return keys;
}

// Words of text as lines of at most width characters after prefix.
std::string wrapped(std::string_view text, std::string_view prefix, std::size_t width) {
    std::string out, line;
    std::istringstream words{std::string(text)};
    for (std::string word; words >> word;) {
        if (!line.empty() && line.size() + 1 + word.size() > width) {
            out += std::string(prefix) + line + "\n";
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) out += std::string(prefix) + line + "\n";
    return out;
}

// 8192 as "8192 (8 KiB)" when the unit is bytes and it is a whole number of KiB, MiB or GiB.
std::string readable(std::string_view unit, std::uint64_t n) {
    std::string out = std::to_string(n);
    if (unit != "bytes" || n == 0) return out;
    for (const auto& [size, name] : {std::pair{GiB << 20, "PiB"}, std::pair{GiB, "GiB"},
                                     std::pair{MiB, "MiB"}, std::pair{KiB, "KiB"}}) {
        if (n % size == 0) return out + " (" + std::to_string(n / size) + " " + name + ")";
    }
    return out;
}

}  // namespace

std::span<const ConfigKey> config_keys() { return key_table(); }

namespace {

std::string trimmed(std::string_view text) {
    const auto begin = text.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) return {};
    const auto end = text.find_last_not_of(" \t\r");
    return std::string(text.substr(begin, end - begin + 1));
}

// The number of single-character edits between a and b, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

const ConfigKey* find_key(std::string_view name) {
    for (const ConfigKey& k : key_table()) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

// One "key = value" of the file, a value in brackets possibly spread over several lines.
struct Entry {
    std::string key;
    std::string value;
    std::size_t line = 0;
};

// The value as the parser's own words would not say it: what was wrong, in the key's terms.
std::string value_fault(const ConfigKey& k, const std::string& value, const std::string& parser) {
    const bool number = k.range.has_value() || k.unit == "days" || k.unit == "bytes";
    if (number && (value.empty() || value.find_first_not_of("0123456789") != std::string::npos))
        return "'" + value + "' is not a whole number";
    if (k.range) {
        return value + " is outside " + readable(k.unit, k.range->first) + " to " +
               readable(k.unit, k.range->second);
    }
    if (k.unit == "true or false") return "'" + value + "' is neither true nor false";
    // CLI11's message, without the option name it gives the key on the command line.
    const std::string prefix = "--" + std::string(k.name) + ": ";
    return parser.starts_with(prefix) ? parser.substr(prefix.size()) : parser;
}

}  // namespace

Config load_config(const std::filesystem::path& data_dir, ConfigLines* lines) {
    const auto file = data_dir / config_file_name;
    const std::string where = "'" + file.string() + "'";
    // Checked before reading: a FIFO would hang the read, and a device such as /dev/zero, or a
    // large file without line ends, would fill memory.
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (!ec && std::filesystem::exists(status)) {
        if (!std::filesystem::is_regular_file(status))
            throw std::runtime_error(where + " is not a regular file");
        const std::uintmax_t size = std::filesystem::file_size(file, ec);
        if (!ec && size > max_config_bytes) {
            throw std::runtime_error(where + " is " + std::to_string(size) +
                                     " bytes, more than a configuration file may be (" +
                                     std::to_string(max_config_bytes) + ")");
        }
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        if (!std::filesystem::exists(file)) throw std::runtime_error(where + " is missing");
        throw std::runtime_error("cannot read " + where);
    }
    const auto fault = [&](std::size_t line, const std::string& key, const std::string& what,
                           std::string hint = {}) {
        return ConfigError(where + " line " + std::to_string(line) + ": " + what, line, key,
                           std::move(hint));
    };
    std::vector<Entry> entries;
    ConfigLines seen;
    std::string raw;
    for (std::size_t number = 1; std::getline(in, raw); ++number) {
        const std::string line = trimmed(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        const auto equals = line.find('=');
        if (line.front() == '[' || equals == std::string::npos) {
            throw fault(number, "", "'" + line + "' is not a setting",
                        "each setting is one line KEY = VALUE; a comment starts with #");
        }
        Entry e{trimmed(line.substr(0, equals)), trimmed(line.substr(equals + 1)), number};
        const ConfigKey* k = find_key(e.key);
        if (k == nullptr) {
            std::string hint = "docs/OPERATIONS.md and tiplined.conf(5) list every key";
            for (const ConfigKey& known : key_table()) {
                if (edit_distance(known.name, e.key) <= 2) {
                    hint = "did you mean '" + std::string(known.name) + "'?";
                    break;
                }
            }
            throw fault(number, e.key, "unknown key '" + e.key + "'", hint);
        }
        if (const auto first = seen.find(e.key); first != seen.end()) {
            throw fault(number, e.key,
                        e.key + " is set twice, first on line " + std::to_string(first->second),
                        "keep one of the two lines");
        }
        // A list may go on over several lines, up to its closing bracket.
        if (e.value.starts_with('[')) {
            while (e.value.find(']') == std::string::npos && std::getline(in, raw)) {
                ++number;
                e.value += " " + trimmed(raw);
            }
            if (e.value.find(']') == std::string::npos)
                throw fault(e.line, e.key, "the list of " + e.key + " is never closed with ]");
        }
        seen.emplace(e.key, e.line);
        entries.push_back(std::move(e));
    }
    if (in.bad()) throw std::runtime_error("cannot read " + where);

    // Each line alone through the parser, so that a value it refuses is named with its line.
    Config c;
    for (const Entry& e : entries) {
        const ConfigKey& k = *find_key(e.key);
        CLI::App app;
        k.bind(app, c, k);
        std::istringstream one(e.key + " = " + e.value + "\n");
        try {
            app.parse_from_stream(one);
        } catch (const CLI::ParseError& error) {
            throw fault(e.line, e.key, e.key + ": " + value_fault(k, e.value, error.what()));
        }
    }
    // Limits that contradict each other: both keys named, each with its line.
    const auto at = [&](std::string_view key) {
        const auto it = seen.find(key);
        return it == seen.end() ? std::string(key) + " (the default)"
                                : std::string(key) + " (line " + std::to_string(it->second) + ")";
    };
    const auto contradiction = [&](std::string_view key, std::string_view other,
                                   const std::string& what) {
        const auto it = seen.find(key);
        const auto it_other = seen.find(other);
        const std::size_t line = it != seen.end()         ? it->second
                                 : it_other != seen.end() ? it_other->second
                                                          : 0;
        return ConfigError(where + (line != 0 ? " line " + std::to_string(line) : "") + ": " + what,
                           line, std::string(key));
    };
    if (c.limits.inline_bytes > c.limits.envelope_bytes) {
        throw contradiction("inline_bytes", "envelope_bytes",
                            at("inline_bytes") + " is larger than " + at("envelope_bytes"));
    }
    if (c.limits.pow_max_bits < c.limits.pow_bits) {
        throw contradiction("pow_max_bits", "pow_bits",
                            at("pow_max_bits") + " is smaller than " + at("pow_bits"));
    }
    if (c.unread_reply_days < c.retention_days) {
        throw contradiction("unread_reply_days", "retention_days",
                            at("unread_reply_days") + " is smaller than " + at("retention_days"));
    }
    for (const auto& [name, text] :
         {std::pair<const char*, const std::string&>{"site_name", c.site_name},
          {"site_name_ko", c.site_name_ko},
          {"site_name_zh_hans", c.site_name_zh_hans}}) {
        const bool control = std::any_of(text.begin(), text.end(), [](char ch) {
            return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
        });
        if (text.size() > 100 || control || !crypto::is_valid_utf8(text)) {
            throw contradiction(
                name, name,
                std::string(name) + " must be at most 100 bytes of UTF-8 text on one line");
        }
    }
    if (lines != nullptr) *lines = seen;
    return c;
}

std::vector<std::string> changed_keys(const Config& a, const Config& b) {
    std::vector<std::string> out;
    for (const ConfigKey& k : key_table()) {
        if (k.value(a) != k.value(b)) out.emplace_back(k.name);
    }
    return out;
}

std::string default_config_text(const std::vector<std::string>& responders,
                                std::uint64_t quota_bytes) {
    Config d;
    d.responders = responders;
    d.limits.quota_bytes = quota_bytes;
    std::string out =
        "# tiplined configuration; docs/OPERATIONS.md explains every key. Command-line options\n"
        "# override the listen addresses only.\n";
    for (const ConfigKey& k : key_table()) {
        out += "\n" + wrapped(k.meaning, "# ", 98);
        if (k.range) {
            out += "# " + std::string(k.unit) + ", " + readable(k.unit, k.range->first) + " to " +
                   readable(k.unit, k.range->second) + "\n";
        } else if (!k.unit.empty()) {
            out += "# " + std::string(k.unit) + "\n";
        }
        const std::string v = k.value(d);
        // An empty list is left out, as a comment: an installed recipient list may stand instead.
        out += (v == "[]" ? "# " : "") + std::string(k.name) + " = " + v + "\n";
    }
    return out;
}

std::uint64_t default_quota(std::uint64_t free_bytes) { return free_bytes / 10 * 8 / MiB * MiB; }

std::vector<ConfigKeyRow> config_key_rows() {
    const Config d;
    std::vector<ConfigKeyRow> rows;
    for (const ConfigKey& k : key_table()) {
        ConfigKeyRow row{std::string(k.name), k.value(d), false, std::string(k.unit),
                         std::string(k.meaning)};
        if (row.default_value == "[]") {
            row.default_value = "none";
        } else if (!row.default_value.empty() &&
                   row.default_value.find_first_not_of("0123456789") == std::string::npos) {
            row.default_value = readable(k.unit, std::stoull(row.default_value));
        } else {
            row.literal = true;
        }
        if (k.range) {
            row.unit += ", " + readable(k.unit, k.range->first) + " to " +
                        readable(k.unit, k.range->second);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string config_keys_markdown() {
    std::string out = "| key | default | unit and range | meaning |\n| --- | --- | --- | --- |\n";
    for (const ConfigKeyRow& row : config_key_rows()) {
        out += "| `" + row.name + "` | " +
               (row.literal ? "`" + row.default_value + "`" : row.default_value) + " | " +
               row.unit + " | " + row.meaning + " |\n";
    }
    return out;
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

std::map<std::string, std::string> site_names_of(const Config& config) {
    return {
        {"", config.site_name}, {"ko", config.site_name_ko}, {"zh-Hans", config.site_name_zh_hans}};
}

}  // namespace tipline::server
