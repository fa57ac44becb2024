// Signal flag for interruptible operations.
#include "tipline/client/interrupt.hpp"

#include <csignal>

#include "tipline/client/messages.hpp"
#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys
namespace {

volatile std::sig_atomic_t signal_seen = 0;

extern "C" void remember_signal(int) { signal_seen = 1; }

}  // namespace

void catch_interrupts() {
    struct sigaction action {};
    action.sa_handler = remember_signal;
    sigemptyset(&action.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
}

void stop_if_interrupted() {
    if (signal_seen != 0) throw ToolError(exit_usage_or_io, tr("interrupted; nothing was kept"));
}

}  // namespace tipline::client
