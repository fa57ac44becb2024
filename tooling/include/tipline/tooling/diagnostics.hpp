// How the tools fail: one exception type with an exit code and hints, printed in one place.
#pragma once

#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace tipline::tooling {

// Documented exit codes (README.md, "Exit codes").
inline constexpr int exit_success = 0;
inline constexpr int exit_verification_failure = 1;  // decryption or verification failed
inline constexpr int exit_usage_or_io = 2;  // bad arguments, unreadable or unwritable files
inline constexpr int exit_leaked_secrets =
    70;  // sanitizer builds only: a secret buffer outlived its command

class ToolError : public std::runtime_error {
  public:
    ToolError(int exit_code, std::string message, std::vector<std::string> hints = {})
        : std::runtime_error(std::move(message)), exit_code_(exit_code), hints_(std::move(hints)) {}
    int exit_code() const noexcept { return exit_code_; }
    const std::vector<std::string>& hints() const noexcept { return hints_; }

  private:
    int exit_code_;
    std::vector<std::string> hints_;
};

// A translated message with each {name} of args replaced by its text, wherever the translation put
// it (po/README.md). Names not in args are left as they are; a value is never searched for
// placeholders itself.
std::string fill_placeholders(
    std::string_view text,
    std::initializer_list<std::pair<std::string_view, std::string_view>> args);

[[noreturn]] void usage_error(std::string message, std::vector<std::string> hints = {});
[[noreturn]] void io_error(std::string message, std::vector<std::string> hints = {});
// A crypto::Error from opening something: exit 1, with a hint chosen for the code.
[[noreturn]] void open_failure(std::string_view what, std::error_code ec);

// Prints "TOOL: error: MESSAGE" and "hint: ..." lines to stderr.
void print_error(std::string_view tool, std::string_view message,
                 const std::vector<std::string>& hints);
void print_warning(std::string_view tool, std::string_view message);

struct Manual;

// Parses the command line and runs body, mapping every failure to a message and an exit code.
// Adds the conventions every program keeps first: -V/--version, "help [COMMAND...]", and the
// build's --write-docs, which writes the man pages (with manual's text) and bash completion.
int run_tool(std::string_view tool, CLI::App& app, const Manual& manual, int argc, char** argv,
             const std::function<int()>& body);

}  // namespace tipline::tooling
