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

// With Kafka on: glibc's fastbins off (M_MXFAST 0), unless the operator tunes malloc; returns whether it was
// applied. Any thread, any time (mallopt takes the arena lock).
// Why: librdkafka allocates every message (a Post's line inside it: over 1 KiB) and each of its four headers
// (under 128 bytes) on the committer thread, and frees them there too, a delivery report's batch at once.
// Freed headers beyond the thread cache's seven per size go to the fastbins, and glibc consolidates every
// fastbin chunk before each request over 1 KiB, i.e. before every next message: the headers were merged
// and split again for every Post (malloc_consolidate and unlink_chunk in the committer's profile). Without
// fastbins those frees coalesce as they happen. Measured with bench_e2e.sh, both sinks, plain, in 19
// interleaved pairs: 13 faster, 2 equal, 4 slower, median difference -0.3 µs CPU per Post (README,
// Performance). Only with Kafka: RocksDB alone showed no gain (3 pairs, +0.1 µs).
bool free_small_blocks_without_fastbins() noexcept;

}  // namespace spillway::app
