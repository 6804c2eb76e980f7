#pragma once
// alloc_counter: the sinks test binary replaces the global operator new (post_extractor_alloc_test.cpp
// defines the replacement and these variables) to count the allocations made on threads that opted in,
// while counting is armed. Everything else in the binary allocates as usual.
// Threads: a thread opts in by setting its own `this_thread_counted`; `armed` and `allocations` are atomics
// any thread may read or set (a test arms counting from its main thread while a pipeline thread runs).
#include <atomic>
#include <cstddef>

namespace spillway::testing::alloc_counter {

extern thread_local bool this_thread_counted;
extern std::atomic<bool> armed;  // true unless a test disarms it around a warm-up
extern std::atomic<std::size_t> allocations;

}  // namespace spillway::testing::alloc_counter
