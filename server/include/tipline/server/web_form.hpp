// The web form without JavaScript: a post to /LANG/submit, /LANG/check or /LANG/follow-up streams
// through the multipart parser (web_form_fields.cpp) into sealing (web_form_seal.cpp) or into
// opening the replies of a receipt (web_form_check.cpp). Every refusal is a page.
#pragma once

#include <cstdint>
#include <memory>

#include "tipline/server/action.hpp"
#include "tipline/server/server_info.hpp"
#include "tipline/server/web.hpp"

namespace tipline::server {

// The largest post to this form.
std::uint64_t web_form_body_limit(const WebTarget& target, const ServerInfo& info);

// The streamed body of a post to a form (submit, check or follow_up).
std::unique_ptr<StreamedBody> web_form_body(const RequestHeader& header, const WebTarget& target,
                                            const ServerInfo& info, Circuit& circuit);

}  // namespace tipline::server
