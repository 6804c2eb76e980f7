# Strict warnings on our own code only; third-party headers come in as SYSTEM includes.
#
# -Werror only on request: CI configures with -DSPILLWAY_WERROR=ON so a new warning fails the run, while a
# user's build with another compiler version (whose new or false-positive warnings we have not seen yet)
# still builds and only prints them.
option(SPILLWAY_WERROR "Treat compiler warnings in Spillway's own code as errors (CI turns this on)" OFF)

# GCC 12 at -O2/-O3 reports -Wrestrict inside libstdc++'s string concatenation for `"literal" + std::string&&`
# (GCC bug 105651, a false positive fixed in GCC 13). Which concatenation trips it depends on inlining, so
# rewriting each one (as a few files were) cannot keep up: with -Werror it stays a warning on GCC 12 only.
set(SPILLWAY_GCC12 OFF)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  set(SPILLWAY_GCC12 ON)
endif()

function(spillway_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra $<$<BOOL:${SPILLWAY_WERROR}>:-Werror>
                         $<$<AND:$<BOOL:${SPILLWAY_WERROR}>,$<BOOL:${SPILLWAY_GCC12}>>:-Wno-error=restrict>)
endfunction()
