// FdSource and FdSink: full reads and writes, retried on EINTR.
#include "tipline/crypto/fd_stream.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tipline::crypto {

std::size_t FdSource::read(std::span<unsigned char> out) {
    std::size_t total = 0;
    while (total < out.size()) {
        const ssize_t n = ::read(fd_, out.data() + total, out.size() - total);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "cannot read " + what_);
        }
        if (n == 0) break;
        total += static_cast<std::size_t>(n);
    }
    return total;
}

void FdSink::write(std::span<const unsigned char> bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "cannot write " + what_);
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
}

}  // namespace tipline::crypto
