// SecretBuffer over sodium_malloc/sodium_free; sodium_free wipes the memory before unmapping it.
#include "tipline/crypto/secret_buffer.hpp"

#include <sodium.h>

#include <atomic>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

namespace tipline::crypto {
namespace {

std::atomic<std::size_t> live_buffers{0};

}  // namespace

void ensure_sodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

SecretBuffer::SecretBuffer(std::size_t size) {
    ensure_sodium();
    if (size == 0) return;
    data_ = static_cast<unsigned char*>(sodium_malloc(size));
    if (data_ == nullptr) throw std::bad_alloc();
    size_ = size;
    live_buffers.fetch_add(1, std::memory_order_relaxed);
}

SecretBuffer::~SecretBuffer() { release(); }

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void SecretBuffer::release() noexcept {
    if (data_ != nullptr) {
        sodium_free(data_);
        live_buffers.fetch_sub(1, std::memory_order_relaxed);
    }
    data_ = nullptr;
    size_ = 0;
}

std::size_t SecretBuffer::live_count() noexcept {
    return live_buffers.load(std::memory_order_relaxed);
}

SecretBuffer SecretBuffer::copy_of(std::span<const unsigned char> bytes) {
    SecretBuffer out(bytes.size());
    if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
}

}  // namespace tipline::crypto
