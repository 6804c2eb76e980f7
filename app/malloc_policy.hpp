#pragma once
// malloc_policy: tells glibc's allocator to keep large freed blocks for reuse instead of handing them back
// to the kernel, once, at the start of main (before any thread exists).
//
// Why: RocksDB builds each memtable (96 MiB for `tweets`) from 1 MiB arena blocks, allocated on the pipeline
// thread and freed by the flush thread when the memtable is on disk. With glibc's defaults the freed blocks
// go back to the kernel (trimmed or unmapped), so every new memtable page-faults its 96 MiB in again, and
// each growth of the pipeline thread's heap is an mprotect(2) that waits for the process's memory-map lock
// while other threads fault. Keeping the blocks (trim threshold 512 MiB) and serving blocks up to 32 MiB
// from the heap (mmap threshold 32 MiB, glibc's maximum) lets the next memtable reuse the last one's pages:
// +12% Posts/s RocksDB-only in an interleaved A/B (5 pairs), with peak RSS within 0–20 MiB (README, Performance).
// The resident size then stays near its peak instead of shrinking after a burst; the peak is what issue 13
// bounds.
//
// An operator's own GLIBC_TUNABLES for glibc.malloc.* win: the policy is not applied then.
// Thread: main, before other threads start. Owns nothing.
#include <string_view>

namespace spillway::app {

inline constexpr int malloc_mmap_threshold_bytes = 32 << 20;   // glibc's ceiling for M_MMAP_THRESHOLD (64-bit)
inline constexpr int malloc_trim_threshold_bytes = 512 << 20;

// True when `glibc_tunables` (the GLIBC_TUNABLES value, may be null) sets any glibc.malloc tunable.
[[nodiscard]] bool operator_tunes_malloc(const char* glibc_tunables) noexcept;

// Applies the policy unless the operator tunes malloc; returns whether it was applied.
bool keep_freed_memory_for_reuse() noexcept;

}  // namespace spillway::app
