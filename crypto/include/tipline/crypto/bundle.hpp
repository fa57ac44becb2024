// Export bundles: many envelopes in one file with a manifest, carried from the server to the
// offline machine.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "tipline/crypto/days.hpp"  // a manifest day is days since 1970-01-01, UTC
#include "tipline/crypto/stream.hpp"

namespace tipline::crypto {

inline constexpr std::size_t bundle_preamble_size = 8 + 2 + 4;
inline constexpr std::size_t bundle_entry_size = 16 + 4 + 8;
inline constexpr std::uint32_t bundle_max_entries = 1000000;
inline constexpr std::uint64_t bundle_max_envelope_size = std::uint64_t{1} << 41;

struct BundleEntry {
    std::array<unsigned char, 16> id{};
    std::uint32_t day = 0;   // days since the Unix epoch, UTC, when the server received it
    std::uint64_t size = 0;  // envelope bytes
    bool operator==(const BundleEntry&) const = default;
};

// Writes the preamble and manifest; the caller then writes each envelope, in manifest order.
void write_bundle_manifest(ByteSink& out, std::span<const BundleEntry> entries);

// Reads and checks the preamble and manifest. When the total file size is known (it is for a file)
// the manifest must account for it exactly, so a manifest that lies about sizes is refused at once.
std::error_code read_bundle_manifest(ByteSource& in, std::uint64_t file_size,
                                     std::vector<BundleEntry>& out);

// A view of the next n bytes of a source, for reading one envelope out of a bundle.
class LimitedSource final : public ByteSource {
  public:
    LimitedSource(ByteSource& in, std::uint64_t limit) : in_(in), left_(limit) {}
    std::size_t read(std::span<unsigned char> out) override;
    // Reads and drops what the consumer left; returns false when the source ended first.
    bool skip_rest();

  private:
    ByteSource& in_;
    std::uint64_t left_;
};

}  // namespace tipline::crypto
