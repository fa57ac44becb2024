// The writes the source API asks the ingest queue to make, each a function run inside a group
// commit.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "tipline/server/ingest_queue.hpp"
#include "tipline/server/upload_activity.hpp"

namespace tipline::server {

// A new tip may open a mailbox: its name, and the hash of the token that will unlock it.
struct NewMailbox {
    MailboxKey key{};
    TokenHash token_hash{};
};

// Stores a whole envelope as a new tip; result.id is the tip's id. With a mailbox, the tip opens it
// (mailbox_taken if the name exists) and belongs to it.
WriteOp store_envelope_op(std::vector<unsigned char> envelope,
                          std::optional<NewMailbox> mailbox = std::nullopt);

// Global limits on unfinished uploads, checked when one starts.
struct PendingUploadLimits {
    std::uint64_t max_count = UINT64_MAX;
    std::uint64_t max_received_bytes = UINT64_MAX;  // what unfinished uploads hold, together
};

// Starts an upload of length bytes; result.id is the new upload key. The mailbox is opened at once.
// busy when the upload would pass the limits on unfinished uploads.
// With activity, the upload's start is its first activity.
WriteOp begin_upload_op(std::uint64_t length, std::optional<NewMailbox> mailbox = std::nullopt,
                        PendingUploadLimits limits = {},
                        std::shared_ptr<UploadActivity> activity = nullptr);

// The witness's follow-up into a mailbox, when token_hash matches the stored one (compared in
// constant time); otherwise mailbox_denied, the same for a missing mailbox as for a wrong token.
WriteOp store_follow_up_op(std::vector<unsigned char> envelope, MailboxKey key,
                           TokenHash token_hash);

// The replies in a mailbox as a bundle in result.body, under the same check; too_large past
// max_bytes. The replies it returns are recorded as read on the writer's day, once.
WriteOp read_replies_op(MailboxKey key, TokenHash token_hash, std::uint64_t max_bytes);
// The same for the first of several name and token pairs that opens a mailbox (a typed receipt
// of unknown version, FORMAT.md 10.3); result.value is its index. A miss is one mailbox_denied.
struct MailboxCredentials {
    MailboxKey key;
    TokenHash token_hash;
};
WriteOp read_replies_op(std::vector<MailboxCredentials> candidates, std::uint64_t max_bytes);

// Whether the token opens the mailbox; reads and changes nothing (HEAD /api/v1/mailbox).
WriteOp mailbox_exists_op(MailboxKey key, TokenHash token_hash);

// A responder's reply into a mailbox (mailbox_denied if there is none).
WriteOp store_reply_op(std::vector<unsigned char> envelope, MailboxKey key);
// Stores the team's state, sealed by a responder for the others; the same envelope again gets the
// first one's id.
WriteOp store_team_state_op(std::vector<unsigned char> envelope);

// Responders, each as who sees the store (Store::items_after): complete items after a cursor in
// result.items.
WriteOp list_items_op(ResponderKey who, std::int64_t cursor, std::size_t limit);

// Responders: a bundle of the given items in result.body; not_found names the first one missing
// from who's view in result.value; too_large past max_bytes.
WriteOp bundle_items_op(ResponderKey who, std::vector<std::int64_t> seqs, std::uint64_t max_bytes);

// Responders: length bytes of one item's envelope from offset, in result.body; not_found when
// there is no such item in who's view, wrong_offset when offset is at or past its end.
WriteOp read_item_range_op(ResponderKey who, std::int64_t seq, std::uint64_t offset,
                           std::uint64_t length);

// Responders: marks items fetched for who, or deletes them (Store::delete_for_responder: tips and
// follow-ups are erased, replies leave who's view and stay for their witness); result.value counts
// the items found in who's view, result.erased says whether any ciphertext was erased.
WriteOp acknowledge_items_op(ResponderKey who, std::vector<std::int64_t> seqs, bool delete_items);

// Appends bytes at offset; result.value is the new durable offset, or on wrong_offset the current
// one.
// busy when the chunk would take the bytes all unfinished uploads hold past max_received_bytes.
// With activity, the chunk counts as the upload's activity.
WriteOp append_upload_op(TipId key, std::uint64_t offset, std::vector<unsigned char> bytes,
                         std::uint64_t max_received_bytes = UINT64_MAX,
                         std::shared_ptr<UploadActivity> activity = nullptr);

// Deletes the unfinished uploads that have received nothing for longer than idle, with what they
// received; result.value counts them.
WriteOp expire_idle_uploads_op(std::shared_ptr<UploadActivity> activity,
                               UploadActivity::Clock::duration idle);

// result.value is the durable offset and result.id is unset; a read that goes through the writer.
WriteOp upload_status_op(TipId key, std::uint64_t* length_out);

// Checks the complete upload's envelope structure and makes it a tip; result.id is the tip's id.
// An upload whose bytes are not a valid envelope is deleted; result.detail then says why.
WriteOp finish_upload_op(TipId key);

}  // namespace tipline::server
