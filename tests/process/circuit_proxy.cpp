// A PROXY-line relay on 127.0.0.1 with a thread per connection: enough for a test's few witnesses.
#include "circuit_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <stdexcept>

#include "server_process.hpp"

namespace tipline::test {
namespace {

bool send_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// Copies both ways until both sides have finished sending, passing each half-close on, or until
// the proxy stops.
void relay(int client, int server, const std::atomic<bool>& stopping) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    bool open[2] = {true, true};
    char buf[65536];
    while ((open[0] || open[1]) && !stopping) {
        if (::poll(fds, 2, 1000) < 0) break;
        for (int i = 0; i < 2; ++i) {
            if (!open[i] || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            const int to = i == 0 ? server : client;
            const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
            if (n <= 0 || !send_all(to, buf, static_cast<std::size_t>(n))) {
                open[i] = false;
                fds[i].events = 0;
                ::shutdown(to, SHUT_WR);
                if (n < 0) open[0] = open[1] = false;
            }
        }
    }
    ::close(client);
    ::close(server);
}

}  // namespace

std::string proxy_line(std::uint32_t circuit) {
    char line[96];
    std::snprintf(line, sizeof line, "PROXY TCP6 fc00:dead:beef:4dad::%x:%x ::1 65535 80\r\n",
                  circuit >> 16, circuit & 0xffff);
    return line;
}

int connect_on_circuit(unsigned short port, std::uint32_t circuit) {
    const int fd = connect_to(port);
    if (fd < 0) return -1;
    const std::string line = proxy_line(circuit);
    if (!send_all(fd, line.data(), line.size())) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string raw_http_on(unsigned short port, std::uint32_t circuit, const std::string& request) {
    return raw_http(port, proxy_line(circuit) + request);
}

CircuitProxy::CircuitProxy(unsigned short target_port, std::uint32_t circuit)
    : target_(target_port), circuit_(circuit) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        throw std::runtime_error("the circuit proxy cannot listen");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

CircuitProxy::~CircuitProxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    ::close(listener_);
    std::lock_guard lock(mutex_);
    for (auto& t : relays_) t.join();
}

void CircuitProxy::accept_loop() {
    while (!stopping_) {
        const int client = ::accept(listener_, nullptr, nullptr);
        if (client < 0) {
            if (stopping_) return;
            continue;
        }
        const int server = connect_on_circuit(target_, circuit_);
        if (server < 0) {
            ::close(client);
            continue;
        }
        std::lock_guard lock(mutex_);
        relays_.emplace_back(relay, client, server, std::cref(stopping_));
    }
}

}  // namespace tipline::test
