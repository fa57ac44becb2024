// Write operations over Store, run on the writer thread.
#include "tipline/server/write_ops.hpp"

#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/server/store.hpp"

namespace tipline::server {
namespace {

WriteResult fail(IngestError e, std::uint64_t value = 0) { return WriteResult{e, {}, value, {}}; }

// The most an envelope header can take: the fixed part, sixteen stanzas and the MAC.
constexpr std::uint64_t max_envelope_header =
    crypto::envelope_fixed_header_size + crypto::envelope_max_recipients * crypto::envelope_stanza_size +
    crypto::envelope_mac_size;

}  // namespace

WriteOp store_envelope_op(std::vector<unsigned char> envelope) {
    return [envelope = std::move(envelope)](Store& store, std::int64_t day) {
        const TipId id = TipId::random();
        store.insert_tip(id, day, envelope);
        return WriteResult{{}, id, envelope.size(), {}};
    };
}

WriteOp begin_upload_op(std::uint64_t length) {
    return [length](Store& store, std::int64_t day) {
        const TipId key = TipId::random();
        store.begin_upload(key, TipId::random(), day, length);
        return WriteResult{{}, key, 0, {}};
    };
}

WriteOp append_upload_op(TipId key, std::uint64_t offset, std::vector<unsigned char> bytes) {
    return [key, offset, bytes = std::move(bytes)](Store& store, std::int64_t) {
        auto state = store.find_upload(key);
        if (!state) return fail(IngestError::not_found);
        if (offset != state->received) return fail(IngestError::wrong_offset, state->received);
        if (state->received + bytes.size() > state->length) return fail(IngestError::overflow, state->received);
        store.append_upload(*state, bytes);
        return WriteResult{{}, {}, state->received, {}};
    };
}

WriteOp upload_status_op(TipId key, std::uint64_t* length_out) {
    return [key, length_out](Store& store, std::int64_t) {
        auto state = store.find_upload(key);
        if (!state) return fail(IngestError::not_found);
        *length_out = state->length;
        return WriteResult{{}, {}, state->received, {}};
    };
}

WriteOp finish_upload_op(TipId key) {
    return [key](Store& store, std::int64_t) {
        auto state = store.find_upload(key);
        if (!state) return fail(IngestError::not_found);
        if (state->received < state->length) return fail(IngestError::incomplete, state->received);
        crypto::VectorSink prefix;
        store.read_prefix(state->seq, max_envelope_header, prefix);
        crypto::MemorySource source(prefix.bytes());
        crypto::EnvelopeHeader header;
        std::error_code problem = crypto::read_envelope_header(source, header);
        if (!problem && header.total_size() != state->length) {
            problem = header.total_size() > state->length ? crypto::Error::truncated : crypto::Error::malformed;
        }
        if (problem) {
            // Kept only as long as the writer holds it: the rollback of this write would undo the
            // deletion, so the deletion is reported as success with the problem in detail.
            store.delete_upload(key);
            return WriteResult{{}, {}, 0, problem};
        }
        store.finish_upload(key);
        return WriteResult{{}, state->tip, state->length, {}};
    };
}

}  // namespace tipline::server
