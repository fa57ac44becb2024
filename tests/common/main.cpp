// Catch2 entry point for every suite. The tools the tests run keep their per-user state (the
// responder's index of opened tips) in a throwaway folder, never in the home of whoever runs them,
// and speak English whatever language the person running the tests reads: the suites check the
// English messages, and process/language_test.cpp sets the variables it is about for each run.
// A run that leaves a secret buffer allocated fails.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "support.hpp"
#include "tipline/crypto/secret_buffer.hpp"

int main(int argc, char* argv[]) {
    const tipline::test::TempDir state;
    ::setenv("XDG_DATA_HOME", state.path().c_str(), 1);
    for (const char* chooses_language : {"LANGUAGE", "LC_ALL", "LC_MESSAGES"})
        ::unsetenv(chooses_language);
    ::setenv("LANG", "C.UTF-8", 1);
    const int failed = Catch::Session().run(argc, argv);
    // LeakSanitizer does not see sodium_malloc's mapped memory, so secret buffers are counted.
    if (const std::size_t live = tipline::crypto::SecretBuffer::live_count(); live != 0) {
        std::cerr << argv[0] << ": " << live << " secret buffer(s) were never freed\n";
        return failed != 0 ? failed : 1;
    }
    return failed;
}
