// Write operations over Store, run on the writer thread.
#include "tipline/server/write_ops.hpp"

#include <sodium.h>

#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/server/store.hpp"

namespace tipline::server {
namespace {

WriteResult fail(IngestError e, std::uint64_t value = 0) { return WriteResult{e, {}, value, {}}; }

// Appends to a string, for bodies built in memory.
class StringSink final : public crypto::ByteSink {
  public:
    explicit StringSink(std::string& out) : out_(out) {}
    void write(std::span<const unsigned char> bytes) override {
        out_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }

  private:
    std::string& out_;
};

// The most an envelope header can take: the fixed part, sixteen stanzas and the MAC.
constexpr std::uint64_t max_envelope_header =
    crypto::envelope_fixed_header_size +
    crypto::envelope_max_recipients * crypto::envelope_stanza_size + crypto::envelope_mac_size;

// The stored token hash against the presented one, in constant time; false when there is no
// mailbox.
bool token_matches(Store& store, const MailboxKey& key, const TokenHash& presented) {
    const auto stored = store.mailbox_token_hash(key);
    return stored && sodium_memcmp(stored->data(), presented.data(), presented.size()) == 0;
}

// A bundle of items in memory, or too_large when their envelopes pass max_bytes.
WriteResult bundle_of(Store& store, std::span<const StoredTip> items, std::uint64_t max_bytes) {
    std::uint64_t total = 0;
    for (const auto& t : items) total += t.size;
    if (total > max_bytes) return fail(IngestError::too_large, total);
    WriteResult r;
    StringSink sink(r.body);
    store.write_bundle(items, sink);
    r.value = items.size();
    return r;
}

}  // namespace

WriteOp store_envelope_op(std::vector<unsigned char> envelope, std::optional<NewMailbox> mailbox) {
    return [envelope = std::move(envelope), mailbox](Store& store, std::int64_t day) {
        Placement placement;
        if (mailbox) {
            if (!store.create_mailbox(mailbox->key, mailbox->token_hash, day))
                return fail(IngestError::mailbox_taken);
            placement.mailbox = mailbox->key;
        }
        const TipId id = TipId::random();
        store.insert_tip(id, day, envelope, placement);
        return WriteResult{{}, id, envelope.size(), {}};
    };
}

WriteOp begin_upload_op(std::uint64_t length, std::optional<NewMailbox> mailbox,
                        PendingUploadLimits limits, std::shared_ptr<UploadActivity> activity) {
    return [length, mailbox, limits, activity](Store& store, std::int64_t day) {
        // Only what uploads have received counts: an upload that declares much and sends
        // nothing holds a place, not bytes.
        const PendingUploads pending = store.pending_uploads();
        if (pending.count >= limits.max_count ||
            pending.received_bytes >= limits.max_received_bytes) {
            return fail(IngestError::busy);
        }
        Placement placement;
        if (mailbox) {
            if (!store.create_mailbox(mailbox->key, mailbox->token_hash, day))
                return fail(IngestError::mailbox_taken);
            placement.mailbox = mailbox->key;
        }
        const TipId key = TipId::random();
        const std::int64_t seq = store.begin_upload(key, TipId::random(), day, length, placement);
        if (activity) activity->touch(seq);
        return WriteResult{{}, key, 0, {}};
    };
}

WriteOp store_follow_up_op(std::vector<unsigned char> envelope, MailboxKey key,
                           TokenHash token_hash) {
    return [envelope = std::move(envelope), key, token_hash](Store& store, std::int64_t day) {
        if (!token_matches(store, key, token_hash)) return fail(IngestError::mailbox_denied);
        const TipId id = TipId::random();
        store.insert_tip(id, day, envelope, Placement{ItemKind::follow_up, key});
        store.touch_mailbox(key, day);
        return WriteResult{{}, id, envelope.size(), {}};
    };
}

WriteOp mailbox_exists_op(MailboxKey key, TokenHash token_hash) {
    return [key, token_hash](Store& store, std::int64_t) {
        if (!token_matches(store, key, token_hash)) return fail(IngestError::mailbox_denied);
        return WriteResult{};
    };
}

WriteOp read_replies_op(MailboxKey key, TokenHash token_hash, std::uint64_t max_bytes) {
    return read_replies_op({MailboxCredentials{key, token_hash}}, max_bytes);
}

WriteOp read_replies_op(std::vector<MailboxCredentials> candidates, std::uint64_t max_bytes) {
    return [candidates = std::move(candidates), max_bytes](Store& store, std::int64_t day) {
        std::size_t at = 0;
        while (at < candidates.size() &&
               !token_matches(store, candidates[at].key, candidates[at].token_hash)) {
            ++at;
        }
        if (at == candidates.size()) return fail(IngestError::mailbox_denied);
        const std::vector<StoredTip> replies =
            store.mailbox_items(candidates[at].key, ItemKind::reply);
        WriteResult r = bundle_of(store, replies, max_bytes);
        r.value = at;
        // The day only, and only the first time: purge keeps a read reply for retention_days more.
        if (!r.ec) {
            for (const StoredTip& t : replies) {
                if (!t.read_day) store.mark_read(t.seq, day);
            }
        }
        return r;
    };
}

namespace {

// The id of the item among these whose envelope is byte for byte this one, if any.
std::optional<TipId> stored_copy(Store& store, const std::vector<StoredTip>& items,
                                 const std::vector<unsigned char>& envelope) {
    for (const StoredTip& earlier : items) {
        if (earlier.size != envelope.size()) continue;
        crypto::VectorSink stored;
        if (store.read_tip(earlier.seq, stored) && stored.bytes() == envelope) return earlier.id;
    }
    return std::nullopt;
}

}  // namespace

WriteOp store_reply_op(std::vector<unsigned char> envelope, MailboxKey key) {
    return [envelope = std::move(envelope), key](Store& store, std::int64_t day) {
        if (!store.mailbox_token_hash(key)) return fail(IngestError::mailbox_denied);
        // The same reply file pushed again (a retry, or a file carried twice) is stored once: the
        // second push gets the first one's id. A reply sealed again is new ciphertext, so only a
        // byte-identical envelope matches.
        if (auto earlier = stored_copy(store, store.mailbox_items(key, ItemKind::reply), envelope))
            return WriteResult{{}, *earlier, envelope.size(), {}};
        const TipId id = TipId::random();
        store.insert_tip(id, day, envelope, Placement{ItemKind::reply, key});
        store.touch_mailbox(key, day);
        return WriteResult{{}, id, envelope.size(), {}};
    };
}

WriteOp store_team_state_op(std::vector<unsigned char> envelope) {
    return [envelope = std::move(envelope)](Store& store, std::int64_t day) {
        // As for replies: a team-state file pushed twice is stored once.
        if (auto earlier = stored_copy(store, store.team_items_of_size(envelope.size()), envelope))
            return WriteResult{{}, *earlier, envelope.size(), {}};
        const TipId id = TipId::random();
        store.insert_tip(id, day, envelope, Placement{ItemKind::team, std::nullopt});
        return WriteResult{{}, id, envelope.size(), {}};
    };
}

WriteOp list_items_op(ResponderKey who, std::int64_t cursor, std::size_t limit) {
    return [who, cursor, limit](Store& store, std::int64_t) {
        WriteResult r;
        r.items = store.items_after(who, cursor, limit);
        return r;
    };
}

WriteOp bundle_items_op(ResponderKey who, std::vector<std::int64_t> seqs, std::uint64_t max_bytes) {
    return [who, seqs = std::move(seqs), max_bytes](Store& store, std::int64_t) {
        std::vector<StoredTip> items;
        for (const std::int64_t seq : seqs) {
            auto item = store.item_for(who, seq);
            if (!item) return fail(IngestError::not_found, static_cast<std::uint64_t>(seq));
            items.push_back(std::move(*item));
        }
        return bundle_of(store, items, max_bytes);
    };
}

WriteOp read_item_range_op(ResponderKey who, std::int64_t seq, std::uint64_t offset,
                           std::uint64_t length) {
    return [who, seq, offset, length](Store& store, std::int64_t) {
        const auto item = store.item_for(who, seq);
        if (!item) return fail(IngestError::not_found, static_cast<std::uint64_t>(seq));
        if (offset >= item->size) return fail(IngestError::wrong_offset, item->size);
        WriteResult r;
        StringSink sink(r.body);
        store.read_range(seq, offset, length, sink);
        r.value = item->size;
        return r;
    };
}

WriteOp acknowledge_items_op(ResponderKey who, std::vector<std::int64_t> seqs, bool delete_items) {
    return [who, seqs = std::move(seqs), delete_items](Store& store, std::int64_t) {
        WriteResult r;
        for (const std::int64_t seq : seqs) {
            const auto item = store.item_for(who, seq);
            if (!item) continue;
            if (delete_items) {
                r.erased = store.delete_for_responder(who, *item) || r.erased;
            } else {
                store.acknowledge(who, seq);
            }
            ++r.value;
        }
        return r;
    };
}

WriteOp append_upload_op(TipId key, std::uint64_t offset, std::vector<unsigned char> bytes,
                         std::uint64_t max_received_bytes,
                         std::shared_ptr<UploadActivity> activity) {
    return [key, offset, bytes = std::move(bytes), max_received_bytes, activity](Store& store,
                                                                                 std::int64_t) {
        auto state = store.find_upload(key);
        if (!state) return fail(IngestError::not_found);
        if (offset != state->received) return fail(IngestError::wrong_offset, state->received);
        if (state->received + bytes.size() > state->length)
            return fail(IngestError::overflow, state->received);
        if (store.pending_uploads().received_bytes + bytes.size() > max_received_bytes)
            return fail(IngestError::busy, state->received);
        store.append_upload(*state, bytes);
        if (activity) activity->touch(state->seq);
        return WriteResult{{}, {}, state->received, {}};
    };
}

WriteOp expire_idle_uploads_op(std::shared_ptr<UploadActivity> activity,
                               UploadActivity::Clock::duration idle) {
    return [activity, idle](Store& store, std::int64_t) {
        const auto expired = activity->idle(store.unfinished_uploads(), idle);
        for (const std::int64_t seq : expired) store.delete_tip(seq);
        WriteResult r;
        r.value = expired.size();
        r.erased = !expired.empty();
        return r;
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
            problem = header.total_size() > state->length ? crypto::Error::truncated
                                                          : crypto::Error::malformed;
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
