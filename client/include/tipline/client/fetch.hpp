// A responder's fetch: many stored items into one bundle, asked for in batches the responder API
// takes, and the acknowledgement of them afterwards, in batches too.
#pragma once

#include <cstdint>
#include <span>

#include "tipline/client/responder_client.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/protocol/names.hpp"

namespace tipline::client {

struct FetchBatches {
    // Items asked for in one bundle request, in bytes of envelope. An item larger than this comes
    // alone, in ranges of this size.
    std::uint64_t bytes = 32 * 1024 * 1024;
    // Items in one bundle or acknowledgement request: the responder API's limit.
    std::size_t items = protocol::max_items_per_request;
};

// Writes one bundle (FORMAT.md section 11) of these items, in this order, to out. The envelopes
// wait in an anonymous temporary file until the manifest, which comes first, is known. A server
// that answers with a damaged bundle, or with other items than asked for, is an error (exit 2) and
// nothing more is written.
void fetch_bundle(ResponderClient& api, std::span<const ResponderItem> items, crypto::ByteSink& out,
                  const FetchBatches& batches = {});

// Marks these items fetched, or deletes them; returns how many the server found. Keeps in
// *acknowledged how many of items the server has answered for, and stops between two requests
// with Interrupted once a caught signal (interrupt.hpp) has arrived.
std::uint64_t acknowledge_items(ResponderClient& api, std::span<const ResponderItem> items,
                                bool delete_items, const FetchBatches& batches = {},
                                std::size_t* acknowledged = nullptr);

}  // namespace tipline::client
