// The shared budgets and the proof of work, made from the limits.
#include "tipline/server/server_info.hpp"

namespace tipline::server {
namespace {

std::shared_ptr<TokenBucket> bucket(unsigned burst, double per_minute) {
    return std::make_shared<TokenBucket>(burst, per_minute);
}

}  // namespace

ServerInfo::ServerInfo()
    : recipients(std::make_shared<RecipientBook>()), form_tokens(std::make_shared<FormTokens>()) {
    Limits without_work;
    without_work.proof_of_work = false;
    apply_limits(*this, without_work);
}

void apply_limits(ServerInfo& info, const Limits& limits) {
    info.limits = limits;
    info.mailbox_throttle =
        bucket(limits.mailbox_failure_burst, limits.mailbox_failures_per_minute);
    info.upload_starts = bucket(limits.upload_burst, limits.uploads_per_hour / 60.0);
    info.web_forms = bucket(limits.web_form_burst, limits.web_forms_per_hour / 60.0);
    info.pow =
        std::make_shared<ProofOfWork>(PowSettings{.enabled = limits.proof_of_work,
                                                  .bits = limits.pow_bits,
                                                  .max_bits = limits.pow_max_bits,
                                                  .target_per_minute = limits.pow_target_per_minute,
                                                  .lifetime_s = limits.pow_lifetime_s});
}

}  // namespace tipline::server
