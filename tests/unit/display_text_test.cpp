// Hostile text made safe for a terminal: nothing a server or a sender writes can drive the
// terminal.
#include "tipline/client/display_text.hpp"

#include <catch2/catch.hpp>

using namespace tipline::client;

TEST_CASE("display escaping makes control and bidi characters visible", "[display_text]") {
    CHECK(escape_for_display("a\nb") == "a\\u{A}b");
    CHECK(escape_for_display("x\u202Ey") == "x\\u{202E}y");
    CHECK(escape_for_display("\xFF") == "\\xFF");
    CHECK(escape_for_display("사진") == "사진");
    CHECK(escape_for_display("a\\b") == "a\\u{5C}b");  // an escape cannot be forged by the sender
}

TEST_CASE("message text keeps its lines and tabs, and loses every way to drive a terminal",
          "[display_text]") {
    // Clear the screen, move the cursor up, set the window title, CSI as one C1 byte, a carriage
    // return that would overwrite the line, a backspace and DEL.
    const std::string hostile =
        "line one\n\tindented\x1b[2J\x1b[1A\x1b]0;title\x07\xc2\x9b"
        "5m\rover\x08\x7f";
    const std::string shown = escape_text_for_display(hostile);
    CHECK(shown.starts_with("line one\n\tindented"));
    CHECK(shown.find('\x1b') == std::string::npos);
    CHECK(shown.find('\x07') == std::string::npos);
    CHECK(shown.find('\r') == std::string::npos);
    CHECK(shown.find('\x08') == std::string::npos);
    CHECK(shown.find('\x7f') == std::string::npos);
    CHECK(shown.find("\xc2\x9b") == std::string::npos);
    CHECK(shown.find("\\u{1B}[2J") != std::string::npos);
    CHECK(shown.find("\\u{9B}5m") != std::string::npos);
    CHECK(shown.find("\\u{D}over") != std::string::npos);
    CHECK(escape_text_for_display("长白县\n두만강") == "长白县\n두만강");
    CHECK(escape_text_for_display("\xe2\x80\xae") == "\\u{202E}");
}

TEST_CASE("an item id is exactly 32 lowercase hex digits", "[display_text]") {
    CHECK(is_item_id("0123456789abcdef0123456789abcdef"));
    CHECK_FALSE(is_item_id("0123456789ABCDEF0123456789abcdef"));
    CHECK_FALSE(is_item_id("0123456789abcdef0123456789abcde"));
    CHECK_FALSE(is_item_id("0123456789abcdef0123456789abcdef0"));
    CHECK_FALSE(is_item_id("../../../../etc/passwd0123456789"));
    CHECK_FALSE(is_item_id("0123456789abcdef0123456789abcd\x1b["));
    CHECK_FALSE(is_item_id(""));
}
