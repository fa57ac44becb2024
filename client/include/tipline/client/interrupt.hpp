// Turns SIGINT, SIGTERM and SIGHUP into a flag that long operations poll, so they clean up before
// exiting.
#pragma once

namespace tipline::client {

// Installs the handlers; only for operations that poll, since a caught signal no longer ends the
// process.
void catch_interrupts();

// Throws ToolError (exit 2) once a signal has arrived.
void stop_if_interrupted();

}  // namespace tipline::client
