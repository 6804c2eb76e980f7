#pragma once
// The two measurements every micro-benchmark here takes: the calling thread's CPU time (the figure to
// compare on a shared, noisy machine, where wall time includes waiting for a core) and the median of rounds.
#include <time.h>

#include <algorithm>
#include <vector>

namespace spillway::bench {

inline double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace spillway::bench
