// The writes the source API asks the ingest queue to make, each a function run inside a group commit.
#pragma once

#include <cstdint>
#include <vector>

#include "tipline/server/ingest_queue.hpp"

namespace tipline::server {

// Stores a whole envelope as a new tip; result.id is the tip's id.
WriteOp store_envelope_op(std::vector<unsigned char> envelope);

// Starts an upload of length bytes; result.id is the new upload key.
WriteOp begin_upload_op(std::uint64_t length);

// Appends bytes at offset; result.value is the new durable offset, or on wrong_offset the current one.
WriteOp append_upload_op(TipId key, std::uint64_t offset, std::vector<unsigned char> bytes);

// result.value is the durable offset and result.id is unset; a read that goes through the writer.
WriteOp upload_status_op(TipId key, std::uint64_t* length_out);

// Checks the complete upload's envelope structure and makes it a tip; result.id is the tip's id.
// An upload whose bytes are not a valid envelope is deleted; result.detail then says why.
WriteOp finish_upload_op(TipId key);

}  // namespace tipline::server
