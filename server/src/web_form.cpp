// A post to the web form without JavaScript, as the listener streams it: the multipart body goes
// through the parser into the fields (web_form_fields.cpp), then into sealing (web_form_seal.cpp)
// or into the replies of a receipt (web_form_check.cpp). Plaintext exists only in small buffers in
// memory, which are wiped.
#include "tipline/server/web_form.hpp"

#include "tipline/crypto/utf8.hpp"
#include "web_form_parts.hpp"

namespace tipline::server {
namespace {

using web_form::Mode;

// The receipt form's one short field.
constexpr std::uint64_t check_form_bytes = 16 * 1024;

class WebSubmission final : public StreamedBody {
  public:
    WebSubmission(Mode mode, std::string boundary, web_form::Reply reply, const ServerInfo& info,
                  Circuit& circuit)
        : fields_ptr_(std::make_shared<web_form::Fields>(mode)),
          fields_(*fields_ptr_),
          parser_(std::move(boundary), fields_),
          reply_(std::move(reply)),
          info_(info),
          circuit_(circuit) {
        if (mode == Mode::follow_up) fields_.language = reply_.lang;
    }

    bool write(std::span<const unsigned char> bytes) noexcept override {
        if (fields_.failure()) return false;
        try {
            parser_.write(bytes);
        } catch (const FormError&) {
            fields_.fail("error.bad_form", http::status::bad_request);
        } catch (const std::length_error&) {
            fields_.fail("error.too_large_page", http::status::payload_too_large);
        } catch (const std::exception&) {
            fields_.fail("error.bad_form", http::status::bad_request);
        }
        return !fields_.failure();
    }

    Action finish() override {
        try {
            parser_.finish();
        } catch (const FormError&) {
            fields_.fail("error.bad_form", http::status::bad_request);
        }
        if (fields_.failure()) return refusal(ReadProblem::refused);
        if (fields_.mode == Mode::check) return offload();
        if (fields_.message.empty() && fields_.attachments.empty()) {
            fields_.fail("error.empty", http::status::bad_request);
            return refusal(ReadProblem::refused);
        }
        if (!crypto::is_valid_utf8(fields_.message)) {
            fields_.fail("error.bad_form", http::status::bad_request);
            return refusal(ReadProblem::refused);
        }
        // Without JavaScript there is no proof of work: the circuit's budget bounds what the
        // server seals for it. Only what is stored spends it (web_form_seal.cpp), so a follow-up
        // to a wrong receipt costs nothing but its own circuit's mailbox budget.
        if (!circuit_.web_forms.allow()) {
            fields_.fail("error.busy", http::status::service_unavailable);
            return refusal(ReadProblem::refused);
        }
        fields_.spool.close();
        return offload();
    }

    Response refusal(ReadProblem why) override {
        const auto page = [&](http::status status, const char* key) {
            return form_error_page(reply_.lang, status, key, reply_.version,
                                   web_form::form_of(fields_.mode));
        };
        switch (why) {
            case ReadProblem::body_too_large:
            case ReadProblem::header_too_large:
                return page(http::status::payload_too_large, "error.too_large_page");
            case ReadProblem::timed_out:
                return page(http::status::request_timeout, "error.bad_form");
            case ReadProblem::malformed:
                return page(http::status::bad_request, "error.bad_form");
            case ReadProblem::busy:
                return page(http::status::service_unavailable, "error.busy");
            case ReadProblem::refused:
                break;
        }
        return page(fields_.failure_status(),
                    fields_.failure() ? fields_.failure() : "error.bad_form");
    }

  private:
    // Argon2id and sealing on the worker pool. The fields go with the work: this body is gone by
    // the time it runs.
    Offload offload() {
        return Offload{[fields = fields_ptr_, &info = info_, &circuit = circuit_, reply = reply_] {
                           switch (fields->mode) {
                               case Mode::check:
                                   return web_form::check_replies(*fields, info, circuit, reply);
                               case Mode::tip:
                                   return web_form::store_tip(*fields, info, circuit, reply);
                               case Mode::follow_up:
                                   break;
                           }
                           return web_form::store_follow_up(*fields, info, circuit, reply);
                       },
                       [lang = reply_.lang, version = reply_.version, mode = fields_.mode] {
                           return form_error_page(lang, http::status::service_unavailable,
                                                  "error.busy", version, web_form::form_of(mode));
                       }};
    }

    std::shared_ptr<web_form::Fields> fields_ptr_;
    web_form::Fields& fields_;
    MultipartParser parser_;
    web_form::Reply reply_;
    const ServerInfo& info_;
    Circuit& circuit_;
};

// A post that cannot be taken: its body is read and dropped, then a page says why.
class DeclinedSubmission final : public StreamedBody {
  public:
    DeclinedSubmission(std::string lang, http::status status, const char* key, unsigned version,
                       WebTarget::Kind form)
        : lang_(std::move(lang)), status_(status), key_(key), version_(version), form_(form) {}
    bool write(std::span<const unsigned char>) noexcept override { return true; }
    Action finish() override { return form_error_page(lang_, status_, key_, version_, form_); }
    Response refusal(ReadProblem) override {
        return form_error_page(lang_, status_, key_, version_, form_);
    }

  private:
    std::string lang_;
    http::status status_;
    const char* key_;
    unsigned version_;
    WebTarget::Kind form_;
};

}  // namespace

std::uint64_t web_form_body_limit(const WebTarget& target, const ServerInfo& info) {
    return target.kind == WebTarget::check ? check_form_bytes : info.limits.web_form_bytes;
}

std::unique_ptr<StreamedBody> web_form_body(const RequestHeader& header, const WebTarget& target,
                                            const ServerInfo& info, Circuit& circuit) {
    const Mode mode = target.kind == WebTarget::submit  ? Mode::tip
                      : target.kind == WebTarget::check ? Mode::check
                                                        : Mode::follow_up;
    const auto type = header.find(http::field::content_type);
    const auto boundary =
        type == header.end()
            ? std::nullopt
            : form_boundary(std::string_view(type->value().data(), type->value().size()));
    if (!boundary) {
        return std::make_unique<DeclinedSubmission>(target.lang, http::status::bad_request,
                                                    "error.bad_form", header.version(),
                                                    target.kind);
    }
    return std::make_unique<WebSubmission>(
        mode, *boundary, web_form::Reply{target.lang, header.version(), wants_keep_alive(header)},
        info, circuit);
}

}  // namespace tipline::server
