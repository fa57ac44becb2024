// tiplined: the tip line server and its operator commands. Logs start-up and errors only.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <thread>

#include "tipline/crypto/days.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/server/data_dir.hpp"
#include "tipline/server/http_server.hpp"
#include "tipline/server/ingest_queue.hpp"
#include "tipline/server/web.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"
#include "tipline/tooling/key_io.hpp"
#include "tipline/tooling/manual.hpp"

namespace {

namespace fs = std::filesystem;
namespace server = tipline::server;
using namespace tipline::tooling;

constexpr std::string_view tool = "tiplined";
namespace crypto = tipline::crypto;
constexpr unsigned list_poll_s = 2;  // how soon a running server serves a newly installed list
constexpr std::int64_t list_expiry_warning_days = 30;

// Configuration and storage problems are the operator's to fix: exit 2 with the reason.
template <typename F>
auto operator_step(F&& f) {
    try {
        return f();
    } catch (const server::ConfigError& e) {
        std::vector<std::string> hints;
        if (!e.hint().empty()) hints.push_back(e.hint());
        io_error(e.what(), std::move(hints));
    } catch (const server::StoreError& e) {
        io_error(e.what());
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const ToolError*>(&e) != nullptr) throw;
        io_error(e.what());
    }
}

// A recipient list file from the organisation, checked for what this data directory would accept.
server::Recipients checked_list(const fs::path& dir, const fs::path& list_file,
                                bool new_organisation, std::vector<unsigned char>& bytes) {
    bytes = read_small_file(list_file, crypto::recipient_list_max_size + 1);
    try {
        return server::check_new_list(dir, bytes, crypto::current_day(), new_organisation);
    } catch (const std::runtime_error& e) {
        throw ToolError(exit_verification_failure,
                        "'" + list_file.string() + "' cannot be installed: " + e.what(),
                        {"the running server keeps the list it has; ask the organisation for a new "
                         "signed list"});
    }
}

void print_recipients(const server::Recipients& r) {
    if (r.list) {
        std::cout << "organisation: " << crypto::organisation_fingerprint(r.list->organisation)
                  << "\n"
                  << "serial: " << r.list->serial << "\n"
                  << "valid through: " << crypto::format_day(r.list->expires_day) << " ("
                  << static_cast<std::int64_t>(r.list->expires_day) - crypto::current_day()
                  << " days from today)\n";
    }
    for (const std::string& fp : r.fingerprints) std::cout << "responder " << fp << "\n";
}

int init(const fs::path& dir, const std::vector<std::string>& responder_args,
         const fs::path& list_file) {
    if (responder_args.empty() && list_file.empty()) {
        usage_error(
            "name the responders with --responder, or give the organisation's --recipient-list");
    }
    std::vector<std::string> texts;
    for (const std::string& arg : responder_args) {
        const auto id = load_public_key(arg);
        texts.push_back(crypto::encode_public_key(id));
        std::cout << "responder " << crypto::fingerprint(id) << "\n";
    }
    std::vector<unsigned char> list;
    if (!list_file.empty()) print_recipients(checked_list(dir / "missing", list_file, false, list));
    const std::uint64_t quota = operator_step([&] {
        const std::uint64_t q = server::init_data_dir(dir, texts);
        if (!list.empty()) server::install_list(dir, list);
        return q;
    });
    std::cout << "quota_bytes = " << quota
              << " (80% of the space free now; change it in tiplined.conf)\n"
              << "initialised " << dir.string() << "\n";
    return exit_success;
}

// Replaces the list a data directory serves, after checking it; a running server picks it up.
int recipients_install(const fs::path& dir, const fs::path& list_file, bool new_organisation,
                       bool check_only) {
    const server::Config config = operator_step([&] { return server::load_config(dir); });
    const server::Recipients before =
        operator_step([&] { return server::load_recipients(dir, config.responders); });
    std::vector<unsigned char> bytes;
    const server::Recipients after = checked_list(dir, list_file, new_organisation, bytes);
    print_recipients(after);
    for (std::size_t i = 0; i < after.identities.size(); ++i) {
        if (!before.contains(after.identities[i]))
            std::cout << "joins: responder " << after.fingerprints[i] << "\n";
    }
    for (std::size_t i = 0; i < before.identities.size(); ++i) {
        if (!after.contains(before.identities[i]))
            std::cout << "leaves: responder " << before.fingerprints[i] << "\n";
    }
    if (check_only) {
        std::cout << "the list can be installed; nothing was changed\n";
        return exit_success;
    }
    if (before.list_bytes == bytes) {
        std::cout << "this list is installed already; nothing was changed\n";
        return exit_success;
    }
    operator_step([&] { server::install_list(dir, bytes); });
    std::cout << "installed; a running tiplined serves it within " << list_poll_s
              << " seconds, and tips sealed "
              << "from then on are sealed to these responders only\n";
    return exit_success;
}

int recipients_show(const fs::path& dir) {
    const server::Config config = operator_step([&] { return server::load_config(dir); });
    const server::Recipients r =
        operator_step([&] { return server::load_recipients(dir, config.responders); });
    if (!r.list)
        std::cout << "no signed recipient list is installed; tiplined.conf names the responders\n";
    print_recipients(r);
    return exit_success;
}

// A listen address from the command line or the config, refused or warned about off loopback.
server::Endpoint listen_endpoint(const std::string& option, const std::string& text,
                                 bool allow_non_loopback) {
    server::Endpoint endpoint;
    try {
        endpoint = server::parse_endpoint(text);
    } catch (const std::invalid_argument& e) {
        usage_error(option + ": " + e.what());
    }
    if (!endpoint.loopback) {
        if (!allow_non_loopback) {
            usage_error(
                "refusing to listen on " + endpoint.address + ", which is not a loopback address",
                {"publish tiplined through a Tor onion service on 127.0.0.1; add "
                 "--allow-non-loopback only if you must"});
        }
        print_warning(tool, "listening on a non-loopback address (" + option +
                                "): clients reach tiplined without Tor");
    }
    return endpoint;
}

std::string endpoint_text(const server::Endpoint& endpoint, unsigned short port) {
    const bool v6 = endpoint.address.find(':') != std::string::npos;
    return (v6 ? "[" : "") + endpoint.address + (v6 ? "]" : "") + ":" + std::to_string(port);
}

// What `check-config` checks, and `serve` at start and on SIGHUP: the configuration, the
// responders it names or the installed signed list, and the listen addresses.
struct CheckedConfig {
    server::Config config;
    server::Recipients recipients;
};

CheckedConfig checked_config(const fs::path& dir, bool allow_non_loopback) {
    server::ConfigLines lines;
    server::Config config = operator_step([&] { return server::load_config(dir, &lines); });
    const auto at = [&](const std::string& key) {
        const auto it = lines.find(key);
        return "'" + (dir / server::config_file_name).string() + "'" +
               (it == lines.end() ? std::string() : " line " + std::to_string(it->second)) + ": " +
               key;
    };
    server::Recipients recipients;
    try {
        recipients = server::load_recipients(dir, config.responders);
    } catch (const std::runtime_error& e) {
        io_error(at("responder") + ": " + e.what(),
                 {"each responder is a public key text tipline-pk1-... from a .pub file, or "
                  "install the organisation's signed list with tiplined recipients install"});
    }
    for (const auto& [key, text] :
         {std::pair<std::string, const std::string&>{"listen", config.listen},
          {"responder_listen", config.responder_listen}}) {
        try {
            const server::Endpoint endpoint = server::parse_endpoint(text);
            if (!endpoint.loopback && !allow_non_loopback) {
                usage_error(at(key) + ": refusing to listen on " + endpoint.address +
                                ", which is not a loopback address",
                            {"publish tiplined through a Tor onion service on 127.0.0.1; add "
                             "--allow-non-loopback only if you must"});
            }
        } catch (const std::invalid_argument& e) {
            usage_error(at(key) + ": " + e.what());
        }
    }
    return {std::move(config), std::move(recipients)};
}

int check_config(const fs::path& dir, bool allow_non_loopback) {
    const CheckedConfig checked = checked_config(dir, allow_non_loopback);
    if (!checked.recipients.list)
        std::cout << "no signed recipient list is installed; tiplined.conf names the responders\n";
    print_recipients(checked.recipients);
    if (checked.recipients.list &&
        static_cast<std::int64_t>(checked.recipients.list->expires_day) < crypto::current_day()) {
        print_warning(tool,
                      "the recipient list has expired: witnesses' tools refuse it; ask the "
                      "organisation for a new one");
    }
    std::cout << "listen " << checked.config.listen << ", responder_listen "
              << checked.config.responder_listen << "\n"
              << "'" << (dir / server::config_file_name).string()
              << "' is valid; tiplined serve would start with it\n";
    return exit_success;
}

// Where serve_once's listeners were bound, for starting again on the same ports.
struct Bound {
    std::string source;
    std::string responder;
};

server::ServeEnd serve_once(const fs::path& dir, const std::string& listen_override,
                            const std::string& responder_override, bool allow_non_loopback,
                            Bound& bound) {
    const CheckedConfig checked = checked_config(
        dir, allow_non_loopback || !listen_override.empty() || !responder_override.empty());
    const server::Config& config = checked.config;
    const server::ServerInfo info =
        operator_step([&] { return server::load_server_info(dir, config); });
    server::set_site_names(server::site_names_of(config));
    const server::Endpoint endpoint = listen_endpoint(
        "--listen", listen_override.empty() ? config.listen : listen_override, allow_non_loopback);
    // "--listen ADDRESS:0" alone asks for free ports: the responder listener then takes one too.
    std::string responder_text =
        responder_override.empty() ? config.responder_listen : responder_override;
    if (responder_override.empty() && !listen_override.empty() && endpoint.port == 0) {
        responder_text = endpoint_text(endpoint, 0);
    }
    const server::Endpoint responder =
        listen_endpoint("--responder-listen", responder_text, allow_non_loopback);
    // Unfinished uploads past their expiry are dropped at every start, as well as by purge.
    operator_step([&] { return server::expire_uploads(dir, config.limits.upload_expiry_days); });
    server::IngestLimits ingest;
    ingest.quota_bytes = config.limits.quota_bytes;
    server::IngestQueue queue(server::database_path(dir), ingest);
    server::ServeOptions options{endpoint, responder, config.threads, config.work_threads, {}};
    // SIGHUP: the new configuration is checked as at start. At fault, it is refused and the running
    // one serves on; valid and different, tiplined finishes what is in flight and starts again.
    options.on_hangup = [&] {
        const std::string file = (dir / server::config_file_name).string();
        try {
            const CheckedConfig next = checked_config(
                dir, allow_non_loopback || !listen_override.empty() || !responder_override.empty());
            const std::vector<std::string> changed = server::changed_keys(config, next.config);
            if (changed.empty()) {
                std::cerr << "tiplined: reload: '" << file
                          << "' is valid and unchanged; serving on as before\n";
                return false;
            }
            std::string names;
            for (const std::string& key : changed) names += (names.empty() ? "" : ", ") + key;
            std::cerr << "tiplined: reload: '" << file << "' is valid (" << names
                      << " changed): finishing the requests in flight, then starting again with "
                         "it\n";
            return true;
        } catch (const ToolError& e) {
            print_error(tool,
                        std::string("reload refused, still serving with the configuration "
                                    "loaded before: ") +
                            e.what(),
                        e.hints());
            return false;
        }
    };
    if (const auto current = info.recipients->current(); current->list) {
        const auto left =
            static_cast<std::int64_t>(current->list->expires_day) - crypto::current_day();
        if (left < list_expiry_warning_days) {
            print_warning(tool, "the recipient list " +
                                    std::string(left < 0 ? "expired" : "expires") + " on " +
                                    crypto::format_day(current->list->expires_day) +
                                    ": witnesses' tools refuse an expired list; ask the "
                                    "organisation for a new one");
        }
    }
    // A list installed while serving (tiplined recipients install) replaces the running one.
    std::jthread list_watcher([&](std::stop_token stop) {
        server::ListWatcher watcher(dir, *info.recipients);
        std::mutex m;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            std::unique_lock lock(m);
            wake.wait_for(lock, stop, std::chrono::seconds(list_poll_s), [] { return false; });
            if (const std::string news = watcher.poll(); !news.empty())
                std::cerr << "tiplined: " << news << "\n";
        }
    });
    server::ServeEnd end = server::ServeEnd::stopped;
    try {
        end = server::serve(options, info, queue, [&](const server::ReadyPorts& ports) {
            bound = {endpoint_text(endpoint, ports.source),
                     endpoint_text(responder, ports.responder)};
            std::cout << "listening on " << endpoint_text(endpoint, ports.source) << "\n"
                      << "responder listening on " << endpoint_text(responder, ports.responder)
                      << std::endl;
        });
    } catch (const boost::system::system_error& e) {
        io_error(std::string("cannot listen: ") + e.code().message());
    }
    queue.stop();
    return end;
}

int serve(const std::string& program, const fs::path& dir, const std::string& listen_override,
          const std::string& responder_override, bool allow_non_loopback) {
    // A closed standard output (a test's pipe, a terminal gone) must not end the server.
    ::signal(SIGPIPE, SIG_IGN);
    Bound bound;
    if (serve_once(dir, listen_override, responder_override, allow_non_loopback, bound) ==
        server::ServeEnd::restart) {
        // Every acknowledged tip is durable (the queue has stopped) and the listeners are closed:
        // the program starts again in this process. Ports given on the command line are kept as
        // they were bound, so that "--listen 127.0.0.1:0" keeps its port.
        std::vector<std::string> args{program, "serve", dir.string()};
        if (!listen_override.empty()) args.insert(args.end(), {"--listen", bound.source});
        if (!listen_override.empty() || !responder_override.empty())
            args.insert(args.end(), {"--responder-listen", bound.responder});
        if (allow_non_loopback) args.emplace_back("--allow-non-loopback");
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::cerr << "tiplined: starting again with the new configuration" << std::endl;
        ::execv("/proc/self/exe", argv.data());
        io_error(std::string("cannot start again: ") + std::strerror(errno),
                 {"start tiplined again by hand, or with systemctl restart tiplined"});
    }
    std::cerr << "tiplined: stopped\n";
    return exit_success;
}

int export_command(const fs::path& dir, const fs::path& out, bool delete_exported,
                   const std::string& since) {
    std::int64_t since_day = 0;
    if (!since.empty()) {
        const auto day = server::parse_day(since);
        if (!day) usage_error("--since takes a date such as 2026-11-26");
        since_day = *day;
    }
    const auto r =
        operator_step([&] { return server::export_bundle(dir, out, delete_exported, since_day); });
    std::cout << "exported " << r.items << " items (" << r.items - r.replies - r.team_states
              << " tips and follow-ups, " << r.replies << " replies"
              << (r.team_states > 0 ? ", " + std::to_string(r.team_states) + " of the team's state"
                                    : std::string())
              << "), " << r.bytes << " bytes of ciphertext, to " << out.string() << "\n";
    if (delete_exported) {
        std::cout << "deleted " << r.deleted << " exported tips and follow-ups"
                  << (r.team_states > 0 ? " and the team's state" : "") << " from the server\n";
        if (r.replies_kept > 0) {
            std::cout << r.replies_kept
                      << " exported replies stay in their mailboxes until their witnesses have "
                         "read them; tiplined purge deletes them later\n";
        }
    }
    return exit_success;
}

int backup(const fs::path& dir, const fs::path& out) {
    const auto bytes = operator_step([&] { return server::backup_database(dir, out); });
    std::cout << "backed up the database (" << bytes << " bytes, integrity_check ok) to "
              << out.string() << "\n";
    return exit_success;
}

int stats(const fs::path& dir) {
    const auto s = operator_step(
        [&] { return server::Store::open(server::database_path(dir), false)->stats(); });
    std::cout << "tips: " << s.tips << "\n"
              << "ciphertext bytes: " << s.bytes << "\n"
              << "unfinished uploads: " << s.uploads << "\n"
              << "unfinished upload bytes: " << s.upload_bytes << "\n"
              << "unfinished upload bytes declared: " << s.upload_declared_bytes << "\n";
    if (s.tips > 0) {
        std::cout << "days since the oldest tip arrived: " << server::current_day() - s.oldest_day
                  << "\n"
                  << "days since the newest tip arrived: " << server::current_day() - s.newest_day
                  << "\n";
    }
    return exit_success;
}

int purge(const fs::path& dir) {
    const server::Config config = operator_step([&] { return server::load_config(dir); });
    const auto r = operator_step([&] { return server::purge(dir, config); });
    std::cout << "purged " << r.tips << " tips and follow-ups older than " << config.retention_days
              << " days, " << r.read_replies << " replies their witnesses read more than "
              << config.retention_days << " days ago, " << r.unread_replies
              << " unread replies older than " << config.unread_reply_days << " days, " << r.uploads
              << " unfinished uploads older than " << config.limits.upload_expiry_days
              << " days and " << r.mailboxes << " empty mailboxes idle for "
              << config.retention_days << " days\n";
    if (r.team_states > 0) {
        std::cout << "purged " << r.team_states << " items of the team's state older than "
                  << config.retention_days << " days\n";
    }
    return exit_success;
}

// tiplined.conf(5), from the same table as the comments `init` writes and docs/OPERATIONS.md.
ManualPage config_manual_page() {
    std::string roff = roff_header("tiplined.conf", 5, "configuration of the Tipline server");
    roff += ".SH SYNOPSIS\n.I DATADIR/tiplined.conf\n.SH DESCRIPTION\n" +
            roff_paragraphs(
                "Every setting of tiplined(8) is a line KEY = VALUE of this file, in its data "
                "folder. Lines starting with # are comments. A string is written in double "
                "quotes; a list of strings in brackets, [\"a\", \"b\"]. tiplined init writes the "
                "file with every key, its default, and a comment above each. It must be a "
                "regular file of at most " +
                std::to_string(server::max_config_bytes) +
                " bytes (1 MiB); anything else is refused before it is read.\n\n"
                "tiplined check-config DATADIR checks the file and the responders it names, and "
                "names the line and the key at fault: an unknown key, a key set twice, a value "
                "outside its range, limits that contradict each other. tiplined serve runs the "
                "same check when it starts, and refuses to start on a file at fault. On SIGHUP "
                "(systemctl reload tiplined) it checks the file again: at fault, it logs why and "
                "goes on serving with the configuration it runs; valid and changed, it finishes "
                "the requests in flight and starts again with it.") +
            ".SH KEYS\n";
    for (const server::ConfigKeyRow& row : server::config_key_rows()) {
        roff += ".TP\n.B " + roff_escape(row.name) + "\n" + roff_escape(row.meaning) +
                "\n.br\nDefault: " + roff_escape(row.default_value) + "; " + roff_escape(row.unit) +
                ".\n";
    }
    roff += ".SH SEE ALSO\n\\fBtiplined\\fR(8)\n";
    return {"tiplined.conf", 5, roff};
}

Manual manual() {
    Manual m;
    m.summary = "the Tipline server, which stores only ciphertext behind Tor onion services";
    m.section = 8;
    m.description =
        "tiplined is the Tipline server. Witnesses reach it through a Tor onion service, with "
        "Tor Browser or tipline-submit(1), and leave tips sealed to the NGO's responders; "
        "responders fetch them through a second onion service with client authorization, and "
        "open them offline with tipline-responder(1). The server stores only ciphertext, keeps "
        "no request log, no addresses and no exact times, and listens on loopback only.\n\n"
        "Each command works on a data folder, DATADIR (/var/lib/tipline when installed from "
        "the package), made by tiplined init. Its settings are in DATADIR/tiplined.conf, "
        "described in tiplined.conf(5).\n\n"
        "Signals: SIGTERM and SIGINT stop accepting, let requests in flight finish for up to "
        "drain_timeout_s, and exit. SIGHUP checks tiplined.conf again: a configuration at fault is "
        "refused and the running one serves on; a valid, changed one is taken up by finishing "
        "the requests in flight and starting again in the same process.";
    m.files = {{"DATADIR/tiplined.conf", "the settings: tiplined.conf(5)"},
               {"DATADIR/tips.sqlite", "the stored ciphertext, mailboxes and the deployment salt"},
               {"DATADIR/recipients.list",
                "the organisation's signed list of responders, when one is installed"}};
    m.see_also = {"tipline-responder(1)", "tipline-submit(1)", "tor(1)"};
    m.extra_pages.push_back(config_manual_page());
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Tipline server. Stores only ciphertext; run it behind a Tor onion service.",
                 std::string(tool)};
    app.require_subcommand(1);
    fs::path dir, out, list_file;
    std::vector<std::string> responders;
    bool new_organisation = false;
    std::string listen, responder_listen, since;
    bool allow_non_loopback = false, delete_exported = false;

    auto* init_cmd = app.add_subcommand("init", "create a data directory for these responders");
    init_cmd->add_option("datadir", dir)->required();
    auto* init_responder = init_cmd->add_option("--responder", responders,
                                                "a responder's PATH.pub or key text (repeatable)");
    auto* init_list = init_cmd->add_option("--recipient-list", list_file,
                                           "the responders as the organisation signed them (from "
                                           "'tipline-responder org sign'), instead of --responder");
    init_responder->excludes(init_list);

    auto* serve_cmd =
        app.add_subcommand("serve", "serve the source and responder APIs until SIGTERM");
    serve_cmd->add_option("datadir", dir)->required();
    serve_cmd->add_option("--listen", listen,
                          "ADDRESS:PORT, overriding the config; port 0 picks a free one");
    serve_cmd->add_option("--responder-listen", responder_listen,
                          "ADDRESS:PORT of the signed responder API, overriding the config");
    serve_cmd->add_flag("--allow-non-loopback", allow_non_loopback,
                        "permit a listen address that is not loopback");

    bool check_allow_non_loopback = false;
    auto* check_config_cmd = app.add_subcommand(
        "check-config",
        "check tiplined.conf and the responders: name the line and the key at fault, change "
        "nothing");
    check_config_cmd->add_option("datadir", dir)->required();
    check_config_cmd->add_flag("--allow-non-loopback", check_allow_non_loopback,
                               "accept listen addresses that are not loopback, as serve "
                               "--allow-non-loopback does");

    auto* export_cmd =
        app.add_subcommand("export", "write every stored tip into a bundle for the responders");
    export_cmd->add_option("datadir", dir)->required();
    export_cmd->add_option("--out", out, "the new bundle file")->required();
    export_cmd->add_flag("--delete-exported", delete_exported,
                         "once the bundle is on disk, delete the exported tips and follow-ups; "
                         "replies stay in their mailboxes until their witnesses have read them");
    export_cmd->add_option("--since", since,
                           "only tips received on or after this day (YYYY-MM-DD, UTC)");

    auto* backup_cmd =
        app.add_subcommand("backup", "copy the database, consistently, while tiplined serves");
    backup_cmd->add_option("datadir", dir)->required();
    backup_cmd
        ->add_option("--out", out,
                     "the new copy (mode 0600); holds ciphertext, mailboxes and the salt")
        ->required();

    auto* stats_cmd = app.add_subcommand("stats", "print counts and sizes");
    stats_cmd->add_option("datadir", dir)->required();

    auto* purge_cmd = app.add_subcommand(
        "purge",
        "delete what the retention policy expires: tips and follow-ups after retention_days, "
        "replies retention_days after their witness read them or unread_reply_days unread");
    purge_cmd->add_option("datadir", dir)->required();

    auto* recipients_cmd = app.add_subcommand("recipients",
                                              "the responders tips are sealed to: show, check or "
                                              "install the organisation's signed list");
    recipients_cmd->require_subcommand(1);
    auto* show_cmd = recipients_cmd->add_subcommand(
        "show", "print the list in use: organisation, serial, expiry");
    show_cmd->add_option("datadir", dir)->required();
    auto* install_cmd = recipients_cmd->add_subcommand(
        "install",
        "check a new signed list and put it in place; a running tiplined serves it within seconds");
    auto* check_cmd =
        recipients_cmd->add_subcommand("check", "the checks of install, changing nothing");
    for (auto* cmd : {install_cmd, check_cmd}) {
        cmd->add_option("datadir", dir)->required();
        cmd->add_option("list", list_file, "the list file from 'tipline-responder org sign'")
            ->required();
        cmd->add_flag("--new-organisation", new_organisation,
                      "accept a list signed by another organisation key than the installed list's");
    }

    return run_tool(tool, app, manual(), argc, argv, [&] {
        if (*init_cmd) return init(dir, responders, list_file);
        if (*check_config_cmd) return check_config(dir, check_allow_non_loopback);
        if (*show_cmd) return recipients_show(dir);
        if (*install_cmd || *check_cmd)
            return recipients_install(dir, list_file, new_organisation, check_cmd->parsed());
        if (*serve_cmd) return serve(argv[0], dir, listen, responder_listen, allow_non_loopback);
        if (*export_cmd) return export_command(dir, out, delete_exported, since);
        if (*backup_cmd) return backup(dir, out);
        if (*stats_cmd) return stats(dir);
        return purge(dir);
    });
}
