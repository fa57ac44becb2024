// The resume file: a fixed header, then the envelope. The header is rewritten in place only to add
// the key.
#include "tipline/client/resume_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tipline/client/messages.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys
namespace {

constexpr std::size_t receipt_at = 10;
constexpr std::size_t key_at = 30;
constexpr std::size_t key_size = 32;
constexpr std::size_t length_at = 62;

void pwrite_all(int fd, std::span<const unsigned char> bytes, std::size_t at,
                const std::filesystem::path& path) {
    if (::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at)) !=
        static_cast<ssize_t>(bytes.size())) {
        io_error(tr("cannot write '{file}': {error}",
                    {{"file", path.string()}, {"error", std::strerror(errno)}}));
    }
}

}  // namespace

UniqueFd create_resume_file(const std::filesystem::path& path,
                            std::span<const unsigned char> receipt, std::uint64_t envelope_length) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) {
        io_error(tr("cannot create '{file}': {error}",
                    {{"file", path.string()}, {"error", std::strerror(errno)}}));
    }
    crypto::SecretBuffer header(resume_header_size);
    std::fill(header.data(), header.data() + header.size(), static_cast<unsigned char>(0));
    const auto magic = crypto::as_bytes(crypto::labels::resume_file_magic);
    std::copy(magic.begin(), magic.end(), header.data());
    header.data()[8] = static_cast<unsigned char>(crypto::labels::resume_file_version >> 8);
    header.data()[9] = static_cast<unsigned char>(crypto::labels::resume_file_version & 0xFF);
    if (receipt.size() != 20) throw std::invalid_argument("a receipt is 20 digits");
    std::copy(receipt.begin(), receipt.end(), header.data() + receipt_at);
    crypto::store_u64(std::span<unsigned char, 8>(header.data() + length_at, 8), envelope_length);
    pwrite_all(fd.get(), header.span(), 0, path);
    if (::lseek(fd.get(), static_cast<off_t>(resume_header_size), SEEK_SET) < 0)
        io_error(tr("cannot seek in '{file}'", {{"file", path.string()}}));
    return fd;
}

void finish_resume_file(int fd, const std::filesystem::path& path) {
    fsync_or_throw(fd, "'" + path.string() + "'");
    fsync_directory(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path());
}

void record_upload_key(int fd, const std::filesystem::path& path, const std::string& key) {
    if (key.size() != key_size) io_error(tr("the server's upload key is not 32 hex digits"));
    pwrite_all(fd, {reinterpret_cast<const unsigned char*>(key.data()), key.size()}, key_at, path);
    fsync_or_throw(fd, "'" + path.string() + "'");
}

std::error_code read_resume_file(int fd, ResumeState& out) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return crypto::Error::truncated;
    crypto::SecretBuffer header(resume_header_size);
    const ssize_t n = ::pread(fd, header.data(), header.size(), 0);
    const auto magic = crypto::as_bytes(crypto::labels::resume_file_magic);
    if (n < 8)
        return n > 0 && std::equal(header.data(), header.data() + n, magic.begin())
                   ? crypto::Error::truncated
                   : crypto::Error::malformed;
    if (!std::equal(magic.begin(), magic.end(), header.data())) return crypto::Error::malformed;
    if (static_cast<std::size_t>(n) < resume_header_size) return crypto::Error::truncated;
    // The file's version is its receipt's: one written before receipts of version 2 goes on
    // with a receipt of version 1.
    const int version = (header.data()[8] << 8) | header.data()[9];
    if (version != 1 && version != crypto::labels::resume_file_version)
        return crypto::Error::unsupported_version;
    for (std::size_t i = 0; i < 20; ++i) {
        if (header.data()[receipt_at + i] < '0' || header.data()[receipt_at + i] > '9')
            return crypto::Error::malformed;
    }
    std::string key(reinterpret_cast<const char*>(header.data() + key_at), key_size);
    if (key == std::string(key_size, '\0')) {
        key.clear();
    } else if (key.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return crypto::Error::malformed;
    }
    const std::uint64_t length =
        crypto::get_u64(std::span<const unsigned char, 8>(header.data() + length_at, 8));
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < resume_header_size + length) return crypto::Error::truncated;
    if (size > resume_header_size + length) return crypto::Error::malformed;
    out.receipt = crypto::SecretBuffer(20);
    std::copy(header.data() + receipt_at, header.data() + receipt_at + 20, out.receipt.data());
    out.upload_key = std::move(key);
    out.receipt_kdf = version == 1 ? crypto::ReceiptKdf::v1 : crypto::ReceiptKdf::v2;
    out.envelope_length = length;
    return {};
}

}  // namespace tipline::client
