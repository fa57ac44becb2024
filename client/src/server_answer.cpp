// Strict reading of JSON answers: a server that sends something else gets a clear refusal.
#include "server_answer.hpp"

#include "tipline/client/display_text.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys

boost::json::object parse_answer(const HttpResponse& response) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(response.body, ec);
    if (ec || !v.is_object()) io_error(tr("the server's answer is not valid JSON"));
    return std::move(v.as_object());
}

std::optional<std::uint64_t> unsigned_member(const boost::json::object& object,
                                             std::string_view name) {
    const auto* v = object.if_contains(name);
    if (v == nullptr) return std::nullopt;
    if (v->is_uint64()) return v->as_uint64();
    if (v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
    return std::nullopt;
}

std::string item_id_member(const boost::json::object& object, std::string_view name) {
    const auto* id = object.if_contains(name);
    if (id == nullptr || !id->is_string())
        io_error(tr("the server's answer has no {field}", {{"field", name}}));
    const std::string text(id->as_string().data(), id->as_string().size());
    if (!is_item_id(text))
        io_error(
            tr("the server's answer has an {field} that is not 32 hex digits", {{"field", name}}));
    return text;
}

}  // namespace tipline::client
