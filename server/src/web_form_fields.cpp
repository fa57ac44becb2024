// The fields of a post to the web form, taken as the multipart parser releases them: short text
// fields in memory (wiped), attachments into an encrypted spool.
#include <algorithm>
#include <stdexcept>

#include "tipline/crypto/utf8.hpp"
#include "web_form_parts.hpp"

namespace tipline::server::web_form {
namespace {

constexpr std::size_t spool_chunk = 64 * 1024;
constexpr std::string_view fallback_media_type = "application/octet-stream";
constexpr std::size_t max_receipt_field = 200;

// A browser's Content-Type as a tip's media type: the type and subtype only, lowercase, visible
// ASCII.
std::string media_type_of(std::string_view content_type) {
    std::string type(content_type.substr(0, content_type.find(';')));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool visible =
        std::all_of(type.begin(), type.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (type.empty() || type.size() > crypto::tip_max_media_type_size || !visible ||
        type.find('/') == std::string::npos) {
        return std::string(fallback_media_type);
    }
    return type;
}

}  // namespace

WebTarget::Kind form_of(Mode mode) {
    return mode == Mode::tip     ? WebTarget::submit
           : mode == Mode::check ? WebTarget::check
                                 : WebTarget::follow_up;
}

void wipe(std::string& s) {
    if (!s.empty()) sodium_memzero(s.data(), s.size());
    s.clear();
}

Spool::Spool()
    : key_(crypto_secretstream_xchacha20poly1305_KEYBYTES),
      state_(sizeof(StreamState)),
      staged_(spool_chunk) {
    crypto_secretstream_xchacha20poly1305_keygen(key_.data());
    unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(state(), header, key_.data());
    stream_header_.assign(header, header + sizeof header);
}

void Spool::write(std::span<const unsigned char> bytes) {
    while (!bytes.empty()) {
        const std::size_t n = std::min(bytes.size(), spool_chunk - staged_size_);
        std::copy_n(bytes.begin(), n, staged_.data() + staged_size_);
        staged_size_ += n;
        bytes = bytes.subspan(n);
        if (staged_size_ == spool_chunk) push(0);
    }
}

void Spool::close() { push(crypto_secretstream_xchacha20poly1305_TAG_FINAL); }

std::size_t Spool::read(std::span<unsigned char> out) {
    std::size_t given = 0;
    while (given < out.size()) {
        if (plain_at_ == plain_size_ && !pull()) break;
        const std::size_t n = std::min(out.size() - given, plain_size_ - plain_at_);
        std::copy_n(staged_.data() + plain_at_, n, out.data() + given);
        plain_at_ += n;
        given += n;
    }
    return given;
}

void Spool::push(unsigned char tag) {
    const std::size_t at = cipher_.size();
    cipher_.resize(at + staged_size_ + crypto_secretstream_xchacha20poly1305_ABYTES);
    crypto_secretstream_xchacha20poly1305_push(state(), cipher_.data() + at, nullptr,
                                               staged_.data(), staged_size_, nullptr, 0, tag);
    sodium_memzero(staged_.data(), staged_size_);
    staged_size_ = 0;
}

bool Spool::pull() {
    if (read_at_ == 0) {
        crypto_secretstream_xchacha20poly1305_init_pull(state(), stream_header_.data(),
                                                        key_.data());
    }
    if (read_at_ >= cipher_.size()) return false;
    const std::size_t chunk = std::min(cipher_.size() - read_at_,
                                       spool_chunk + crypto_secretstream_xchacha20poly1305_ABYTES);
    unsigned long long n = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            state(), staged_.data(), &n, &tag, cipher_.data() + read_at_, chunk, nullptr, 0) != 0) {
        throw std::runtime_error("the spool did not authenticate");
    }
    read_at_ += chunk;
    plain_size_ = static_cast<std::size_t>(n);
    plain_at_ = 0;
    return true;
}

Fields::Fields(Mode m) : mode(m) {
    if (mode != Mode::check) message.reserve(crypto::tip_max_message_size);
}

Fields::~Fields() {
    wipe(message);
    wipe(field_text_);
    wipe(receipt);
}

void Fields::fail(const char* key, http::status status) {
    if (failure_) return;
    failure_ = key;
    status_ = status;
}

void Fields::on_part(const FormPart& part) {
    field_text_.clear();
    const bool takes_receipt = mode != Mode::tip, takes_tip = mode != Mode::check;
    if (part.name == "receipt" && !part.filename && takes_receipt) {
        field_ = Field::receipt;
    } else if (part.name == "message" && !part.filename && takes_tip) {
        field_ = Field::message;
    } else if (part.name == "receipt_version" && !part.filename && mode == Mode::follow_up) {
        field_ = Field::receipt_version;
    } else if (part.name == "language" && !part.filename && mode == Mode::tip) {
        field_ = Field::language;
    } else if (part.name == "form_token" && !part.filename && mode == Mode::tip) {
        field_ = Field::receipt;  // the token stands where a receipt would: it holds one, sealed
    } else if (part.name == "files" && part.filename && takes_tip) {
        field_ = Field::file;
        if (attachments.size() == crypto::tip_max_attachments)
            throw std::length_error("too many files");
        attachments.push_back({*part.filename, media_type_of(part.content_type), 0});
    } else {
        field_ = Field::none;  // unknown fields are ignored, not stored
    }
}

void Fields::on_data(std::span<const unsigned char> bytes) {
    switch (field_) {
        case Field::message:
            if (message.size() + bytes.size() > crypto::tip_max_message_size) {
                fail("error.message_too_long", http::status::payload_too_large);
                throw std::length_error("message");
            }
            message.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            break;
        case Field::receipt_version:
        case Field::language:
            if (field_text_.size() + bytes.size() > crypto::tip_max_language_size)
                throw FormError("language");
            field_text_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            break;
        case Field::receipt:
            if (receipt.size() + bytes.size() > max_receipt_field) throw FormError("receipt");
            receipt.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            break;
        case Field::file:
            attachments.back().size += bytes.size();
            spool.write(bytes);
            break;
        case Field::none:
            break;
    }
}

void Fields::on_part_end() {
    if (field_ == Field::language) {
        language = "und";
        for (const std::string& known : web_languages()) {
            if (field_text_ == known) language = known;
        }
    }
    if (field_ == Field::receipt_version)
        receipt_kdf = field_text_ == "1" ? crypto::ReceiptKdf::v1 : crypto::ReceiptKdf::v2;
    if (field_ == Field::file) {
        const crypto::AttachmentInfo& a = attachments.back();
        // A file input left empty still sends a part, with no name and no bytes.
        if (a.name.empty() && a.size == 0) {
            attachments.pop_back();
        } else if (a.name.empty() || a.name.size() > crypto::tip_max_name_size ||
                   !crypto::is_valid_utf8(a.name) || a.name.find('\0') != std::string::npos) {
            attachments.back().name = "attachment";
        }
    }
    field_ = Field::none;
}

}  // namespace tipline::server::web_form
