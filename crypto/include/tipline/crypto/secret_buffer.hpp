// Move-only buffer in sodium_malloc memory: the only place keys, passphrases and decrypted chunks
// live.
#pragma once

#include <cstddef>
#include <span>

namespace tipline::crypto {

// Initialises libsodium once; every entry point of this library calls it, so callers need not.
void ensure_sodium();

class SecretBuffer {
  public:
    SecretBuffer() noexcept = default;
    // Allocates size bytes with sodium_malloc (guard pages, mlock); throws std::bad_alloc on
    // failure.
    explicit SecretBuffer(std::size_t size);
    ~SecretBuffer();

    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;
    SecretBuffer(SecretBuffer&& other) noexcept;
    SecretBuffer& operator=(SecretBuffer&& other) noexcept;

    unsigned char* data() noexcept { return data_; }
    const unsigned char* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::span<unsigned char> span() noexcept { return {data_, size_}; }
    std::span<const unsigned char> span() const noexcept { return {data_, size_}; }

    // Copies bytes into a fresh secret buffer.
    static SecretBuffer copy_of(std::span<const unsigned char> bytes);

    // Buffers allocated and not yet freed, in the whole process: the tests and sanitizer builds
    // check it, because LeakSanitizer does not see sodium_malloc's mapped memory.
    static std::size_t live_count() noexcept;

  private:
    void release() noexcept;

    unsigned char* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace tipline::crypto
