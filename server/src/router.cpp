// The source listener's routing: the web form's pages and posts first, then the JSON API, then 404.
#include "tipline/server/router.hpp"

#include "tipline/server/api.hpp"
#include "tipline/server/listener_policy.hpp"
#include "tipline/server/responses.hpp"
#include "tipline/server/web.hpp"
#include "tipline/server/web_form.hpp"

namespace tipline::server {
namespace {

std::string_view target_of(const RequestHeader& h) {
    return {h.target().data(), h.target().size()};
}

// A post to one of the web form's forms (submit, check or follow_up), or nullopt.
std::optional<WebTarget> form_post(const RequestHeader& h) {
    if (h.method() != http::verb::post) return std::nullopt;
    auto page = web_target(target_of(h));
    if (!page || page->kind == WebTarget::home || page->kind == WebTarget::file)
        return std::nullopt;
    return page;
}

}  // namespace

std::uint64_t body_limit_for(const RequestHeader& h, const ServerInfo& info) {
    if (const auto form = form_post(h)) return web_form_body_limit(*form, info);
    if (web_target(target_of(h))) return 0;
    return api_body_limit(api_route(target_of(h)), h.method(), info);
}

std::optional<Response> screen_header(const RequestHeader& h, const ServerInfo& info) {
    auto refusal = screen_header_with_limit(h, body_limit_for(h, info));
    if (!refusal && !web_target(target_of(h)) &&
        api_needs_proof(api_route(target_of(h)), h.method(), info)) {
        refusal = check_proof(h, info);
    }
    if (!refusal) return std::nullopt;
    if (const auto form = form_post(h)) {
        const http::status status = refusal->result();
        return form_error_page(
            form->lang, status,
            status == http::status::payload_too_large ? "error.too_large_page" : "error.bad_form",
            h.version(), form->kind);
    }
    return refusal;
}

std::unique_ptr<StreamedBody> streamed_body_for(const RequestHeader& h, const ServerInfo& info,
                                                Circuit& circuit) {
    if (const auto form = form_post(h)) return web_form_body(h, *form, info, circuit);
    return nullptr;
}

Action handle_request(Request&& req, const ServerInfo& info, Circuit& circuit) {
    // A post to a form arrives as a streamed body; a page is here for any other method.
    if (const auto page = web_target(target_of(req.base())))
        return web_response(req.base(), *page, info);
    const ApiRoute route = api_route(target_of(req.base()));
    if (route.kind != ApiRoute::none) return handle_api(route, std::move(req), info, circuit);
    return error_response(http::status::not_found, "not_found", "no such endpoint", req.version());
}

}  // namespace tipline::server
