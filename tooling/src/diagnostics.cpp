// The single place where tool errors become stderr lines and exit codes.
#include "tipline/tooling/diagnostics.hpp"

#include <libintl.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <new>

#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/secret_buffer.hpp"
#include "tipline/tooling/manual.hpp"

namespace tipline::tooling {

std::string fill_placeholders(
    std::string_view text,
    std::initializer_list<std::pair<std::string_view, std::string_view>> args) {
    std::string out;
    out.reserve(text.size());
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t open = text.find('{', at);
        const std::size_t close = open == std::string_view::npos ? open : text.find('}', open);
        if (close == std::string_view::npos) break;
        out.append(text.substr(at, open - at));
        const std::string_view name = text.substr(open + 1, close - open - 1);
        std::string_view value = text.substr(open, close - open + 1);  // unknown: left as it is
        for (const auto& [key, given] : args) {
            if (key == name) value = given;
        }
        out.append(value);
        at = close + 1;
    }
    out.append(text.substr(std::min(at, text.size())));
    return out;
}

void usage_error(std::string message, std::vector<std::string> hints) {
    throw ToolError(exit_usage_or_io, std::move(message), std::move(hints));
}

void io_error(std::string message, std::vector<std::string> hints) {
    throw ToolError(exit_usage_or_io, std::move(message), std::move(hints));
}

void open_failure(std::string_view what, std::error_code ec) {
    using crypto::Error;
    std::vector<std::string> hints;
    if (ec == Error::no_matching_key) {
        hints.push_back(
            "it was sealed to other recipients; check that you chose the right key file");
    } else if (ec == Error::authentication_failed) {
        hints.push_back("the data was altered or damaged, or the passphrase is wrong");
    } else if (ec == Error::truncated) {
        hints.push_back("the file is incomplete; copy it again from its source");
    } else if (ec == Error::unsupported_version) {
        hints.push_back("it was made by a newer version of tipline; upgrade this tool");
    }
    throw ToolError(exit_verification_failure, std::string(what) + ": " + ec.message(),
                    std::move(hints));
}

// The labels go through glibc's gettext too, in whatever domain the program chose: tipline-submit
// binds its catalogs (client/include/tipline/client/messages.hpp); tiplined and tipline-responder
// never set a locale, so they print the English words.
void print_error(std::string_view tool, std::string_view message,
                 const std::vector<std::string>& hints) {
    // TRANSLATORS: "tipline-submit: error: MESSAGE", then one "hint: HINT" line for each hint.
    std::cerr << tool << ": " << ::gettext("error:") << ' ' << message << '\n';
    for (const std::string& hint : hints) std::cerr << ::gettext("hint:") << ' ' << hint << '\n';
}

void print_warning(std::string_view tool, std::string_view message) {
    // TRANSLATORS: "tipline-submit: warning: MESSAGE".
    std::cerr << tool << ": " << ::gettext("warning:") << ' ' << message << '\n';
}

int run_tool(std::string_view tool, CLI::App& app, const Manual& manual, int argc, char** argv,
             const std::function<int()>& body) {
    // Keys and plaintext pass through this process: no core file, and no ptrace by other processes.
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::prctl(PR_SET_DUMPABLE, 0);
    add_conventions(app, tool);
    try {
        if (const int rc = answer_conventions(tool, app, manual, argc, argv); rc >= 0) return rc;
        app.parse(argc, argv);
    } catch (const ToolError& e) {
        print_error(tool, e.what(), e.hints());
        return e.exit_code();
    } catch (const CLI::CallForVersion& e) {
        std::cout << e.what() << "\n";
        return exit_success;
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return exit_success;
    } catch (const CLI::CallForAllHelp&) {
        std::cout << app.help("", CLI::AppFormatMode::All);
        return exit_success;
    } catch (const CLI::ParseError& e) {
        print_error(tool, e.what(), {"run '" + std::string(tool) + " --help' for usage"});
        return exit_usage_or_io;
    }
    int rc = exit_usage_or_io;
    try {
        rc = body();
    } catch (const ToolError& e) {
        print_error(tool, e.what(), e.hints());
        rc = e.exit_code();
    } catch (const std::system_error& e) {
        print_error(tool, e.what(), {});
    } catch (const std::bad_alloc&) {
        print_error(tool, "out of memory",
                    {"Argon2id needs up to 1 GiB for a key file made with --kdf sensitive"});
    } catch (const std::exception& e) {
        // Whatever slipped past the checks above still ends in a message and exit 2, never an
        // abort.
        print_error(tool, std::string(::gettext("cannot go on:")) + " " + e.what(), {});
    }
#ifdef TIPLINE_CHECK_SECRET_LEAKS
    // Sanitizer builds: sodium_malloc memory is mapped, not heap, so LeakSanitizer cannot see it.
    if (const std::size_t live = crypto::SecretBuffer::live_count(); live != 0) {
        print_error(tool, std::to_string(live) + " secret buffer(s) were never freed", {});
        return exit_leaked_secrets;
    }
#endif
    return rc;
}

}  // namespace tipline::tooling
