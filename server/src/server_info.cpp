// The circuits' budgets and the proof of work, made from the limits.
#include "tipline/server/server_info.hpp"

namespace tipline::server {

ServerInfo::ServerInfo()
    : recipients(std::make_shared<RecipientBook>()), form_tokens(std::make_shared<FormTokens>()) {
    Limits without_work;
    without_work.proof_of_work = false;
    apply_limits(*this, without_work);
}

void apply_limits(ServerInfo& info, const Limits& limits) {
    info.limits = limits;
    info.circuits = std::make_shared<CircuitTable>(limits);
    info.pow =
        std::make_shared<ProofOfWork>(PowSettings{.enabled = limits.proof_of_work,
                                                  .bits = limits.pow_bits,
                                                  .max_bits = limits.pow_max_bits,
                                                  .target_per_minute = limits.pow_target_per_minute,
                                                  .lifetime_s = limits.pow_lifetime_s});
}

}  // namespace tipline::server
