# libFuzzer targets: one executable per <name>_fuzz.cpp, built only with -DSPILLWAY_FUZZ=ON. Read by
# cmake/fuzz.cmake at the end of the top-level CMakeLists.txt (paths below are relative to this file).
# Each target asserts a property (fuzz_check.hpp aborts on a violation); see README.md for what each asserts.
#
# ctest `fuzz:<name>` replays the target's seed corpus and its regression inputs once each, without
# fuzzing: every crash ever found stays a test (tests/fuzz/regressions/<name>/).
set(_fuzz_dir ${CMAKE_CURRENT_LIST_DIR})
add_custom_target(spillway-fuzz)

function(spillway_fuzz_target name)
  set(exe ${name}_fuzz)
  add_executable(${exe} ${_fuzz_dir}/${name}_fuzz.cpp)
  target_link_libraries(${exe} PRIVATE ${ARGN})
  target_compile_options(${exe} PRIVATE -fsanitize=fuzzer)
  target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
  target_compile_definitions(${exe} PRIVATE SPILLWAY_FUZZ_UBSAN_SUPPRESSIONS="${_fuzz_dir}/ubsan.supp")
  spillway_warnings(${exe})
  add_dependencies(spillway-fuzz ${exe})

  file(GLOB inputs CONFIGURE_DEPENDS
       ${_fuzz_dir}/corpus/${name}/*
       ${_fuzz_dir}/regressions/${name}/*)
  list(FILTER inputs EXCLUDE REGEX "/README[^/]*$")
  if(NOT inputs)
    message(FATAL_ERROR "tests/fuzz: ${name} has no seed corpus in tests/fuzz/corpus/${name}/")
  endif()
  # Given files (not directories), libFuzzer runs each once and exits: a crash on any fails the test.
  add_test(NAME fuzz:${name} COMMAND ${exe} ${inputs})
  set_tests_properties(fuzz:${name} PROPERTIES TIMEOUT 300
                       ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
endfunction()

spillway_fuzz_target(line_framer)
spillway_fuzz_target(problem spillway_ingest)
spillway_fuzz_target(url spillway_ingest spillway_config)
spillway_fuzz_target(token spillway_ingest)
spillway_fuzz_target(rules spillway_ingest)
spillway_fuzz_target(status_page spillway_ingest)
spillway_fuzz_target(config spillway_config)
spillway_fuzz_target(response spillway_ingest)
spillway_fuzz_target(post_extractor spillway_sinks)
spillway_fuzz_target(keys spillway_reconnect)
