// Case store files (FORMAT.md section 20): the responder's offline store, its database and each
// attachment, sealed under a key only the responder's secret key gives.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <system_error>

#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/secret_buffer.hpp"
#include "tipline/crypto/stream.hpp"

namespace tipline::crypto {

inline constexpr std::size_t store_key_bytes = 32;
inline constexpr std::size_t store_file_header_size = 8 + 2 + 1 + 16 + 8 + 24;

enum class StoreFileKind : std::uint8_t { database = 1, attachment = 2 };
using StoreFileId = std::array<unsigned char, 16>;

// The store key: BLAKE2b keyed with the responder's X25519 secret key (section 20.1). Throws
// std::invalid_argument for an identity that cannot decrypt.
SecretBuffer derive_store_key(const BoxKeyPair& identity);

// Bytes of a store file holding content_length bytes.
std::uint64_t store_file_size(std::uint64_t content_length) noexcept;

// Seals exactly content_length bytes, written to it in any pieces, into out. The header goes out
// at once, and each chunk once full. write() throws std::system_error(Error::invalid_argument)
// past content_length; finish() reports Error::truncated when fewer bytes came.
class StoreFileWriter final : public ByteSink {
  public:
    StoreFileWriter(std::span<const unsigned char> store_key, StoreFileKind kind,
                    const StoreFileId& id, std::uint64_t content_length, ByteSink& out);
    ~StoreFileWriter() override;
    StoreFileWriter(const StoreFileWriter&) = delete;
    StoreFileWriter& operator=(const StoreFileWriter&) = delete;

    void write(std::span<const unsigned char> bytes) override;
    std::error_code finish();

  private:
    struct State;
    State* state_;
};

// Opens a store file that must be of this kind and id. Content reaches content chunk by chunk
// after each tag verifies; treat it as provisional until this returns success.
std::error_code open_store_file(std::span<const unsigned char> store_key, StoreFileKind kind,
                                const StoreFileId& id, ByteSource& in, ByteSink& content);

}  // namespace tipline::crypto
