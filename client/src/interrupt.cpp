// Signal flag for interruptible operations.
#include "tipline/client/interrupt.hpp"

#include <csignal>

#include "tipline/client/messages.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys
namespace {

constexpr int caught_signals[] = {SIGINT, SIGTERM, SIGHUP};

volatile std::sig_atomic_t signal_seen = 0;
bool reported = false;  // an Interrupted was thrown for it

extern "C" void remember_signal(int sig) { signal_seen = sig; }

void install(void (*handler)(int)) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    for (int sig : caught_signals) ::sigaction(sig, &action, nullptr);
}

}  // namespace

void catch_interrupts() { install(remember_signal); }

InterruptScope::InterruptScope() { install(remember_signal); }

InterruptScope::~InterruptScope() {
    install(SIG_DFL);
    if (signal_seen != 0 && !reported) ::raise(signal_seen);
}

bool interrupted() noexcept { return signal_seen != 0; }

void stop_if_interrupted() {
    if (signal_seen == 0) return;
    reported = true;
    throw Interrupted(exit_usage_or_io, tr("interrupted; nothing was kept"));
}

}  // namespace tipline::client
