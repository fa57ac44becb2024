// Turns a file name chosen by a possibly hostile sender into one that is safe inside an output
// folder.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace tipline::client {

inline constexpr std::size_t safe_name_max_bytes = 200;

// A single path component: no separators, no control, bidi or invisible characters, no leading dot
// or dash, no Windows device name, at most safe_name_max_bytes bytes of UTF-8, never empty.
std::string sanitize_name(std::string_view raw);

// Hands out sanitized names that are unique in one folder, ignoring ASCII case (as Windows and
// macOS do).
class NameAllocator {
  public:
    // reserved: names the caller writes itself, such as message.txt
    explicit NameAllocator(std::set<std::string> reserved = {});
    std::string claim(std::string_view raw);

  private:
    std::set<std::string> taken_;  // lowercased
};

}  // namespace tipline::client
