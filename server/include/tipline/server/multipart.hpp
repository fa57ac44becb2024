// A streaming multipart/form-data parser (RFC 7578) for the web form that works without JavaScript.
// It never buffers a part's content: bytes go to the handler as they arrive, in pieces, so a
// file can pass straight into sealing. Only part headers are buffered, up to a limit.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tipline::server {

// One part's Content-Disposition and Content-Type, as the browser sent them.
struct FormPart {
    std::string name;                     // the form field's name
    std::optional<std::string> filename;  // present for a file input, perhaps empty
    std::string content_type;             // "text/plain" when the part names none
};

class FormHandler {
  public:
    virtual ~FormHandler() = default;
    virtual void on_part(const FormPart& part) = 0;
    virtual void on_data(std::span<const unsigned char> bytes) = 0;  // the current part's content
    virtual void on_part_end() = 0;
};

// Thrown for a body that is not well-formed multipart/form-data, or breaks a limit.
class FormError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct FormLimits {
    std::size_t part_header_bytes = 4096;  // all header lines of one part
    std::size_t parts = 300;
};

// The boundary parameter of a multipart/form-data Content-Type, or nullopt for any other type or a
// boundary that breaks RFC 2046 (1 to 70 characters from its set, not ending in a space).
std::optional<std::string> form_boundary(std::string_view content_type);

class MultipartParser {
  public:
    MultipartParser(std::string boundary, FormHandler& handler, FormLimits limits = {});

    // Feeds the next bytes of the body; throws FormError as soon as the body cannot be valid.
    void write(std::span<const unsigned char> bytes);
    // The body has ended: throws FormError unless the closing boundary was seen.
    void finish();

  private:
    enum class State { preamble, after_boundary, headers, content, epilogue };
    void parse_headers(std::string_view block);
    void scan_content();

    std::string delimiter_;  // "\r\n--" + boundary
    FormHandler& handler_;
    FormLimits limits_;
    State state_ = State::preamble;
    std::vector<unsigned char>
        pending_;  // bytes not yet handed on: a possible delimiter, or headers
    std::size_t parts_ = 0;
};

}  // namespace tipline::server
