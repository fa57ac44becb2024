// In-memory ByteSource and ByteSink.
#include "tipline/crypto/stream.hpp"

#include <algorithm>
#include <cstring>

namespace tipline::crypto {

std::size_t MemorySource::read(std::span<unsigned char> out) {
    const std::size_t n = std::min(out.size(), bytes_.size());
    if (n > 0) std::memcpy(out.data(), bytes_.data(), n);
    bytes_ = bytes_.subspan(n);
    return n;
}

void VectorSink::write(std::span<const unsigned char> bytes) {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

std::size_t read_fully(ByteSource& source, std::span<unsigned char> out) {
    std::size_t total = 0;
    while (total < out.size()) {
        const std::size_t n = source.read(out.subspan(total));
        if (n == 0) break;
        total += n;
    }
    return total;
}

}  // namespace tipline::crypto
