// Text from a server or from inside an envelope, made safe to show on a terminal or in a text file.
#pragma once

#include <string>
#include <string_view>

namespace tipline::client {

// C0 and C1 controls and DEL: a terminal acts on them (ESC starts a sequence, 0x9B is one).
bool is_control_char(char32_t c) noexcept;
// Characters that hide or reorder text (bidi overrides, zero-width and invisible characters).
bool is_deceptive_char(char32_t c) noexcept;

// One line: every control, invisible or bidi character and the backslash become \u{...}, and a
// byte that is not UTF-8 becomes \xNN, so the text cannot move the cursor, clear the screen or
// pretend to be something else.
std::string escape_for_display(std::string_view raw);

// As escape_for_display, keeping line breaks and tabs, for a message shown as written.
std::string escape_text_for_display(std::string_view raw);

// A tip, follow-up or reply id as the server gives it: exactly 32 lowercase hex digits.
bool is_item_id(std::string_view text) noexcept;

}  // namespace tipline::client
