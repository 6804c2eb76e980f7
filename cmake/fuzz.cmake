# libFuzzer targets (tests/fuzz/): -DSPILLWAY_FUZZ=ON, clang only, in a build directory of its own
# (e.g. `CC=clang-16 CXX=clang++-16 cmake -B build-fuzz -DSPILLWAY_FUZZ=ON`; scripts/fuzz.sh does it).
#
# Every project library is compiled with -fsanitize=fuzzer-no-link,address,undefined (coverage feedback
# and both sanitizers, no libFuzzer main); each fuzz executable adds -fsanitize=fuzzer, which links
# libFuzzer's main. Tests and benchmarks are off in such a build: `spillway-fuzz` builds the targets and,
# through them, only the libraries they link (common, config, reconnect, ingest, sinks).
# Included from the top-level CMakeLists.txt before its options and subdirectories, so that the flags
# reach every library and the test/bench defaults below win; tests/fuzz/targets.cmake is read at the end.
option(SPILLWAY_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only, own build directory)" OFF)
if(NOT SPILLWAY_FUZZ)
  return()
endif()

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "SPILLWAY_FUZZ needs clang (libFuzzer): configure a fresh build directory with "
                      "CC=clang-16 CXX=clang++-16 (Debian packages clang-16 and libclang-rt-16-dev)")
endif()
if(NOT SPILLWAY_SANITIZE STREQUAL "")
  message(FATAL_ERROR "SPILLWAY_FUZZ already builds with ASan+UBSan: leave SPILLWAY_SANITIZE empty")
endif()

# Normal variables shadow the options of the same name (CMP0077), so a fuzz build leaves the tests and
# benchmarks out unless they are asked for with -D.
if(NOT DEFINED CACHE{SPILLWAY_BUILD_TESTS})
  set(SPILLWAY_BUILD_TESTS OFF)
endif()
if(NOT DEFINED CACHE{SPILLWAY_BUILD_BENCH})
  set(SPILLWAY_BUILD_BENCH OFF)
endif()

# -fno-sanitize-recover: any UBSan finding aborts, so libFuzzer records it as a crash with its input.
# pointer-overflow alone stays recoverable so that tests/fuzz/ubsan.supp can name the one known finding in
# a third-party header (RapidJSON 1.1.0's internal stack, Tencent/rapidjson#1724); every other report of
# it still halts (halt_on_error=1 is built into each target, tests/fuzz/fuzz_check.hpp).
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                    -fno-sanitize-recover=undefined -fsanitize-recover=pointer-overflow)
add_link_options(-fsanitize=address,undefined)

enable_testing()
# The targets need the include paths, dependencies and spillway_warnings() that the top-level file sets
# up after this point, so they are defined at its end (a deferred call may include, not add_subdirectory).
cmake_language(DEFER CALL include ${CMAKE_SOURCE_DIR}/tests/fuzz/targets.cmake)
