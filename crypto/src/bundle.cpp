// Bundle manifest encoding and strict decoding.
#include "tipline/crypto/bundle.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <set>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/labels.hpp"
#include "tipline/crypto/padding.hpp"

namespace tipline::crypto {

void write_bundle_manifest(ByteSink& out, std::span<const BundleEntry> entries) {
    std::vector<unsigned char> bytes;
    bytes.reserve(bundle_preamble_size + entries.size() * bundle_entry_size);
    put_bytes(bytes, labels::bundle_magic);
    put_u16(bytes, labels::bundle_version);
    put_u32(bytes, static_cast<std::uint32_t>(entries.size()));
    for (const BundleEntry& e : entries) {
        put_bytes(bytes, e.id);
        put_u32(bytes, e.day);
        put_u64(bytes, e.size);
    }
    out.write(bytes);
}

std::error_code read_bundle_manifest(ByteSource& in, std::uint64_t file_size,
                                     std::vector<BundleEntry>& out) {
    unsigned char pre[bundle_preamble_size];
    const std::size_t got = read_fully(in, pre);
    const auto magic = as_bytes(labels::bundle_magic);
    if (std::memcmp(pre, magic.data(), std::min(got, magic.size())) != 0) return Error::malformed;
    if (got < bundle_preamble_size) return Error::truncated;
    if (get_u16(std::span(pre).subspan<8, 2>()) != labels::bundle_version)
        return Error::unsupported_version;
    const std::uint32_t count = get_u32(std::span(pre).subspan<10, 4>());
    if (count > bundle_max_entries) return Error::malformed;

    // Smallest possible envelope: one stanza and the minimum padded payload in one chunk.
    const std::uint64_t min_envelope = EnvelopeHeader{1, min_padded_length}.total_size();
    std::vector<BundleEntry> entries;
    entries.reserve(count);
    std::set<std::array<unsigned char, 16>> seen;
    std::uint64_t total = bundle_preamble_size + std::uint64_t{count} * bundle_entry_size;
    for (std::uint32_t i = 0; i < count; ++i) {
        unsigned char raw[bundle_entry_size];
        if (read_fully(in, raw) < bundle_entry_size) return Error::truncated;
        BundleEntry e;
        std::memcpy(e.id.data(), raw, e.id.size());
        e.day = get_u32(std::span(raw).subspan<16, 4>());
        e.size = get_u64(std::span(raw).subspan<20, 8>());
        if (e.size < min_envelope || e.size > bundle_max_envelope_size ||
            !seen.insert(e.id).second) {
            return Error::malformed;
        }
        total += e.size;
        entries.push_back(e);
    }
    if (file_size != 0 && total != file_size)
        return total > file_size ? Error::truncated : Error::malformed;
    out = std::move(entries);
    return {};
}

std::size_t LimitedSource::read(std::span<unsigned char> out) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), left_));
    const std::size_t got = in_.read(out.first(n));
    left_ -= got;
    return got;
}

bool LimitedSource::skip_rest() {
    unsigned char scratch[4096];
    while (left_ > 0) {
        if (read(std::span(scratch, static_cast<std::size_t>(
                                        std::min<std::uint64_t>(left_, sizeof scratch)))) == 0) {
            return false;
        }
    }
    return true;
}

}  // namespace tipline::crypto
