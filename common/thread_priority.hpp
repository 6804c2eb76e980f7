#pragma once
// thread_priority: the reader thread is the only one with a deadline. X cuts a client that falls more than
// its buffer behind, and what X sent in the meantime is gone; every thread after the reader has a buffer in
// front of it that absorbs lag without loss (the ring and the overload spool before the pipeline and the
// committer, RocksDB's outbox before Kafka's producer). When the CPUs are saturated, Linux's scheduler
// shares them by weight; at equal weights, on two cores with the pipeline, the committer, RocksDB's and
// librdkafka's threads (and the emulator and the broker), the reader fell behind at 250,000 Posts/s and
// was cut in 1 of 2 runs of the `[overload_spool]` e2e test. So the threads behind a buffer run
// `background_nice_delta` nice levels below the thread that starts them (about a ninth of its weight
// under CFS); an idle machine is unaffected, since niceness only orders runnable threads.
//
// Lowering one's own priority needs no privilege, and Linux applies nice per thread; threads a lowered
// thread starts inherit it. Owns nothing; any thread (it changes the calling thread only).
namespace spillway::common {

// Ten levels: CFS weight 110 against 1024 for nice 0 (kernel/sched/core.c, sched_prio_to_weight).
inline constexpr int background_nice_delta = 10;
inline constexpr int max_nice = 19;

// The nice value background_nice_delta levels below `current`, capped at max_nice.
[[nodiscard]] constexpr int background_nice(int current) noexcept {
  return current + background_nice_delta > max_nice ? max_nice : current + background_nice_delta;
}

// Moves the calling thread to background_nice(its nice value). Returns whether it is there now; never throws
// (a refusal, e.g. by a seccomp filter, leaves the thread as it was: slower under overload, not wrong).
bool lower_this_thread_to_background() noexcept;

// The calling thread's nice value (0 when it cannot be read).
[[nodiscard]] int this_thread_nice() noexcept;

}  // namespace spillway::common
