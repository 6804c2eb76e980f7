# The dependency rule, checked on every configure (and by the ctest `layout:` test, which also proves the
# check catches a violation): app → {ingest, sinks} → {config, common}; sinks never include ingest; only
# app sees both; the emulator shares no code with the client (a misreading of X must not hide in both).
# Inside ingest/, the sub-folders form a DAG: reconnect and xapi at the bottom, then auth, then stream and
# control. Usable as `include()` (SPILLWAY_LAYOUT_ROOT defaults to the source dir) or `cmake -P` with
# -DSPILLWAY_LAYOUT_ROOT=<tree>.
cmake_policy(PUSH)
cmake_policy(SET CMP0007 NEW)
if(NOT SPILLWAY_LAYOUT_ROOT)
  set(SPILLWAY_LAYOUT_ROOT "${CMAKE_SOURCE_DIR}")
endif()
get_filename_component(SPILLWAY_LAYOUT_ROOT "${SPILLWAY_LAYOUT_ROOT}" ABSOLUTE)

# folder → the folders its files may include (besides itself). The longest matching folder applies.
set(_layout_rules
  "common|"
  "config|common"
  "ingest/reconnect|common config"
  "ingest/xapi|common config"
  "ingest/auth|ingest/xapi common config"
  "ingest/stream|ingest/xapi ingest/reconnect ingest/auth common config"
  "ingest/control|ingest/xapi ingest/reconnect ingest/auth common config"
  "sinks/rocksdb|sinks/post.hpp common config"
  "sinks/kafka|sinks/rocksdb sinks/post.hpp sinks/post_sink.hpp sinks/post_extractor.hpp common config"
  "sinks|sinks/rocksdb sinks/kafka common config"
  "app|ingest sinks common config"
  "bench/emu|bench/emu bench/bench_machine.hpp"
  "bench/kafka_mock|bench/kafka_mock bench/bench_machine.hpp common sinks config"
  "bench|ingest sinks common config"
)

set(_layout_violations "")
foreach(rule IN LISTS _layout_rules)
  string(REPLACE "|" ";" parts "${rule}")
  list(GET parts 0 folder)
  list(LENGTH parts n)
  set(allowed "${folder}")
  if(n GREATER 1)
    list(GET parts 1 extra)
    if(extra)
      string(REPLACE " " ";" extra "${extra}")
      list(APPEND allowed ${extra})
    endif()
  endif()
  file(GLOB_RECURSE files "${SPILLWAY_LAYOUT_ROOT}/${folder}/*.hpp" "${SPILLWAY_LAYOUT_ROOT}/${folder}/*.cpp")
  foreach(f IN LISTS files)
    file(RELATIVE_PATH rel "${SPILLWAY_LAYOUT_ROOT}" "${f}")
    # The file belongs to the longest rule folder that prefixes it: skip it here if a deeper rule owns it.
    set(owner "")
    foreach(r2 IN LISTS _layout_rules)
      string(REGEX REPLACE "\\|.*" "" f2 "${r2}")
      string(LENGTH "${f2}" l2)
      string(LENGTH "${owner}" lo)
      if(rel MATCHES "^${f2}/" AND l2 GREATER lo)
        set(owner "${f2}")
      endif()
    endforeach()
    if(NOT owner STREQUAL folder)
      continue()
    endif()
    file(STRINGS "${f}" includes REGEX "^#include \"[a-z_]+/")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" inc "${line}")
      set(ok FALSE)
      foreach(a IN LISTS allowed)
        if(inc STREQUAL a OR inc MATCHES "^${a}/")
          set(ok TRUE)
        endif()
      endforeach()
      if(NOT ok)
        string(APPEND _layout_violations "\n  ${rel} includes \"${inc}\" (${folder}/ may include: ${allowed})")
      endif()
    endforeach()
  endforeach()
endforeach()

if(_layout_violations)
  message(FATAL_ERROR "Dependency rule broken (README \"Layout\"; cmake/layout_check.cmake):${_layout_violations}\n"
                      "Move the shared piece down (to common/ or config/), or wire the two sides together in app/.")
endif()
cmake_policy(POP)
