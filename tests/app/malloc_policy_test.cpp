// app/malloc_policy: an operator's GLIBC_TUNABLES for malloc win, and once applied, a block of memtable size
// comes from the heap and stays there when freed (so the next memtable reuses its pages) instead of being
// mapped and unmapped; with Kafka on, small frees skip glibc's fastbins. Read back through mallinfo2(),
// glibc's own accounting.
#include <catch2/catch.hpp>

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "app/malloc_policy.hpp"

using spillway::app::keep_freed_memory_for_reuse;
using spillway::app::operator_tunes_malloc;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;  // the sanitizers' allocators ignore mallopt and fake mallinfo2
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif
#else
constexpr bool sanitized = false;
#endif

// Whether glibc's malloc, untuned, is what runs here (else the test says why it checks nothing).
bool glibc_malloc_observable() {
  if (sanitized) {
    WARN("not checked: a sanitizer's allocator ignores mallopt and mallinfo2 does not describe it");
    return false;
  }
  if (operator_tunes_malloc(std::getenv("GLIBC_TUNABLES"))) {
    WARN("not checked: GLIBC_TUNABLES tunes malloc in this environment");
    return false;
  }
  return true;
}

TEST_CASE("malloc policy: the operator's malloc tunables take precedence", "[app][malloc]") {
  CHECK_FALSE(operator_tunes_malloc(nullptr));
  CHECK_FALSE(operator_tunes_malloc(""));
  CHECK_FALSE(operator_tunes_malloc("glibc.pthread.rseq=0"));
  CHECK(operator_tunes_malloc("glibc.malloc.trim_threshold=1"));
  CHECK(operator_tunes_malloc("glibc.pthread.rseq=0:glibc.malloc.hugetlb=1"));
}

TEST_CASE("malloc policy: an 8 MiB block is served from the heap and kept there when freed", "[app][malloc]") {
  if (!glibc_malloc_observable()) return;
  REQUIRE(keep_freed_memory_for_reuse());
  constexpr std::size_t size = 8u << 20;  // above glibc's default mmap threshold (128 KiB), below ours
  const struct mallinfo2 before = mallinfo2();
  void* block = std::malloc(size);
  REQUIRE(block != nullptr);
  std::memset(block, 0x5A, size);
  const struct mallinfo2 in_use = mallinfo2();
  // Not a mapping of its own (glibc's default would mmap it and munmap it on free)...
  CHECK(in_use.hblkhd == before.hblkhd);
  CHECK(in_use.uordblks >= before.uordblks + size);
  std::free(block);
  const struct mallinfo2 after = mallinfo2();
  // ...and once freed it stays in the heap as free space for the next allocation, not trimmed away.
  CHECK(after.fordblks >= size);
  CHECK(after.arena == in_use.arena);
}

namespace {

// Frees `count` blocks of 64 bytes (more than glibc's thread cache keeps per size, seven) and reports the
// bytes glibc then holds in fastbins (mallinfo2().fsmblks).
std::size_t fastbin_bytes_after_freeing(int count) {
  std::vector<void*> blocks;
  for (int i = 0; i < count; ++i) blocks.push_back(std::malloc(64));
  // Freed from every second one on, so no two neighbours merge whichever bin they land in.
  for (std::size_t i = 0; i < blocks.size(); i += 2) std::free(blocks[i]);
  const std::size_t held = mallinfo2().fsmblks;
  for (std::size_t i = 1; i < blocks.size(); i += 2) std::free(blocks[i]);
  return held;
}

// Runs `check` in a child process (malloc's settings are per process, so this test's own process keeps
// glibc's defaults for the tests after it) and returns its exit status.
template <typename Check>
int in_child(Check check) {
  const pid_t pid = ::fork();
  if (pid == 0) std::_Exit(check() ? 0 : 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

}  // namespace

TEST_CASE("malloc policy: with Kafka on, small frees skip the fastbins", "[app][malloc]") {
  if (!glibc_malloc_observable()) return;
  // Control: glibc's defaults put small frees beyond the thread cache in fastbins.
  CHECK(in_child([] { return fastbin_bytes_after_freeing(200) > 0; }) == 0);
  // The policy: none there.
  CHECK(in_child([] { return spillway::app::free_small_blocks_without_fastbins() && fastbin_bytes_after_freeing(200) == 0; }) == 0);
}
