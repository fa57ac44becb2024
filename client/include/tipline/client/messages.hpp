// The tools in their users' languages: tipline-submit's and tipline-responder's own fixed messages
// go through GNU gettext (glibc's libintl) and their catalogs in po/, Korean and Simplified Chinese
// today. Only fixed text is translated: what a server or a file says is never looked up, and is
// escaped as before (display_text.hpp).
//
// Until init_messages runs, and in the programs that never call it (tiplined, the tests), the
// locale stays "C" and every message is its English original.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

// The gettext domains, and the names of the catalogs: LOCALEDIR/LANG/LC_MESSAGES/DOMAIN.mo.
inline constexpr const char* message_domain = "tipline-submit";
inline constexpr const char* responder_message_domain = "tipline-responder";

// Called first in a tool's main, with its domain. Sets the locale from the environment; when that
// locale is not installed (setlocale fails, as it does for ko_KR.UTF-8 on a system that has only
// C.UTF-8), falls back to C.UTF-8 and lets gettext choose the catalog by LANGUAGE, which it sets
// from LC_ALL, LC_MESSAGES or LANG when unset (gettext_languages). Numbers stay in the C locale's
// form. Binds the domain to message_locale_dir() with UTF-8 output.
void init_messages(const char* domain = message_domain);

// Where the catalogs are: BUILD/locale for a tool run from a build tree (BUILD/client/NAME, beside
// BUILD/CMakeCache.txt, found through /proc/self/exe), the installed CMAKE_INSTALL_LOCALEDIR
// otherwise.
std::string message_locale_dir();

// The value for gettext's LANGUAGE list, from the environment's LANGUAGE, LC_ALL, LC_MESSAGES and
// LANG (null or empty when unset): LANGUAGE when set, else the first of the others that is set.
// Each entry is written as gettext looks catalogs up ("ko-KR" becomes "ko_KR"), and the names of
// Simplified Chinese (zh, zh_CN, zh_SG, zh_Hans, zh-Hans-CN, ...) become zh_CN, the name of that
// catalog; Traditional Chinese (zh_TW, zh_HK, zh_MO, zh_Hant) is left as it is and so finds no
// catalog. Empty when nothing is asked, or the C or POSIX locale is.
std::string gettext_languages(const char* language, const char* lc_all, const char* lc_messages,
                              const char* lang);

// A fixed message in the chosen language, from the domain init_messages bound (its English original
// when there is no translation).
// xgettext finds the messages by this name (po/README.md).
std::string tr(const char* message);

// Marks a message for xgettext where it cannot be translated yet (a constant): tr(it) translates it
// where it is shown.
constexpr const char* tr_noop(const char* message) { return message; }

// A placeholder's name, without braces, and the text it stands for.
using MessageArg = std::pair<std::string_view, std::string_view>;

// tr, then each {name} of args replaced by its text, wherever the translation puts it. Names not
// in args are left as they are; a value is never searched for placeholders itself.
std::string tr(const char* message, std::initializer_list<MessageArg> args);

// The substitution tr does, on any text: for tests, and for text already translated. It is
// tooling's, which the tools' shared code (key files, careful files) uses with gettext().
using tooling::fill_placeholders;

}  // namespace tipline::client
