#include "sinks/kafka/kafka_metrics.hpp"

#include <prometheus/family.h>

namespace spillway::sinks::kafka {

namespace {

prometheus::Histogram& latency_histogram(common::metrics_registry& registry) {
  // 1 ms .. 10 min. Receive times are whole milliseconds, so the first buckets are 1 ms wide; above 10 ms
  // steps of ~25% keep p50/p99/p999 of a loopback or LAN cluster readable (the e2e benchmark computes
  // them from these buckets); outage backlogs take minutes.
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.010, 0.0125, 0.015, 0.0175, 0.020,
      0.025, 0.030, 0.035, 0.040, 0.050, 0.060, 0.070, 0.080, 0.100, 0.125, 0.150, 0.200, 0.250, 0.300,
      0.400, 0.500, 0.750, 1,     1.5,   2,     3,     5,     10,    30,     60,    120,   300,   600};
  return prometheus::BuildHistogram()
      .Name(std::string(common::metric::kafka_delivery_latency.name))
      .Help(std::string(common::metric::kafka_delivery_latency.help))
      .Register(registry.prometheus_registry())
      .Add({}, buckets);
}

}  // namespace

kafka_metrics::kafka_metrics(common::metrics_registry& r)
    : produced(r.counter(common::metric::kafka_produced)),
      reproduced(r.counter(common::metric::kafka_reproduced)),
      delivered(r.counter(common::metric::kafka_delivered)),
      queue_full(r.counter(common::metric::kafka_queue_full)),
      orphans(r.counter(common::metric::kafka_outbox_orphans)),
      producer_restarts(r.counter(common::metric::kafka_producer_restarts)),
      outbox_posts(r.gauge(common::metric::kafka_outbox_posts)),
      outbox_bytes(r.gauge(common::metric::kafka_outbox_bytes)),
      outbox_oldest_age_ms(r.gauge(common::metric::kafka_outbox_oldest_age_ms)),
      queue_depth(r.gauge(common::metric::kafka_queue_depth)),
      in_flight(r.gauge(common::metric::kafka_in_flight)),
      latency(latency_histogram(r)),
      registry_(r) {}

common::metric_cell& kafka_metrics::delivery_error(rd_kafka_resp_err_t err) {
  auto it = errors_.find(static_cast<int>(err));
  if (it != errors_.end()) return *it->second;
  auto& cell = registry_.counter(common::metric::kafka_delivery_errors, {{"code", rd_kafka_err2name(err)}});
  errors_.emplace(static_cast<int>(err), &cell);
  return cell;
}

}  // namespace spillway::sinks::kafka
