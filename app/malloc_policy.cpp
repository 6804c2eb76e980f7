#include "app/malloc_policy.hpp"

#include <malloc.h>

#include <cstdlib>

namespace spillway::app {

bool operator_tunes_malloc(const char* glibc_tunables) noexcept {
  return glibc_tunables != nullptr && std::string_view(glibc_tunables).find("glibc.malloc.") != std::string_view::npos;
}

bool keep_freed_memory_for_reuse() noexcept {
  if (operator_tunes_malloc(std::getenv("GLIBC_TUNABLES"))) return false;
  // Both settings also turn off glibc's sliding mmap threshold, which would otherwise move on its own.
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, malloc_mmap_threshold_bytes) == 1;
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, malloc_trim_threshold_bytes) == 1;
  return mmap_set && trim_set;
}

bool free_small_blocks_without_fastbins() noexcept {
  if (operator_tunes_malloc(std::getenv("GLIBC_TUNABLES"))) return false;
  return mallopt(M_MXFAST, 0) == 1;
}

}  // namespace spillway::app
