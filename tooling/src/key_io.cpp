// Passphrase input (file, descriptor or terminal with echo off) and key loading.
#include "tipline/tooling/key_io.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tipline/crypto/errors.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::tooling {
namespace {

// Reads one line into secure memory, one byte at a time so nothing past the newline is consumed.
// The limit counts the passphrase, not its line break: room is kept for the \r of a Windows line.
crypto::SecretBuffer read_line(int fd, const std::string& what) {
    crypto::SecretBuffer buffer(max_passphrase_size + 1);
    std::size_t length = 0;
    bool newline = false;
    for (;;) {
        unsigned char c = 0;
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            io_error("cannot read the passphrase from " + what + ": " + std::strerror(errno));
        if (n == 0) break;
        if (c == '\n') {
            newline = true;
            break;
        }
        if (length == buffer.size())
            usage_error("the passphrase from " + what + " is longer than 1024 bytes");
        buffer.data()[length++] = c;
    }
    if (newline && length > 0 && buffer.data()[length - 1] == '\r')
        --length;  // a line from Windows
    if (length > max_passphrase_size)
        usage_error("the passphrase from " + what + " is longer than 1024 bytes");
    if (length == 0) usage_error("the passphrase from " + what + " is empty");
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
        return read_line(tty, "the terminal");
    }();
    (void)!::write(tty, "\n", 1);
    return answer;
}

}  // namespace

crypto::SecretBuffer obtain_passphrase(const PassphraseSource& source, std::string_view prompt,
                                       bool confirm) {
    if (!source.file.empty()) {
        UniqueFd fd = open_for_reading(source.file);
        return read_line(fd.get(), "'" + source.file.string() + "'");
    }
    if (source.fd >= 0) return read_line(source.fd, "descriptor " + std::to_string(source.fd));

    UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!tty) {
        usage_error("no terminal to ask for the passphrase on",
                    {"give it with --passphrase-file F or --passphrase-fd N"});
    }
    crypto::SecretBuffer first = ask(tty.get(), prompt);
    if (confirm) {
        crypto::SecretBuffer again = ask(tty.get(), "Repeat the passphrase: ");
        if (again.size() != first.size() ||
            std::memcmp(again.data(), first.data(), first.size()) != 0) {
            usage_error("the two passphrases differ");
        }
    }
    return first;
}

namespace {

crypto::SecretIdentity open_key_file(const std::filesystem::path& path,
                                     const PassphraseSource& source) {
    const std::vector<unsigned char> file = read_small_file(path, max_key_file_size);
    const crypto::SecretBuffer passphrase =
        obtain_passphrase(source, "Passphrase for the key: ", false);
    crypto::SecretIdentity identity;
    if (auto ec = crypto::open_secret_key_file(file, passphrase.span(), identity)) {
        if (ec == crypto::Error::authentication_failed) {
            throw ToolError(exit_verification_failure, "cannot unlock '" + path.string() + "'",
                            {"the passphrase is wrong, or the key file was altered"});
        }
        open_failure("cannot read key file '" + path.string() + "'", ec);
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
        usage_error("'" + path.string() + "' is the organisation's key, not a responder's",
                    {"it signs the list of responders only: 'tipline-responder org sign'"});
    }
    return identity;
}

crypto::SecretIdentity load_organisation_key(const std::filesystem::path& path,
                                             const PassphraseSource& source) {
    crypto::SecretIdentity identity = open_key_file(path, source);
    if (identity.contents != crypto::KeyFileContents::organisation) {
        usage_error("'" + path.string() + "' is a responder's key, not the organisation's",
                    {"make the organisation key once with 'tipline-responder org keygen'"});
    }
    return identity;
}

crypto::OrganisationKey load_organisation_public_key(std::string_view text_or_path) {
    const std::string text = key_text(text_or_path, "tipline-org");
    crypto::OrganisationKey key;
    if (auto ec = crypto::decode_organisation_key(text, key)) {
        usage_error("'" + std::string(text_or_path).substr(0, 64) +
                        "' is not a valid organisation key: " + ec.message(),
                    {"an organisation key is one line starting with tipline-org1-, as written by "
                     "'tipline-responder org keygen' to PATH.pub"});
    }
    return key;
}

crypto::PublicIdentity load_public_key(std::string_view text_or_path) {
    const std::string text = key_text(text_or_path, "tipline-pk");
    crypto::PublicIdentity identity;
    if (auto ec = crypto::decode_public_key(text, identity)) {
        usage_error("'" + std::string(text_or_path).substr(0, 64) +
                        "' is not a valid tipline public key: " + ec.message(),
                    {"a public key is one line starting with tipline-pk1-, as written by "
                     "'tipline-responder keygen' to PATH.pub"});
    }
    return identity;
}

}  // namespace tipline::tooling
