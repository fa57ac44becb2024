// Stands in for the onion service's tor with HiddenServiceExportCircuitID haproxy: every
// connection made to the proxy reaches tiplined with the PROXY line of one circuit first, then the
// bytes both ways. The witness's real tools connect through it; an attacker's raw sockets write
// their own lines (proxy_line).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tipline::test {

// The line tor sends for a stream on this circuit, CRLF included.
std::string proxy_line(std::uint32_t circuit);

// A connection to 127.0.0.1:port that has sent the PROXY line of circuit; -1 on failure.
int connect_on_circuit(unsigned short port, std::uint32_t circuit);

// raw_http on a connection of this circuit: the PROXY line, then request.
std::string raw_http_on(unsigned short port, std::uint32_t circuit, const std::string& request);

class CircuitProxy {
  public:
    CircuitProxy(unsigned short target_port, std::uint32_t circuit);
    ~CircuitProxy();
    CircuitProxy(const CircuitProxy&) = delete;
    CircuitProxy& operator=(const CircuitProxy&) = delete;

    unsigned short port() const noexcept { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  private:
    void accept_loop();

    unsigned short target_;
    std::uint32_t circuit_;
    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::vector<std::thread> relays_;
    std::thread acceptor_;
};

}  // namespace tipline::test
