// The conventions every program keeps (--version, help, man pages, bash completion), and the man
// pages and completion script, written from the programs' own option tables so that they cannot
// drift from what the programs accept.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace tipline::tooling {

// "0.1.0": the project's version, from CMake's project(); debian/changelog carries the same.
std::string_view tipline_version();
// "tiplined (Tipline) 0.1.0": what --version prints.
std::string version_line(std::string_view tool);

// A man page written in full by its program, such as tiplined.conf(5).
struct ManualPage {
    std::string name;  // "tiplined.conf"
    int section = 5;
    std::string roff;  // the whole page, from .TH on
};

// What a program's man page says beyond its options. Text is plain: paragraphs separated by blank
// lines, escaped for roff when written.
struct Manual {
    int section = 1;
    std::string summary;  // the NAME line: "the Tipline server"
    std::string description;
    std::vector<std::pair<std::string, std::string>> environment;  // name, meaning
    std::vector<std::pair<std::string, std::string>> files;        // path, meaning
    std::vector<std::string> see_also;                             // "tor(1)"
    std::vector<ManualPage> extra_pages;
};

// Plain text as roff: backslashes and hyphens escaped, no line starting with a control character.
std::string roff_escape(std::string_view text);
// ".TH" and the NAME section of a page of this program.
std::string roff_header(std::string_view page, int section, std::string_view summary);
// Paragraphs (separated by blank lines) as roff paragraphs.
std::string roff_paragraphs(std::string_view text);

// Adds -V/--version and the help command to app (run_tool does it for every program).
void add_conventions(CLI::App& app, std::string_view tool);

// Handles what run_tool answers before parsing: "help [COMMAND...]" and the build's
// "--write-docs DIR". Returns the exit code when it answered, or -1.
int answer_conventions(std::string_view tool, CLI::App& app, const Manual& manual, int argc,
                       char** argv);

// Every page: TOOL.N, TOOL-COMMAND.N for each command (and TOOL-COMMAND-SUB.N below it), and the
// manual's extra pages, as (file name, roff).
std::vector<std::pair<std::string, std::string>> manual_pages(std::string_view tool,
                                                              const CLI::App& app,
                                                              const Manual& manual);
// A bash completion script for TOOL: commands, their options, and file names where they fit.
std::string bash_completion(std::string_view tool, const CLI::App& app);

// Writes DIR/man/PAGE.N and DIR/completion/TOOL.
void write_docs(std::string_view tool, const CLI::App& app, const Manual& manual,
                const std::filesystem::path& dir);

}  // namespace tipline::tooling
