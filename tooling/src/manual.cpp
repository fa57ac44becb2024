// Man pages and bash completion from a program's CLI11 tree, and the --version and help
// conventions.
#include "tipline/tooling/manual.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/version.hpp"

namespace tipline::tooling {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view manual_title = "Tipline manual";
constexpr std::string_view write_docs_flag = "--write-docs";

// The commands a user sees: CLI11 hides those in the empty group.
std::vector<const CLI::App*> visible_commands(const CLI::App& app) {
    return app.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
}

std::vector<const CLI::Option*> visible_options(const CLI::App& app) {
    return app.get_options([](const CLI::Option* opt) { return !opt->get_group().empty(); });
}

// "tipline-responder org sign": the words that run this command.
std::string command_words(const CLI::App& app) {
    std::string words = app.get_name();
    for (const CLI::App* parent = app.get_parent(); parent != nullptr;
         parent = parent->get_parent()) {
        words = parent->get_name() + " " + words;
    }
    return words;
}

std::string page_name(const CLI::App& app) {
    std::string name = command_words(app);
    std::replace(name.begin(), name.end(), ' ', '-');
    return name;
}

std::string upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

std::string capitalised(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z')
        text[0] = static_cast<char>(text[0] - 32);
    return text;
}

bool takes_value(const CLI::Option& opt) { return opt.get_expected_max() > 0; }

std::string value_name(const CLI::Option& opt) {
    std::string name = opt.get_type_name();
    if (name.empty()) name = "VALUE";
    // CLI11's "TEXT:{a,b} ..." shapes: keep the first word.
    return name.substr(0, name.find_first_of(" :"));
}

// "\fB\-\-out\fR \fIPATH\fR" or "\fIdatadir\fR".
std::string option_label(const CLI::Option& opt) {
    if (!opt.nonpositional()) return "\\fI" + roff_escape(opt.get_name(true)) + "\\fR";
    std::string label;
    for (const std::string& s : opt.get_snames())
        label += (label.empty() ? "" : ", ") + std::string("\\fB\\-") + roff_escape(s) + "\\fR";
    for (const std::string& l : opt.get_lnames())
        label += (label.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff_escape(l) + "\\fR";
    if (takes_value(opt)) label += " \\fI" + roff_escape(value_name(opt)) + "\\fR";
    return label;
}

std::string option_text(const CLI::Option& opt) {
    std::string text = opt.get_description();
    std::vector<std::string> notes;
    if (opt.get_required()) notes.emplace_back("required");
    if (opt.get_expected_max() > 1 && text.find("repeatable") == std::string::npos)
        notes.emplace_back("repeatable");
    if (const std::string d = opt.get_default_str(); !d.empty() && takes_value(opt))
        notes.push_back("default: " + d);
    if (text.empty()) text = opt.nonpositional() ? "" : "the " + opt.get_name(true);
    if (!notes.empty()) {
        std::string joined;
        for (const std::string& n : notes) joined += (joined.empty() ? "" : "; ") + n;
        text += (text.empty() ? "" : " ") + std::string("(") + joined + ")";
    }
    return roff_escape(text);
}

std::string synopsis(const CLI::App& app) {
    std::string out = ".SH SYNOPSIS\n.B " + roff_escape(command_words(app)) + "\n";
    const auto commands = visible_commands(app);
    std::string args;
    if (!visible_options(app).empty()) args += "[\\fIOPTIONS\\fR]";
    for (const CLI::Option* opt : visible_options(app)) {
        if (opt->nonpositional()) continue;
        const std::string name = "\\fI" + roff_escape(opt->get_name(true)) + "\\fR" +
                                 (opt->get_expected_max() > 1 ? "..." : "");
        args += " " + (opt->get_required() ? name : "[" + name + "]");
    }
    if (!commands.empty()) args += " \\fICOMMAND\\fR [\\fIARGS\\fR]";
    return out + args + "\n";
}

std::string options_section(const CLI::App& app) {
    std::string out;
    for (const CLI::Option* opt : visible_options(app))
        out += ".TP\n" + option_label(*opt) + "\n" + option_text(*opt) + "\n";
    return out.empty() ? out : ".SH OPTIONS\n" + out;
}

std::string commands_section(const CLI::App& app, int section) {
    const auto commands = visible_commands(app);
    if (commands.empty()) return {};
    // Grouped as --help groups them, in the order the groups first appear.
    std::vector<std::string> groups;
    for (const CLI::App* sub : commands) {
        if (std::find(groups.begin(), groups.end(), sub->get_group()) == groups.end())
            groups.push_back(sub->get_group());
    }
    std::string out = ".SH COMMANDS\n";
    for (const std::string& group : groups) {
        if (groups.size() > 1) out += ".SS " + roff_escape(group) + "\n";
        for (const CLI::App* sub : commands) {
            if (sub->get_group() != group) continue;
            std::string names = "\\fB" + roff_escape(sub->get_name()) + "\\fR";
            for (const std::string& alias : sub->get_aliases())
                names += ", \\fB" + roff_escape(alias) + "\\fR";
            out += ".TP\n" + names + "\n" + roff_escape(sub->get_description());
            out += sub->get_name() == "help" ? "\n"
                                             : ". See \\fB" + roff_escape(page_name(*sub)) +
                                                   "\\fR(" + std::to_string(section) + ").\n";
        }
    }
    return out;
}

std::string see_also(std::vector<std::string> pages) {
    if (pages.empty()) return {};
    std::sort(pages.begin(), pages.end());
    pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
    std::string out = ".SH SEE ALSO\n";
    for (std::size_t i = 0; i < pages.size(); ++i) {
        const std::size_t paren = pages[i].find('(');
        out += "\\fB" + roff_escape(pages[i].substr(0, paren)) + "\\fR" +
               (paren == std::string::npos ? "" : pages[i].substr(paren)) +
               (i + 1 < pages.size() ? ",\n" : "\n");
    }
    return out;
}

std::string exit_status_section() {
    return ".SH EXIT STATUS\n"
           ".TP\n.B 0\nsuccess\n"
           ".TP\n.B 1\ndecryption or verification failed: a wrong key or passphrase, altered, "
           "truncated or malformed input, a signature or list that does not check\n"
           ".TP\n.B 2\nusage or I/O error: bad arguments, a key file of the wrong kind, missing "
           "or unreadable files, a file that already exists, a configuration at fault\n";
}

std::string definitions(std::string_view heading,
                        const std::vector<std::pair<std::string, std::string>>& items) {
    if (items.empty()) return {};
    std::string out = ".SH " + std::string(heading) + "\n";
    for (const auto& [name, meaning] : items)
        out += ".TP\n.I " + roff_escape(name) + "\n" + roff_escape(meaning) + "\n";
    return out;
}

void add_pages(std::string_view tool, const CLI::App& app, const Manual& manual,
               std::vector<std::pair<std::string, std::string>>& pages) {
    for (const CLI::App* sub : visible_commands(app)) {
        if (sub->get_name() == "help") continue;
        std::string page = roff_header(page_name(*sub), manual.section, sub->get_description());
        page += synopsis(*sub);
        const std::string footer = sub->get_footer();
        page += ".SH DESCRIPTION\n" + roff_paragraphs(capitalised(sub->get_description()) + "." +
                                                      (footer.empty() ? "" : "\n\n" + footer));
        page +=
            options_section(*sub) + commands_section(*sub, manual.section) + exit_status_section();
        std::vector<std::string> related{std::string(tool) + "(" + std::to_string(manual.section) +
                                         ")"};
        if (sub->get_parent() != nullptr && sub->get_parent()->get_parent() != nullptr)
            related.push_back(page_name(*sub->get_parent()) + "(" + std::to_string(manual.section) +
                              ")");
        page += see_also(related);
        pages.emplace_back(page_name(*sub) + "." + std::to_string(manual.section), page);
        add_pages(tool, *sub, manual, pages);
    }
}

// Bash: the words after the program that name commands, as "/org/sign".
void completion_nodes(const CLI::App& app, const std::string& node,
                      std::vector<std::pair<std::string, const CLI::App*>>& out) {
    out.emplace_back(node, &app);
    for (const CLI::App* sub : visible_commands(app))
        completion_nodes(*sub, node + "/" + sub->get_name(), out);
}

std::string shell_function_name(std::string_view tool) {
    std::string name = "_" + std::string(tool);
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

}  // namespace

std::string_view tipline_version() { return TIPLINE_VERSION; }

std::string version_line(std::string_view tool) {
    return std::string(tool) + " (Tipline) " + std::string(tipline_version());
}

std::string roff_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    bool line_start = true;
    for (const char c : text) {
        if (line_start && (c == '.' || c == '\'')) out += "\\&";
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out += c;
        }
        line_start = c == '\n';
    }
    return out;
}

std::string roff_header(std::string_view page, int section, std::string_view summary) {
    return ".TH " + roff_escape(upper(std::string(page))) + " " + std::to_string(section) +
           " \"\" \"Tipline " + std::string(tipline_version()) + "\" \"" +
           std::string(manual_title) + "\"\n.SH NAME\n" + roff_escape(page) + " \\- " +
           roff_escape(summary) + "\n";
}

std::string roff_paragraphs(std::string_view text) {
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find("\n\n", at);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view paragraph = text.substr(at, end - at);
        if (!paragraph.empty()) out += (out.empty() ? "" : ".PP\n") + roff_escape(paragraph) + "\n";
        at = end + 2;
    }
    return out;
}

void add_conventions(CLI::App& app, std::string_view tool) {
    app.set_version_flag("-V,--version", version_line(tool), "print the version and exit");
    auto* help = app.add_subcommand(
        "help", "print the help of the program, or of a command: help [COMMAND...]");
    help->allow_extras();
    // answer_conventions answers "help" before parsing; should CLI11 reach it another way, it
    // still only prints help.
    help->callback([] { throw CLI::CallForHelp(); });
}

int answer_conventions(std::string_view tool, CLI::App& app, const Manual& manual, int argc,
                       char** argv) {
    if (argc >= 3 && argv[1] == write_docs_flag) {
        write_docs(tool, app, manual, argv[2]);
        return exit_success;
    }
    if (argc < 2 || std::string_view(argv[1]) != "help") return -1;
    CLI::App* command = &app;
    for (int i = 2; i < argc; ++i) {
        CLI::App* sub = nullptr;
        try {
            sub = command->get_subcommand(argv[i]);
        } catch (const CLI::OptionNotFound&) {
        }
        if (sub == nullptr || sub->get_group().empty()) {
            print_error(tool,
                        "'" + std::string(argv[i]) + "' is not a command of '" +
                            command_words(*command) + "'",
                        {"run '" + command_words(*command) + " --help' to list its commands"});
            return exit_usage_or_io;
        }
        command = sub;
    }
    std::cout << command->help();
    return exit_success;
}

std::vector<std::pair<std::string, std::string>> manual_pages(std::string_view tool,
                                                              const CLI::App& app,
                                                              const Manual& manual) {
    std::vector<std::pair<std::string, std::string>> pages;
    std::string main = roff_header(tool, manual.section, manual.summary);
    main += synopsis(app);
    main += ".br\n.B " + roff_escape(tool) + " help\n[\\fICOMMAND\\fR...]\n";
    main += ".SH DESCRIPTION\n" + roff_paragraphs(manual.description);
    main += commands_section(app, manual.section) + options_section(app) + exit_status_section();
    main += definitions("ENVIRONMENT", manual.environment) + definitions("FILES", manual.files);
    std::vector<std::string> related = manual.see_also;
    for (const ManualPage& extra : manual.extra_pages)
        related.push_back(extra.name + "(" + std::to_string(extra.section) + ")");
    main += see_also(related);
    pages.emplace_back(std::string(tool) + "." + std::to_string(manual.section), main);
    add_pages(tool, app, manual, pages);
    for (const ManualPage& extra : manual.extra_pages)
        pages.emplace_back(extra.name + "." + std::to_string(extra.section), extra.roff);
    return pages;
}

std::string bash_completion(std::string_view tool, const CLI::App& app) {
    std::vector<std::pair<std::string, const CLI::App*>> nodes;
    completion_nodes(app, "", nodes);
    const std::string fn = shell_function_name(tool);
    std::string known, words, values, positional, aliases;
    for (const auto& [node, cmd] : nodes) {
        std::string list;
        for (const CLI::App* sub : visible_commands(*cmd)) {
            list += " " + sub->get_name();
            // An alias leads to its command's node.
            for (const std::string& alias : sub->get_aliases()) {
                list += " " + alias;
                aliases += "        \"" + node + "/" + alias + "\") node=\"" + node + "/" +
                           sub->get_name() + "\" ;;\n";
            }
        }
        bool has_positional = node == "/help";
        for (const CLI::Option* opt : visible_options(*cmd)) {
            if (!opt->nonpositional()) {
                has_positional = true;
                continue;
            }
            for (const std::string& s : opt->get_snames()) list += " -" + s;
            for (const std::string& l : opt->get_lnames()) {
                list += " --" + l;
                if (takes_value(*opt)) values += "|\"" + node + " --" + l + "\"";
            }
        }
        if (node == "/help") {
            for (const CLI::App* sub : visible_commands(app))
                if (sub->get_name() != "help") list += " " + sub->get_name();
        }
        if (!node.empty()) known += "|\"" + node + "\"";
        words += "        \"" + node + "\") words=\"" + list.substr(1) + "\" ;;\n";
        if (has_positional && node != "/help") positional += "|\"" + node + "\"";
    }
    std::string out = "# bash completion for " + std::string(tool) + " (Tipline " +
                      std::string(tipline_version()) + "), written from its own option table.\n" +
                      fn + "() {\n" +
                      "    local cur=${COMP_WORDS[COMP_CWORD]} prev=\"\" node=\"\" words=\"\" i\n"
                      "    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
                      "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
                      "        case \"$node/${COMP_WORDS[i]}\" in\n"
                      "        " +
                      (known.empty() ? "\"\"" : known.substr(1)) +
                      ") node=\"$node/${COMP_WORDS[i]}\" ;;\n" + aliases +
                      "        esac\n"
                      "    done\n";
    if (!values.empty()) {
        // An option's value: a file name is the likeliest, and "-" for standard input or output.
        out += "    case \"$node $prev\" in\n    " + values.substr(1) +
               ")\n        compopt -o filenames 2>/dev/null\n"
               "        COMPREPLY=($(compgen -f -- \"$cur\"))\n        return 0 ;;\n    esac\n";
    }
    out += "    case \"$node\" in\n" + words + "    esac\n";
    out +=
        "    if [[ $cur == -* ]]; then\n"
        "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\" | grep -e '^-'))\n"
        "        return 0\n"
        "    fi\n"
        "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\" | grep -v -e '^-'))\n";
    if (!positional.empty()) {
        out += "    case \"$node\" in\n    " + positional.substr(1) +
               ")\n        compopt -o filenames 2>/dev/null\n"
               "        COMPREPLY+=($(compgen -f -- \"$cur\")) ;;\n    esac\n";
    }
    out += "    return 0\n}\ncomplete -F " + fn + " " + std::string(tool) + "\n";
    return out;
}

void write_docs(std::string_view tool, const CLI::App& app, const Manual& manual,
                const fs::path& dir) {
    const auto write = [](const fs::path& path, const std::string& text) {
        fs::create_directories(path.parent_path());
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out) io_error("cannot write '" + path.string() + "'");
    };
    for (const auto& [name, roff] : manual_pages(tool, app, manual))
        write(dir / "man" / name, roff);
    write(dir / "completion" / std::string(tool), bash_completion(tool, app));
}

}  // namespace tipline::tooling
