// Catch2 entry point for every unit test. The tools the tests run keep their per-user state (the
// responder's index of opened tips) in a throwaway folder, never in the home of whoever runs them.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "support.hpp"

int main(int argc, char* argv[]) {
    const tipline::test::TempDir state;
    ::setenv("XDG_DATA_HOME", state.path().c_str(), 1);
    return Catch::Session().run(argc, argv);
}
