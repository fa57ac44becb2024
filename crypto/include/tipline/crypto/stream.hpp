// Byte sources and sinks that sealing and opening stream through, so memory stays constant for any
// size.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace tipline::crypto {

class ByteSource {
  public:
    virtual ~ByteSource() = default;
    // Fills out completely unless the source ends first; returns the count read (0 at the end).
    // Throws std::system_error on an I/O failure.
    virtual std::size_t read(std::span<unsigned char> out) = 0;
};

class ByteSink {
  public:
    virtual ~ByteSink() = default;
    // Takes every byte or throws std::system_error.
    virtual void write(std::span<const unsigned char> bytes) = 0;
};

class MemorySource final : public ByteSource {
  public:
    explicit MemorySource(std::span<const unsigned char> bytes) noexcept : bytes_(bytes) {}
    std::size_t read(std::span<unsigned char> out) override;

  private:
    std::span<const unsigned char> bytes_;
};

class VectorSink final : public ByteSink {
  public:
    void write(std::span<const unsigned char> bytes) override;
    std::vector<unsigned char>& bytes() noexcept { return bytes_; }

  private:
    std::vector<unsigned char> bytes_;
};

// Reads until out is full or the source ends, for sources that return short counts.
std::size_t read_fully(ByteSource& source, std::span<unsigned char> out);

}  // namespace tipline::crypto
