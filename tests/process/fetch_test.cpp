// The responder's fetch batching (client/src/fetch.cpp) against a real tiplined: whatever the
// batch sizes, the bundle it writes is byte for byte the one the server gives for all items at
// once, and every item is acknowledged once.
#include "tipline/client/fetch.hpp"

#include <catch2/catch.hpp>

#include "server_process.hpp"
#include "support.hpp"
#include "tipline/client/http_client.hpp"
#include "tipline/client/responder_client.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/tooling/key_io.hpp"

using namespace tipline;
using test::Deployment;
using test::ServerProcess;

namespace {

// Stores a tip of about content_size bytes; its envelope is padded to a Padmé length.
void store_tip(const ServerProcess& server, const crypto::PublicIdentity& to,
               std::size_t content_size, std::uint32_t seed) {
    const crypto::BoxPublicKey recipients[] = {to.box};
    const test::Bytes envelope =
        test::seal_bytes(recipients, test::pattern_bytes(content_size, seed));
    const std::string raw = test::raw_http(
        server.port(), test::tip_request(test::as_text(envelope), test::proof_line(server.port())));
    REQUIRE(test::status_of(raw) == 201);
}

std::vector<unsigned char> fetched(client::ResponderClient& api,
                                   std::span<const client::ResponderItem> items,
                                   const client::FetchBatches& batches) {
    crypto::VectorSink out;
    client::fetch_bundle(api, items, out, batches);
    return std::move(out.bytes());
}

}  // namespace

TEST_CASE("fetch writes the same bundle whatever its batches, and acknowledges every item once",
          "[fetch][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const crypto::PublicIdentity responder = tooling::load_public_key(d.pub.string());
    // Small, middling and large envelopes, in an order where a large one sits between small ones.
    const std::size_t sizes[] = {10, 3000, 40000, 200, 9000, 70000, 50};
    for (std::uint32_t i = 0; i < std::size(sizes); ++i) store_tip(server, responder, sizes[i], i);

    const crypto::SecretIdentity identity =
        tooling::load_secret_key(d.key, tooling::PassphraseSource{.file = d.pass});
    client::HttpClient http("http://127.0.0.1:" + std::to_string(server.responder_port()), "");
    client::ResponderClient api(http, identity);
    const std::vector<client::ResponderItem> items = api.items();
    REQUIRE(items.size() == std::size(sizes));
    std::uint64_t smallest = items.front().size, largest = 0;
    for (const auto& i : items) {
        smallest = std::min(smallest, i.size);
        largest = std::max(largest, i.size);
    }
    REQUIRE(smallest < largest);

    // All at once: the server's own bundle, in the listed order.
    std::vector<std::int64_t> refs;
    for (const auto& i : items) refs.push_back(i.ref);
    const std::vector<unsigned char> whole = api.bundle(refs);

    // The checks below share this one server and its tips: every fetch reads without
    // acknowledging, and the acknowledgements, which delete, come last. First the same bundle in
    // one request, two items per request, batches by size with the larger envelopes in ranges
    // between them, and every envelope in ranges.
    CHECK(fetched(api, items, {.bytes = largest, .items = items.size()}) == whole);
    CHECK(fetched(api, items, {.bytes = largest, .items = 2}) == whole);
    CHECK(fetched(api, items, {.bytes = smallest * 3, .items = 100}) == whole);
    CHECK(fetched(api, items, {.bytes = smallest - 1, .items = 100}) == whole);
    {  // The bundle's manifest lists every item, in order.
        const auto bytes = fetched(api, items, {.bytes = smallest * 2, .items = 3});
        crypto::MemorySource in(bytes);
        std::vector<crypto::BundleEntry> entries;
        REQUIRE_FALSE(crypto::read_bundle_manifest(in, bytes.size(), entries));
        REQUIRE(entries.size() == items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            CHECK(crypto::to_hex(entries[i].id) == items[i].id);
            CHECK(entries[i].size == items[i].size);
        }
    }
    {  // Nothing to fetch is an empty bundle.
        const auto bytes = fetched(api, {}, {});
        CHECK(bytes.size() == crypto::bundle_preamble_size);
    }
    {  // Acknowledgements in batches reach every item once.
        CHECK(client::acknowledge_items(api, items, false, {.items = 3}) == items.size());
        for (const auto& i : api.items()) CHECK(i.acknowledged);
        // Deleting in batches of one removes them all; a second time finds none.
        CHECK(client::acknowledge_items(api, items, true, {.items = 1}) == items.size());
        CHECK(api.items().empty());
        CHECK(client::acknowledge_items(api, items, true, {}) == 0);
    }
}

TEST_CASE("a tip a responder deletes leaves the database file and its WAL", "[fetch][server]") {
    Deployment d;
    ServerProcess server(d.data);
    const crypto::PublicIdentity responder = tooling::load_public_key(d.pub.string());
    const crypto::BoxPublicKey recipients[] = {responder.box};
    const test::Bytes envelope = test::seal_bytes(recipients, test::pattern_bytes(20000, 9));
    REQUIRE(test::status_of(test::raw_http(
                server.port(), test::tip_request(test::as_text(envelope),
                                                 test::proof_line(server.port())))) == 201);
    // 64 bytes from the middle of the ciphertext, looked for in every file of the database.
    const std::string slice(envelope.begin() + 10000, envelope.begin() + 10064);
    const auto on_disk = [&] {
        for (const auto& entry : std::filesystem::directory_iterator(d.data)) {
            if (!entry.path().filename().string().starts_with("tips.sqlite")) continue;
            const test::Bytes bytes = test::read_file(entry.path());
            if (test::as_text(bytes).find(slice) != std::string::npos) {
                UNSCOPED_INFO("in " << entry.path().filename() << " of " << bytes.size());
                return true;
            }
        }
        return false;
    };
    REQUIRE(on_disk());

    const crypto::SecretIdentity identity =
        tooling::load_secret_key(d.key, tooling::PassphraseSource{.file = d.pass});
    client::HttpClient http("http://127.0.0.1:" + std::to_string(server.responder_port()), "");
    client::ResponderClient api(http, identity);
    const auto items = api.items();
    REQUIRE(items.size() == 1);
    REQUIRE(client::acknowledge_items(api, items, true) == 1);
    // Gone while the server runs: a checkpoint empties the WAL after the delete.
    CHECK(test::eventually([&] { return !on_disk(); }, std::chrono::seconds(60)));
    CHECK(api.items().empty());
}
