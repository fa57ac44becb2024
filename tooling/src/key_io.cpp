// Passphrase input (file, descriptor or terminal with echo off) and key loading.
#include "tipline/tooling/key_io.hpp"

#include <fcntl.h>
#include <libintl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "tipline/crypto/errors.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::tooling {
namespace {

// Where a passphrase is read from, for the messages about it: each message is written whole for
// each place, never put together from pieces.
struct LineOrigin {
    enum Kind { terminal, file, descriptor } kind = terminal;
    std::string name;  // the file's path, or the descriptor's number
};

std::string unreadable_passphrase_message(const LineOrigin& from, const std::string& error) {
    switch (from.kind) {
        case LineOrigin::file:
            return fill_placeholders(::gettext("cannot read the passphrase from '{file}': {error}"),
                                     {{"file", from.name}, {"error", error}});
        case LineOrigin::descriptor:
            return fill_placeholders(
                // TRANSLATORS: {descriptor} is the number given with --passphrase-fd.
                ::gettext("cannot read the passphrase from descriptor {descriptor}: {error}"),
                {{"descriptor", from.name}, {"error", error}});
        case LineOrigin::terminal:
            break;
    }
    return fill_placeholders(::gettext("cannot read the passphrase from the terminal: {error}"),
                             {{"error", error}});
}

std::string passphrase_too_long_message(const LineOrigin& from) {
    switch (from.kind) {
        case LineOrigin::file:
            return fill_placeholders(
                ::gettext("the passphrase from '{file}' is longer than 1024 bytes"),
                {{"file", from.name}});
        case LineOrigin::descriptor:
            return fill_placeholders(
                // TRANSLATORS: {descriptor} is the number given with --passphrase-fd.
                ::gettext("the passphrase from descriptor {descriptor} is longer than 1024 bytes"),
                {{"descriptor", from.name}});
        case LineOrigin::terminal:
            break;
    }
    return ::gettext("the passphrase from the terminal is longer than 1024 bytes");
}

std::string passphrase_empty_message(const LineOrigin& from) {
    switch (from.kind) {
        case LineOrigin::file:
            return fill_placeholders(::gettext("the passphrase from '{file}' is empty"),
                                     {{"file", from.name}});
        case LineOrigin::descriptor:
            return fill_placeholders(
                // TRANSLATORS: {descriptor} is the number given with --passphrase-fd.
                ::gettext("the passphrase from descriptor {descriptor} is empty"),
                {{"descriptor", from.name}});
        case LineOrigin::terminal:
            break;
    }
    return ::gettext("the passphrase from the terminal is empty");
}

// Reads one line into secure memory, one byte at a time so nothing past the newline is consumed.
// The limit counts the passphrase, not its line break: room is kept for the \r of a Windows line.
crypto::SecretBuffer read_line(int fd, const LineOrigin& from) {
    crypto::SecretBuffer buffer(max_passphrase_size + 1);
    std::size_t length = 0;
    bool newline = false;
    for (;;) {
        unsigned char c = 0;
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) io_error(unreadable_passphrase_message(from, std::strerror(errno)));
        if (n == 0) break;
        if (c == '\n') {
            newline = true;
            break;
        }
        if (length == buffer.size()) usage_error(passphrase_too_long_message(from));
        buffer.data()[length++] = c;
    }
    if (newline && length > 0 && buffer.data()[length - 1] == '\r')
        --length;  // a line from Windows
    if (length > max_passphrase_size) usage_error(passphrase_too_long_message(from));
    if (length == 0) usage_error(passphrase_empty_message(from));
    return crypto::SecretBuffer::copy_of(buffer.span().first(length));
}

class EchoOff {
  public:
    explicit EchoOff(int fd) : fd_(fd) {
        if (::tcgetattr(fd_, &saved_) != 0) return;
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
    ~EchoOff() {
        if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

  private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

crypto::SecretBuffer ask(int tty, std::string_view prompt) {
    (void)!::write(tty, prompt.data(), prompt.size());
    crypto::SecretBuffer answer = [&] {
        EchoOff quiet(tty);
        return read_line(tty, {LineOrigin::terminal, {}});
    }();
    (void)!::write(tty, "\n", 1);
    return answer;
}

}  // namespace

crypto::SecretBuffer obtain_passphrase(const PassphraseSource& source, std::string_view prompt,
                                       bool confirm) {
    if (!source.file.empty()) {
        UniqueFd fd = open_for_reading(source.file);
        return read_line(fd.get(), {LineOrigin::file, source.file.string()});
    }
    if (source.fd >= 0)
        return read_line(source.fd, {LineOrigin::descriptor, std::to_string(source.fd)});

    UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!tty) {
        usage_error(::gettext("no terminal to ask for the passphrase on"),
                    {::gettext("give it with --passphrase-file F or --passphrase-fd N")});
    }
    crypto::SecretBuffer first = ask(tty.get(), prompt);
    if (confirm) {
        // TRANSLATORS: a prompt on the terminal; the passphrase is typed after it, unseen.
        crypto::SecretBuffer again = ask(tty.get(), ::gettext("Repeat the passphrase: "));
        if (again.size() != first.size() ||
            std::memcmp(again.data(), first.data(), first.size()) != 0) {
            usage_error(::gettext("the two passphrases differ"));
        }
    }
    return first;
}

namespace {

crypto::SecretIdentity open_key_file(const std::filesystem::path& path,
                                     const PassphraseSource& source) {
    const std::vector<unsigned char> file = read_small_file(path, max_key_file_size);
    const crypto::SecretBuffer passphrase =
        // TRANSLATORS: a prompt on the terminal; the passphrase is typed after it, unseen.
        obtain_passphrase(source, ::gettext("Passphrase for the key: "), false);
    crypto::SecretIdentity identity;
    if (auto ec = crypto::open_secret_key_file(file, passphrase.span(), identity)) {
        if (ec == crypto::Error::authentication_failed) {
            throw ToolError(
                exit_verification_failure,
                fill_placeholders(::gettext("cannot unlock '{file}'"), {{"file", path.string()}}),
                {::gettext("the passphrase is wrong, or the key file was altered")});
        }
        // TRANSLATORS: followed by ": " and what is wrong with the file.
        open_failure(fill_placeholders(::gettext("cannot read key file '{file}'"),
                                       {{"file", path.string()}}),
                     ec);
    }
    return identity;
}

// The key text itself, or the trimmed contents of the file it names.
std::string key_text(std::string_view text_or_path, std::string_view family) {
    std::string text(text_or_path);
    if (text.starts_with(family)) return text;
    const auto bytes = read_small_file(std::string(text_or_path), max_key_file_size);
    text.assign(bytes.begin(), bytes.end());
    const auto end = text.find_last_not_of(" \t\r\n");
    text.erase(end == std::string::npos ? 0 : end + 1);
    const auto begin = text.find_first_not_of(" \t\r\n");
    text.erase(0, begin == std::string::npos ? text.size() : begin);
    return text;
}

}  // namespace

crypto::SecretIdentity load_secret_key(const std::filesystem::path& path,
                                       const PassphraseSource& source) {
    crypto::SecretIdentity identity = open_key_file(path, source);
    if (identity.contents == crypto::KeyFileContents::organisation) {
        usage_error(
            fill_placeholders(::gettext("'{file}' is the organisation's key, not a "
                                        "responder's"),
                              {{"file", path.string()}}),
            {::gettext("it signs the list of responders only: 'tipline-responder org sign'")});
    }
    return identity;
}

crypto::SecretIdentity load_organisation_key(const std::filesystem::path& path,
                                             const PassphraseSource& source) {
    crypto::SecretIdentity identity = open_key_file(path, source);
    if (identity.contents != crypto::KeyFileContents::organisation) {
        usage_error(fill_placeholders(::gettext("'{file}' is a responder's key, not the "
                                                "organisation's"),
                                      {{"file", path.string()}}),
                    {::gettext("make the organisation key once with 'tipline-responder org "
                               "keygen'")});
    }
    return identity;
}

crypto::OrganisationKey load_organisation_public_key(std::string_view text_or_path) {
    const std::string text = key_text(text_or_path, "tipline-org");
    crypto::OrganisationKey key;
    if (auto ec = crypto::decode_organisation_key(text, key)) {
        // TRANSLATORS: {key} is what was given: the key's text or a file's path, cut at 64 bytes.
        usage_error(fill_placeholders(::gettext("'{key}' is not a valid organisation key: {error}"),
                                      {{"key", std::string(text_or_path).substr(0, 64)},
                                       {"error", ec.message()}}),
                    {::gettext("an organisation key is one line starting with tipline-org1-, as "
                               "written by 'tipline-responder org keygen' to PATH.pub")});
    }
    return key;
}

crypto::PublicIdentity load_public_key(std::string_view text_or_path) {
    const std::string text = key_text(text_or_path, "tipline-pk");
    crypto::PublicIdentity identity;
    if (auto ec = crypto::decode_public_key(text, identity)) {
        usage_error(
            fill_placeholders(
                // TRANSLATORS: {key} is what was given: the key's text or a file's path, cut at
                // 64 bytes.
                ::gettext("'{key}' is not a valid tipline public key: {error}"),
                {{"key", std::string(text_or_path).substr(0, 64)}, {"error", ec.message()}}),
            {::gettext("a public key is one line starting with tipline-pk1-, as written by "
                       "'tipline-responder keygen' to PATH.pub")});
    }
    return identity;
}

}  // namespace tipline::tooling
