// ByteSource and ByteSink over POSIX file descriptors they do not own, for files, pipes and
// sockets.
#pragma once

#include <span>
#include <string>

#include "tipline/crypto/stream.hpp"

namespace tipline::crypto {

// I/O errors throw std::system_error whose text names what ("cannot read 'tip.env'").
class FdSource final : public ByteSource {
  public:
    FdSource(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
    std::size_t read(std::span<unsigned char> out) override;

  private:
    int fd_;
    std::string what_;
};

class FdSink final : public ByteSink {
  public:
    FdSink(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
    void write(std::span<const unsigned char> bytes) override;

  private:
    int fd_;
    std::string what_;
};

}  // namespace tipline::crypto
