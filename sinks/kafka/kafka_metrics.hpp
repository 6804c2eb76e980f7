#pragma once
// kafka_metrics: the `spillway_kafka_*` metric cells, registered once at start.
//
// Counters and gauges are plain atomics in the shared metrics_registry (the hot path does one relaxed
// add); the receive→delivered latency is a prometheus-cpp histogram. Outbox size is kept as running
// totals by the sink, never by scanning RocksDB per scrape.
// Owns: nothing (cells live in the registry). Thread: registration at start-up; updates on the producer
// thread; reads by the metrics exposer. Must outlive it: the registry.
#include <map>

#include <librdkafka/rdkafka.h>
#include <prometheus/histogram.h>

#include "common/metrics.hpp"

namespace spillway::sinks::kafka {

class kafka_metrics {
 public:
  explicit kafka_metrics(common::metrics_registry& registry);

  // One counter per error name, registered on first use (errors are rare; the map never sees the hot path).
  common::metric_cell& delivery_error(rd_kafka_resp_err_t err);

  common::metric_cell& produced;
  common::metric_cell& reproduced;
  common::metric_cell& delivered;
  common::metric_cell& queue_full;
  common::metric_cell& orphans;
  common::metric_cell& producer_restarts;
  common::metric_cell& outbox_posts;
  common::metric_cell& outbox_bytes;
  common::metric_cell& outbox_oldest_age_ms;
  common::metric_cell& queue_depth;
  common::metric_cell& in_flight;
  common::metric_cell& brokers_up;
  prometheus::Histogram& latency;

 private:
  common::metrics_registry& registry_;
  std::map<int, common::metric_cell*> errors_;
};

}  // namespace spillway::sinks::kafka
