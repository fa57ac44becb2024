# Compiler warnings and sanitizer flags, applied per target through tipline_target_defaults().

# AddressSanitizer and UndefinedBehaviorSanitizer, stopping at the first report. clang 14 cannot
# emit -fsanitize=function's prologue data for coroutines (the listener's sessions): "Cannot
# represent a difference across sections". The rest of UBSan stays on.
set(TIPLINE_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  list(APPEND TIPLINE_SANITIZER_FLAGS -fno-sanitize=function)
endif()
function(tipline_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(TIPLINE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(CMAKE_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # In a unity batch every .cpp file is an included file, and GCC then reports a class with
    # linkage that holds a type from an unnamed namespace (coroutine frames among them): a warning
    # meant for headers, where it would be an ODR violation; a .cpp file's unnamed namespace is not.
    target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
  endif()
  if(TIPLINE_SANITIZE)
    # -O1 -g1, as AddressSanitizer's documentation advises: stack traces keep their lines, and the
    # Beast-heavy files compile over twice as fast as at -O2 -g (http_server.cpp: 92 s to 38 s).
    target_compile_options(${target} PRIVATE ${TIPLINE_SANITIZER_FLAGS} -fno-omit-frame-pointer -O1 -g1)
    target_link_options(${target} PRIVATE ${TIPLINE_SANITIZER_FLAGS})
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12 reports false maybe-uninitialized warnings inside <regex> and <functional> under ASan.
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    endif()
    # The tools report secret buffers still allocated when a command ends (tooling/src/diagnostics.cpp).
    target_compile_definitions(${target} PRIVATE TIPLINE_CHECK_SECRET_LEAKS)
  endif()
endfunction()

# The tests' own code: optimised less and with line tables only (a test's speed is the programs'
# speed, not its own), and, in the sanitizer build, with the sanitizers on only where INSTRUMENT is
# given. The shared harness (Catch2's runner, temporary folders, running commands) and the suites
# that drive the real programs (tiplined, tipline-submit, tipline-responder) as processes leave
# their own code uninstrumented: what they test runs in those programs, which are
# built with the sanitizers, while the sanitizers quadruple the time to compile the tests' code
# (process/inbox_test.cpp: 32 s to 10 s). The executables are still linked with the sanitizers,
# so the libraries the tests call in their own process stay instrumented.
function(tipline_test_target_defaults target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "INSTRUMENT" "" "")
  tipline_target_defaults(${target})
  target_compile_options(${target} PRIVATE "$<$<CONFIG:RelWithDebInfo,Release>:-O1;-g1>")
  if(TIPLINE_SANITIZE AND NOT arg_INSTRUMENT)
    target_compile_options(${target} PRIVATE -fno-sanitize=all)
  endif()
endfunction()
