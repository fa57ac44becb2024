// Behind Tor every connection comes from 127.0.0.1, so there is no address to limit by. Tor can
// say instead which circuit a connection came on (HiddenServiceExportCircuitID haproxy): the
// budgets that one client could otherwise spend for everyone are kept per circuit here. Without
// circuit IDs the whole listener is one circuit.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "tipline/server/config.hpp"
#include "tipline/server/throttle.hpp"

namespace tipline::server {

// Tor's 32-bit circuit identifier, from the low bits of the PROXY line's source address.
using CircuitId = std::uint32_t;

// What one circuit may spend. Counters are kept by the listener and the handlers; nothing here
// names the circuit or says when it was seen.
class Circuit {
  public:
    explicit Circuit(const Limits& limits);
    Circuit(const Circuit&) = delete;
    Circuit& operator=(const Circuit&) = delete;

    TokenBucket mailbox_failures;  // wrong mailbox names or tokens
    TokenBucket upload_starts;     // resumable uploads begun
    TokenBucket web_forms;         // tips and follow-ups the server sealed without JavaScript
    std::atomic<unsigned> connections{0};  // open on the source listener
};

// The circuits seen lately. A circuit stays while a connection uses it; an unused one is forgotten
// once more than max_remembered are kept, so memory stays bounded whatever an attacker opens.
class CircuitTable {
  public:
    CircuitTable(const Limits& limits, std::size_t max_remembered = default_max_remembered);

    static constexpr std::size_t default_max_remembered = 65536;

    std::shared_ptr<Circuit> get(CircuitId id);
    std::size_t size();

  private:
    std::mutex mutex_;
    Limits limits_;
    std::size_t max_remembered_;
    std::unordered_map<CircuitId, std::shared_ptr<Circuit>> circuits_;
};

}  // namespace tipline::server
