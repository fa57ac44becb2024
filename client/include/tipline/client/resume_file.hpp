// A large tip's state across restarts of tipline-submit: the receipt, the upload key and the sealed
// envelope, in one file the witness named (FORMAT.md section 15). Deleted once the tip is stored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/secret_buffer.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::client {

inline constexpr std::size_t resume_header_size = 8 + 2 + 20 + 32 + 8;

struct ResumeState {
    crypto::SecretBuffer receipt;  // the 20 ASCII digits
    std::string upload_key;        // 32 hex digits, or empty before the upload was started
    std::uint64_t envelope_length = 0;
    crypto::ReceiptKdf receipt_kdf = crypto::current_receipt_kdf;  // from the file's version
};

// Creates the file (0600; never replacing one) with the header and no upload key yet. The caller
// writes the envelope after the header, then calls finish_resume_file.
tooling::UniqueFd create_resume_file(const std::filesystem::path& path,
                                     std::span<const unsigned char> receipt,
                                     std::uint64_t envelope_length);
// Flushes the sealed envelope before any of it is sent.
void finish_resume_file(int fd, const std::filesystem::path& path);
// Records the upload key durably, so a restart resumes that upload.
void record_upload_key(int fd, const std::filesystem::path& path, const std::string& key);
// Reads and checks the header against the file's size; Error classes as in FORMAT.md.
std::error_code read_resume_file(int fd, ResumeState& out);

}  // namespace tipline::client
