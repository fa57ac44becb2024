// The sanitizer against hostile attachment names.
#include "tipline/client/safe_name.hpp"

#include <catch2/catch.hpp>

#include "tipline/crypto/utf8.hpp"

using namespace tipline::client;

namespace {

// The properties every output must have, whatever came in.
void check_safe(const std::string& name) {
    INFO("sanitized: " << name);
    REQUIRE_FALSE(name.empty());
    CHECK(name.size() <= safe_name_max_bytes + 8);
    CHECK(name.find('/') == std::string::npos);
    CHECK(name.find('\\') == std::string::npos);
    CHECK(name != ".");
    CHECK(name != "..");
    CHECK(name[0] != '.');
    CHECK(name[0] != '-');
    CHECK(tipline::crypto::is_valid_utf8(name));
    for (char c : name) CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7F));
}

}  // namespace

TEST_CASE("hostile names become safe single components", "[safe_name]") {
    CHECK(sanitize_name("../../etc/passwd") == "_.._etc_passwd");
    CHECK(sanitize_name("/abs") == "_abs");
    CHECK(sanitize_name("..") == "attachment");
    CHECK(sanitize_name(".") == "attachment");
    CHECK(sanitize_name("") == "attachment");
    CHECK(sanitize_name(".bashrc") == "bashrc");
    CHECK(sanitize_name("-rf") == "rf");
    CHECK(sanitize_name("CON") == "_CON");
    CHECK(sanitize_name("con.txt") == "_con.txt");
    CHECK(sanitize_name("lpt1") == "_lpt1");
    CHECK(sanitize_name("console.txt") == "console.txt");
    CHECK(sanitize_name("a\nb") == "a_b");
    CHECK(sanitize_name("tab\there") == "tab_here");
    CHECK(sanitize_name(std::string("nul\0byte", 8)) == "nul_byte");
    CHECK(sanitize_name("photo\u202Egpj.exe") == "photo_gpj.exe");
    CHECK(sanitize_name("C:\\Windows\\x") == "C__Windows_x");
    CHECK(sanitize_name("trailing. . ") == "trailing");
    CHECK(sanitize_name("사진 1.jpg") == "사진 1.jpg");
    CHECK(sanitize_name("报告.pdf") == "报告.pdf");
    CHECK(sanitize_name("\xFF\xFEx") == "__x");
    CHECK(sanitize_name("a\u3164b") == "a_b");      // Hangul filler, invisible
    CHECK(sanitize_name("a\u00ADb") == "a_b");      // soft hyphen
    CHECK(sanitize_name("a\U000E0041b") == "a_b");  // tag character
    CHECK(sanitize_name("con .txt") == "_con .txt");
    CHECK(sanitize_name("COM\u00B9.txt") == "_COM\u00B9.txt");
}

TEST_CASE("long names are cut on a character boundary and keep their extension", "[safe_name]") {
    const std::string korean_long = std::string(3000, 'a') + ".jpg";
    const std::string cut = sanitize_name(korean_long);
    CHECK(cut.size() == safe_name_max_bytes);
    CHECK(cut.ends_with(".jpg"));

    std::string wide;
    for (int i = 0; i < 4000; ++i) wide += "가";  // 12 KB of three-byte characters
    const std::string cut_wide = sanitize_name(wide);
    CHECK(cut_wide.size() <= safe_name_max_bytes);
    CHECK(tipline::crypto::is_valid_utf8(cut_wide));
}

TEST_CASE("every byte value and many odd shapes give a safe name", "[safe_name]") {
    for (int b = 0; b < 256; ++b) {
        check_safe(sanitize_name(std::string(1, static_cast<char>(b))));
        check_safe(sanitize_name(std::string(1, static_cast<char>(b)) + "x"));
        check_safe(sanitize_name("x" + std::string(3, static_cast<char>(b))));
    }
    for (const char* s : {"...", "- -", " .", "\u200B", "\u2066x\u2069", "CON.", "aux.tar.gz"})
        check_safe(sanitize_name(s));
}

TEST_CASE("the allocator keeps names unique ignoring case and avoids reserved names",
          "[safe_name]") {
    NameAllocator names({"message.txt", "info.txt"});
    CHECK(names.claim("Message.TXT") == "Message (2).TXT");
    CHECK(names.claim("dup.jpg") == "dup.jpg");
    CHECK(names.claim("DUP.jpg") == "DUP (2).jpg");
    CHECK(names.claim("dup.jpg") == "dup (3).jpg");
    CHECK(names.claim("") == "attachment");
    CHECK(names.claim("..") == "attachment (2)");
}
