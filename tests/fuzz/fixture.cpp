// The fuzz targets' fixed responder, server view and scratch store.
#include "fixture.hpp"

#include <sodium.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/request_auth.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/protocol/names.hpp"
#include "tipline/server/ingest_queue.hpp"
#include "tipline/server/responder_api.hpp"

namespace tipline::fuzz {
namespace {

namespace fs = std::filesystem;

crypto::SecretIdentity make_responder() {
    crypto::ensure_sodium();
    std::array<unsigned char, 32> box_seed{};
    std::array<unsigned char, 32> sign_seed{};
    box_seed.fill(0x42);
    sign_seed.fill(0x24);
    crypto::SecretIdentity id;
    id.box = crypto::BoxKeyPair::from_seed(box_seed);
    id.public_identity.box = id.box.public_key;
    id.sign_secret = crypto::SecretBuffer(crypto::sign_secret_key_bytes);
    crypto_sign_seed_keypair(id.public_identity.sign.data(), id.sign_secret.data(),
                             sign_seed.data());
    return id;
}

template <std::size_t N>
std::array<unsigned char, N> from_hex_or_throw(std::string_view text) {
    std::array<unsigned char, N> out{};
    if (!crypto::from_hex(text, out)) throw std::logic_error("bad fixed hex");
    return out;
}

// The scratch database's directory, removed when the process exits normally.
class ScratchDirectory {
  public:
    ScratchDirectory() {
        std::string pattern = (fs::temp_directory_path() / "tipline-fuzz-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~ScratchDirectory() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;
    const fs::path& path() const noexcept { return path_; }

  private:
    fs::path path_;
};

server::TipId fixed_id(unsigned char fill) {
    server::TipId id;
    id.bytes.fill(fill);
    return id;
}

std::unique_ptr<server::Store> make_store(const fs::path& dir) {
    auto store = server::Store::open(dir / server::database_file_name, true, true);
    const auto mailbox = from_hex_or_throw<32>(mailbox_name_hex);
    const auto token = from_hex_or_throw<32>(mailbox_token_hex);
    store->in_transaction([&] {
        store->insert_tip(fixed_id(0xa1), fixed_day, sealed_tip(crypto::TipKind::tip, "first tip"));
        store->create_mailbox(mailbox, crypto::hash_mailbox_token(token), fixed_day);
        store->insert_tip(fixed_id(0xb2), fixed_day,
                          sealed_tip(crypto::TipKind::tip, "tip with a mailbox"),
                          {server::ItemKind::tip, mailbox});
        store->insert_tip(fixed_id(0xc3), fixed_day, sealed_tip(crypto::TipKind::reply, "a reply"),
                          {server::ItemKind::reply, mailbox});
        // Larger than one row, so ranges and bundles cross row boundaries.
        const std::vector<unsigned char> big(server::store_row_size + 1000, 'x');
        store->insert_tip(fixed_id(0xd4), fixed_day, seal_to_responder(big));
    });
    return store;
}

}  // namespace

const crypto::SecretIdentity& responder() {
    static const crypto::SecretIdentity id = make_responder();
    return id;
}

const std::string& responder_key_text() {
    static const std::string text = crypto::encode_public_key(responder().public_identity);
    return text;
}

server::ServerInfo server_info() {
    server::ServerInfo info;
    info.recipients->replace(server::recipients_from_keys({responder_key_text()}));
    info.salt_hex = std::string(2 * crypto::deployment_salt_bytes, '5');
    server::Limits limits;
    limits.proof_of_work = false;  // no input can solve a challenge; pow_fuzz.cpp covers the header
    server::apply_limits(info, limits);
    return info;
}

std::vector<unsigned char> seal_to_responder(std::span<const unsigned char> content) {
    const crypto::BoxPublicKey to[] = {responder().public_identity.box};
    crypto::MemorySource source(content);
    crypto::VectorSink sink;
    if (crypto::seal_envelope(to, content.size(), source, sink))
        throw std::logic_error("sealing failed");
    return std::move(sink.bytes());
}

std::vector<unsigned char> sealed_tip(crypto::TipKind kind, std::string_view message) {
    crypto::TipHeader header;
    header.kind = kind;
    header.created_at = fixed_now;
    header.message = std::string(message);
    const crypto::BoxPublicKey to[] = {responder().public_identity.box};
    crypto::VectorSink sink;
    if (crypto::seal_tip(to, header, {}, sink)) throw std::logic_error("sealing failed");
    return std::move(sink.bytes());
}

void sign_as_responder(server::Request& request, std::uint64_t nonce_counter) {
    crypto::RequestNonce nonce{};
    for (std::size_t i = 0; i < sizeof nonce_counter; ++i) {
        nonce[i] = static_cast<unsigned char>(nonce_counter >> (8 * i));
    }
    const std::string method(server::http::to_string(request.method()));
    crypto::RequestToSign part;
    part.method = method;
    part.target = std::string_view(request.target().data(), request.target().size());
    part.body_hash = crypto::hash_request_body(request.body());
    part.timestamp = static_cast<std::uint64_t>(fixed_now);
    part.nonce = nonce;
    const auto signature = crypto::sign_request(part, responder().sign_secret);
    request.set(protocol::responder_key_header, responder_key_text());
    request.set(protocol::responder_timestamp_header, std::to_string(fixed_now));
    request.set(protocol::responder_nonce_header, crypto::to_hex(nonce));
    request.set(protocol::responder_signature_header, crypto::to_hex(signature));
}

server::Store& scratch_store() {
    static ScratchDirectory dir;
    static const std::unique_ptr<server::Store> store = make_store(dir.path());
    return *store;
}

server::Response run_write(server::PendingWrite& write, server::Store& store) {
    server::WriteResult result;
    store.savepoint();
    try {
        result = write.op(store, fixed_day);
    } catch (const server::StoreError& e) {
        result = server::WriteResult{
            e.full() ? server::IngestError::full : server::IngestError::failed, {}, 0, {}};
    }
    if (result.ec) {
        store.rollback_to_savepoint();
    } else {
        store.release_savepoint();
    }
    return write.respond(result);
}

}  // namespace tipline::fuzz
