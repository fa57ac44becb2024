// Turns SIGINT, SIGTERM and SIGHUP into a flag that long operations poll, so they clean up before
// exiting and say what they leave behind.
#pragma once

#include "tipline/tooling/diagnostics.hpp"

namespace tipline::client {

// Thrown by stop_if_interrupted(): a command that knows better catches it and says exactly what
// stays on disk.
class Interrupted : public tooling::ToolError {
  public:
    using tooling::ToolError::ToolError;
};

// Installs the handlers for the rest of the run; only for operations that poll, since a caught
// signal no longer ends the process.
void catch_interrupts();

// The same for as long as it lives. Afterwards the signals end the process again, and one that
// came meanwhile and that no stop_if_interrupted() turned into Interrupted ends it then.
class InterruptScope {
  public:
    InterruptScope();
    ~InterruptScope();
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;
};

// Whether a signal has arrived since the handlers were installed.
bool interrupted() noexcept;

// Throws Interrupted (exit 2, "interrupted; nothing was kept") once a signal has arrived.
void stop_if_interrupted();

}  // namespace tipline::client
