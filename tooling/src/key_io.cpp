// Passphrase input (file, descriptor or terminal with echo off) and key loading.
#include "tipline/tooling/key_io.hpp"

#include <fcntl.h>
#include <libintl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <utility>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::tooling {
namespace {

// Where a passphrase is read from, for the messages about it: each message is written whole for
// each place, never put together from pieces.
struct LineOrigin {
    enum Kind { terminal, file, descriptor, standard_input } kind = terminal;
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
        case LineOrigin::standard_input:
            return fill_placeholders(
                ::gettext("cannot read the passphrase from standard input: {error}"),
                {{"error", error}});
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
        case LineOrigin::standard_input:
            return ::gettext("the passphrase from standard input is longer than 1024 bytes");
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
        case LineOrigin::standard_input:
            return ::gettext("the passphrase from standard input is empty");
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
    if (is_standard_stream(source.file) || source.fd == STDIN_FILENO) {
        claim_standard_input();
        if (::isatty(STDIN_FILENO) == 1) {
            usage_error(::gettext("'-' reads standard input, which is the terminal here"),
                        {::gettext("leave out --passphrase-file and --passphrase-fd to be asked "
                                   "without the passphrase showing")});
        }
        return read_line(STDIN_FILENO, {LineOrigin::standard_input, {}});
    }
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

// FORMAT.md 7.1: a secret key file is exactly this long, and says at this offset what it holds.
constexpr std::size_t secret_key_file_size = 144;
constexpr std::size_t secret_key_contents_offset = 10;

bool starts_with(std::span<const unsigned char> bytes, std::string_view prefix) {
    const auto p = crypto::as_bytes(prefix);
    return bytes.size() >= p.size() && std::equal(p.begin(), p.end(), bytes.begin());
}

// What a file given in place of a key is, as a hint, from its first bytes; empty for a file that is
// none of Tipline's.
std::string what_the_file_is(std::span<const unsigned char> bytes) {
    namespace labels = crypto::labels;
    if (starts_with(bytes, labels::envelope_magic))
        return ::gettext("it is a sealed tip (an envelope): 'tipline-responder open' opens it");
    if (starts_with(bytes, labels::bundle_magic)) {
        return ::gettext(
            "it is a bundle of sealed items: 'tipline-responder open' or 'import' "
            "opens it");
    }
    if (starts_with(bytes, labels::recipient_list_magic))
        return ::gettext("it is a list of responders, signed by the organisation");
    if (starts_with(bytes, labels::reply_file_magic))
        return ::gettext("it is a sealed reply, for 'tipline-responder push'");
    if (starts_with(bytes, labels::team_file_magic))
        return ::gettext("it is the team's shared state, for 'tipline-responder push'");
    if (starts_with(bytes, labels::resume_file_magic))
        return ::gettext("it is the resume file of a tip that 'tipline-submit send' is sending");
    if (starts_with(bytes, labels::store_file_magic))
        return ::gettext("it is a file of the case store");
    // A receipt is a secret: it is looked at where it lies, never copied.
    std::size_t n = bytes.size();
    while (n > 0 && (bytes[n - 1] == '\n' || bytes[n - 1] == '\r')) --n;
    crypto::SecretBuffer digits;
    if (n > 0 && !crypto::parse_receipt({reinterpret_cast<const char*>(bytes.data()), n}, digits))
        return ::gettext("it holds a receipt, which opens a witness's mailbox and is not a key");
    return {};
}

// A file given as a key may be something else that is secret (a receipt): its bytes are wiped
// before the tool stops with a message about it.
[[noreturn]] void refuse_key_file(std::vector<unsigned char>& bytes, std::string message,
                                  std::string hint) {
    sodium_memzero(bytes.data(), bytes.size());
    usage_error(std::move(message), {std::move(hint)});
}

// The file's bytes, once they are known to be a secret key file that can be used as asked: every
// refusal here comes before the passphrase is asked for.
std::vector<unsigned char> read_secret_key_file(const std::filesystem::path& path,
                                                std::optional<KeyUse> responder_use) {
    std::vector<unsigned char> file = read_input_start(path, max_key_file_size);
    const std::string name = path.string();
    const auto magic = crypto::as_bytes(crypto::labels::secret_key_magic);
    const std::size_t head = std::min(file.size(), magic.size());
    if (!std::equal(magic.begin(), magic.begin() + static_cast<std::ptrdiff_t>(head),
                    file.begin())) {
        if (starts_with(file, crypto::labels::public_key_prefix)) {
            refuse_key_file(
                file,
                fill_placeholders(::gettext("'{file}' is a public key file, not a secret key file"),
                                  {{"file", name}}),
                ::gettext("give the secret key file: PATH, not PATH.pub"));
        }
        if (starts_with(file, crypto::labels::organisation_key_prefix)) {
            refuse_key_file(file,
                            fill_placeholders(::gettext("'{file}' is the organisation's public "
                                                        "key, not a secret key file"),
                                              {{"file", name}}),
                            ::gettext("give the secret key file: PATH, not PATH.pub"));
        }
        std::string kind = what_the_file_is(file);
        refuse_key_file(
            file,
            fill_placeholders(::gettext("'{file}' is not a secret key file"), {{"file", name}}),
            kind.empty() ? ::gettext("a secret key file is the one 'tipline-responder keygen' "
                                     "wrote to PATH, beside PATH.pub")
                         : kind);
    }
    if (file.size() != secret_key_file_size) {
        // Cut short or damaged: the format's own checks say how, before any key derivation.
        crypto::SecretIdentity ignored;
        const std::error_code ec = crypto::open_secret_key_file(file, {}, ignored);
        // TRANSLATORS: followed by ": " and what is wrong with the file.
        open_failure(
            fill_placeholders(::gettext("cannot read key file '{file}'"), {{"file", name}}),
            ec ? ec : make_error_code(crypto::Error::malformed));
    }
    const auto contents = static_cast<crypto::KeyFileContents>(file[secret_key_contents_offset]);
    if (responder_use && contents == crypto::KeyFileContents::organisation) {
        usage_error(
            fill_placeholders(::gettext("'{file}' is the organisation's key, not a "
                                        "responder's"),
                              {{"file", name}}),
            {::gettext("it signs the list of responders only: 'tipline-responder org sign'")});
    }
    if (!responder_use && (contents == crypto::KeyFileContents::decrypt_and_sign ||
                           contents == crypto::KeyFileContents::sign_only)) {
        usage_error(fill_placeholders(::gettext("'{file}' is a responder's key, not the "
                                                "organisation's"),
                                      {{"file", name}}),
                    {::gettext("make the organisation key once with 'tipline-responder org "
                               "keygen'")});
    }
    if (responder_use == KeyUse::decrypt && contents == crypto::KeyFileContents::sign_only) {
        usage_error(
            // TRANSLATORS: a signing-only key is the copy of a responder's key for the online
            // computer, made by 'tipline-responder signing-key'.
            fill_placeholders(::gettext("'{file}' is a signing-only key, for the online machine: "
                                        "it cannot decrypt"),
                              {{"file", name}}),
            {::gettext("use the full key file on the offline machine")});
    }
    return file;
}

crypto::SecretIdentity open_key_file(const std::filesystem::path& path,
                                     const PassphraseSource& source,
                                     std::optional<KeyUse> responder_use) {
    const std::vector<unsigned char> file = read_secret_key_file(path, responder_use);
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

// The key text itself, or the trimmed contents of the file it names. A file that holds another
// kind of key or file is refused as such, naming it, before its bytes could be shown.
std::string key_text(std::string_view text_or_path, bool organisation) {
    std::string text(text_or_path);
    if (text.starts_with(organisation ? "tipline-org" : "tipline-pk")) return text;
    auto bytes = read_input_start(std::string(text_or_path), max_key_file_size);
    const std::string name(text_or_path);
    if (starts_with(bytes, crypto::labels::secret_key_magic)) {
        usage_error(fill_placeholders(::gettext("'{file}' is a secret key file, not a public key"),
                                      {{"file", name}}),
                    {::gettext("give the public key, PATH.pub, which was written beside it")});
    }
    if (!organisation && starts_with(bytes, crypto::labels::organisation_key_prefix)) {
        usage_error(
            fill_placeholders(::gettext("'{file}' is the organisation's public key, not a "
                                        "responder's"),
                              {{"file", name}}),
            {::gettext("its fingerprint is printed by 'tipline-responder org fingerprint'")});
    }
    if (organisation && starts_with(bytes, crypto::labels::public_key_prefix)) {
        usage_error(fill_placeholders(::gettext("'{file}' is a responder's public key, not the "
                                                "organisation's"),
                                      {{"file", name}}),
                    {::gettext("its fingerprint is printed by 'tipline-responder fingerprint'")});
    }
    if (std::string kind = what_the_file_is(bytes); !kind.empty()) {
        refuse_key_file(
            bytes, fill_placeholders(::gettext("'{file}' is not a public key"), {{"file", name}}),
            kind);
    }
    if (bytes.size() > max_key_file_size) {
        usage_error(
            fill_placeholders(::gettext("'{file}' is larger than expected"), {{"file", name}}));
    }
    text.assign(bytes.begin(), bytes.end());
    const auto end = text.find_last_not_of(" \t\r\n");
    text.erase(end == std::string::npos ? 0 : end + 1);
    const auto begin = text.find_first_not_of(" \t\r\n");
    text.erase(0, begin == std::string::npos ? text.size() : begin);
    return text;
}

}  // namespace

crypto::SecretIdentity load_secret_key(const std::filesystem::path& path,
                                       const PassphraseSource& source, KeyUse use) {
    // The kind was checked in the file's header, which the passphrase's key authenticates.
    return open_key_file(path, source, use);
}

crypto::SecretIdentity load_organisation_key(const std::filesystem::path& path,
                                             const PassphraseSource& source) {
    return open_key_file(path, source, std::nullopt);
}

crypto::OrganisationKey load_organisation_public_key(std::string_view text_or_path) {
    const std::string text = key_text(text_or_path, true);
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
    const std::string text = key_text(text_or_path, false);
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
