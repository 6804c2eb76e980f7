# Strict warnings on our own code only; third-party headers come in as SYSTEM includes.
#
# -Werror only on request: CI configures with -DSPILLWAY_WERROR=ON so a new warning fails the run, while a
# user's build with another compiler version (whose new or false-positive warnings we have not seen yet)
# still builds and only prints them.
option(SPILLWAY_WERROR "Treat compiler warnings in Spillway's own code as errors (CI turns this on)" OFF)

function(spillway_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra $<$<BOOL:${SPILLWAY_WERROR}>:-Werror>)
endfunction()
