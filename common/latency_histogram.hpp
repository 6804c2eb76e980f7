#pragma once
// latency_histogram: the bucket boundaries every receive→X latency histogram shares (receive→committed in
// RocksDB, receive→delivered by Kafka), so dashboards compare them bucket for bucket; and a per-batch
// accumulator, so a hot loop counts into a fixed array and hands prometheus-cpp one ObserveMultiple per
// batch instead of an atomic update per Post.
// Receive times are whole Unix milliseconds: the first buckets are 1 ms wide; above 10 ms steps of ~25%
// keep p50/p99/p999 of a loopback or LAN path readable (bench/bench_e2e.sh reads quantiles from them);
// outage backlogs take minutes. The accumulator belongs to one thread; the histogram must outlive it.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include <prometheus/histogram.h>

namespace spillway::common {

inline constexpr std::array<double, 42> latency_bucket_bounds = {
    0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.010, 0.0125, 0.015, 0.0175, 0.020,
    0.025, 0.030, 0.035, 0.040, 0.050, 0.060, 0.070, 0.080, 0.100,  0.125, 0.150,  0.200, 0.250,  0.300,
    0.400, 0.500, 0.750, 1,     1.5,   2,     3,     5,     10,     30,    60,     120,   300,    600};

[[nodiscard]] inline prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {latency_bucket_bounds.begin(), latency_bucket_bounds.end()};
}

class latency_batch {
 public:
  explicit latency_batch(prometheus::Histogram& target) : target_(target), counts_(latency_bucket_bounds.size() + 1) {}

  // One observation in milliseconds (negative, from a wall clock step back, counts as 0).
  void add_ms(std::int64_t ms) noexcept {
    const double s = static_cast<double>(std::max<std::int64_t>(ms, 0)) / 1000.0;
    const auto at = std::lower_bound(latency_bucket_bounds.begin(), latency_bucket_bounds.end(), s);
    counts_[static_cast<std::size_t>(at - latency_bucket_bounds.begin())] += 1;  // le: value <= bound
    sum_ += s;
    any_ = true;
  }
  // Hands the batch to the histogram and starts a new one. No allocation: counts_ is reused.
  void flush() {
    if (!any_) return;
    target_.ObserveMultiple(counts_, sum_);
    std::fill(counts_.begin(), counts_.end(), 0.0);
    sum_ = 0;
    any_ = false;
  }

 private:
  prometheus::Histogram& target_;
  std::vector<double> counts_;  // one per bucket, then +Inf
  double sum_ = 0;
  bool any_ = false;
};

}  // namespace spillway::common
