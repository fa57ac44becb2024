// Batching for the responder's fetch: bundles of at most FetchBatches::bytes and ::items, and
// ranges for an envelope larger than one batch.
#include "tipline/client/fetch.hpp"

#include <unistd.h>

#include <algorithm>
#include <vector>

#include "tipline/client/interrupt.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/client/progress.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::client {
namespace {

// Collects the envelopes of a bundle in a scratch file and its manifest in memory.
class BundleBuilder {
  public:
    BundleBuilder()
        : scratch_(tooling::anonymous_temp_file()),
          // TRANSLATORS: fills "cannot write {what}" and similar messages.
          envelopes_(scratch_.get(), tr("a temporary file")) {}

    // A bundle the server sent for these refs: its envelopes are kept, its manifest appended.
    void add_bundle(std::span<const unsigned char> part, std::size_t asked) {
        crypto::MemorySource in(part);
        std::vector<crypto::BundleEntry> got;
        if (crypto::read_bundle_manifest(in, part.size(), got) || got.size() != asked)
            tooling::io_error(tr("the server sent a damaged bundle"));
        envelopes_.write(
            part.subspan(crypto::bundle_preamble_size + crypto::bundle_entry_size * got.size()));
        entries_.insert(entries_.end(), got.begin(), got.end());
    }

    // One item too large for a bundle, fetched in ranges of at most range_bytes.
    void add_in_ranges(ResponderClient& api, const ResponderItem& item, std::uint64_t range_bytes) {
        crypto::BundleEntry entry;
        const auto day = crypto::parse_day(item.day);
        if (!crypto::from_hex(item.id, entry.id) || !day || *day < 0)
            tooling::io_error(tr("the server listed an item that is not valid"));
        entry.day = static_cast<std::uint32_t>(*day);
        entry.size = item.size;
        for (std::uint64_t offset = 0; offset < item.size;) {
            const auto part =
                api.envelope_range(item.ref, offset, std::min(range_bytes, item.size - offset));
            if (part.empty() || part.size() > item.size - offset)
                tooling::io_error(tr("the server sent a range of an envelope that does not fit"));
            envelopes_.write(part);
            offset += part.size();
        }
        entries_.push_back(entry);
    }

    void write_to(crypto::ByteSink& out) {
        crypto::write_bundle_manifest(out, entries_);
        if (::lseek(scratch_.get(), 0, SEEK_SET) != 0)
            tooling::io_error(tr("cannot read back a temporary file"));
        tooling::FdSource copy(scratch_.get(), tr("a temporary file"));
        std::vector<unsigned char> buffer(1 << 16);
        for (std::size_t n; (n = copy.read(buffer)) > 0;) out.write(std::span(buffer).first(n));
    }

  private:
    tooling::UniqueFd scratch_;
    tooling::FdSink envelopes_;
    std::vector<crypto::BundleEntry> entries_;
};

}  // namespace

void fetch_bundle(ResponderClient& api, std::span<const ResponderItem> items, crypto::ByteSink& out,
                  const FetchBatches& batches) {
    BundleBuilder bundle;
    std::vector<std::int64_t> batch;
    std::uint64_t batch_bytes = 0, total = 0, done = 0;
    for (const ResponderItem& item : items) total += item.size;
    // TRANSLATORS: a progress line's first word, "fetching 40% of 12.5 MB": downloading the
    // stored items from the server.
    ProgressLine line(tr("fetching"), total);
    const auto flush = [&] {
        if (batch.empty()) return;
        bundle.add_bundle(api.bundle(batch), batch.size());
        done += batch_bytes;
        line.update(done);
        batch.clear();
        batch_bytes = 0;
    };
    for (const ResponderItem& item : items) {
        if (item.size > batches.bytes) {
            flush();  // the items before it stay first
            bundle.add_in_ranges(api, item, batches.bytes);
            done += item.size;
            line.update(done);
            continue;
        }
        if (batch_bytes + item.size > batches.bytes || batch.size() == batches.items) flush();
        batch.push_back(item.ref);
        batch_bytes += item.size;
    }
    flush();
    bundle.write_to(out);
}

std::uint64_t acknowledge_items(ResponderClient& api, std::span<const ResponderItem> items,
                                bool delete_items, const FetchBatches& batches,
                                std::size_t* acknowledged) {
    std::vector<std::int64_t> refs;
    for (const ResponderItem& i : items) refs.push_back(i.ref);
    std::uint64_t found = 0;
    for (std::size_t at = 0; at < refs.size(); at += batches.items) {
        if (at > 0) stop_if_interrupted();  // between requests: each batch is done or not begun
        const std::size_t n = std::min(batches.items, refs.size() - at);
        found += api.acknowledge(std::span(refs).subspan(at, n), delete_items);
        if (acknowledged != nullptr) *acknowledged = at + n;
    }
    return found;
}

}  // namespace tipline::client
