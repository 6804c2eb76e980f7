// latency_batch: observations counted per bucket (le semantics), handed to the histogram once per flush.
#include <catch2/catch.hpp>

#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/latency_histogram.hpp"

using namespace spillway::common;

TEST_CASE("latency_batch: bucket per observation, one hand-over per flush, negative as zero", "[metrics]") {
  prometheus::Registry registry;
  auto& histogram = prometheus::BuildHistogram().Name("t_seconds").Help("t").Register(registry).Add({}, latency_buckets());
  latency_batch batch(histogram);
  batch.add_ms(1);      // le 0.001
  batch.add_ms(0);      // le 0.001
  batch.add_ms(-5);     // a wall clock step back: 0
  batch.add_ms(11);     // le 0.0125
  batch.add_ms(7200000);  // two hours: +Inf
  CHECK(histogram.Collect().histogram.sample_count == 0);  // nothing until the flush
  batch.flush();
  batch.flush();  // an empty batch adds nothing
  const auto h = histogram.Collect().histogram;
  CHECK(h.sample_count == 5);
  CHECK(h.sample_sum == Approx(0.001 + 0.011 + 7200.0));
  REQUIRE(h.bucket.size() == latency_bucket_bounds.size() + 1);
  CHECK(h.bucket[0].cumulative_count == 3);   // <= 1 ms
  CHECK(h.bucket[9].cumulative_count == 3);   // <= 10 ms
  CHECK(h.bucket[10].cumulative_count == 4);  // <= 12.5 ms
  CHECK(h.bucket[latency_bucket_bounds.size() - 1].cumulative_count == 4);  // <= 600 s
  CHECK(h.bucket.back().cumulative_count == 5);
}
