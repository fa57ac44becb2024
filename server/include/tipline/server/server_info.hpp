// What the handlers know about this deployment while serving: the responders, the salt, the limits,
// the circuits with their budgets, and the proof of work, which are internally locked.
#pragma once

#include <memory>
#include <string>

#include "tipline/server/circuits.hpp"
#include "tipline/server/config.hpp"
#include "tipline/server/form_tokens.hpp"
#include "tipline/server/proof_of_work.hpp"
#include "tipline/server/recipients.hpp"
#include "tipline/server/upload_activity.hpp"

namespace tipline::server {

// The budgets come from Limits' defaults, and there is no proof of work: what handler tests want.
// apply_limits sets them from the configuration.
struct ServerInfo {
    ServerInfo();

    std::shared_ptr<RecipientBook> recipients;  // replaced while serving
    std::string salt_hex;                       // deployment salt for receipts
    Limits limits;
    std::shared_ptr<FormTokens> form_tokens;  // the web form's tokens, one per page served
    std::shared_ptr<CircuitTable> circuits;   // the budgets, per circuit
    std::shared_ptr<ProofOfWork> pow;
    // When each unfinished upload last stored a chunk.
    std::shared_ptr<UploadActivity> uploads = std::make_shared<UploadActivity>();
};

// The budgets and the proof of work for these limits, for a server starting now.
void apply_limits(ServerInfo& info, const Limits& limits);

}  // namespace tipline::server
