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
      .Name("spillway_kafka_delivery_latency_seconds")
      .Help("Time from receiving a Post to its successful Kafka delivery report (acks=all)")
      .Register(registry.prometheus_registry())
      .Add({}, buckets);
}

}  // namespace

kafka_metrics::kafka_metrics(common::metrics_registry& r)
    : produced(r.counter("spillway_kafka_produced_total", "Posts handed to librdkafka (live and outbox relay)")),
      reproduced(r.counter("spillway_kafka_reproduced_total", "Posts re-produced from the RocksDB outbox")),
      delivered(r.counter("spillway_kafka_delivered_total", "Posts whose delivery report succeeded (acks=all)")),
      queue_full(r.counter("spillway_kafka_queue_full_total",
                           "Produce attempts refused because librdkafka's bounded queue was full (Post kept in the outbox)")),
      orphans(r.counter("spillway_kafka_outbox_orphans_total",
                        "Outbox entries dropped because the Post itself is no longer in RocksDB (retention)")),
      producer_restarts(r.counter("spillway_kafka_producer_restarts_total",
                                  "Producers recreated after a fatal librdkafka error (Posts re-produced from the outbox)")),
      outbox_posts(r.gauge("spillway_kafka_outbox_posts", "Posts stored but not yet delivered to Kafka")),
      outbox_bytes(r.gauge("spillway_kafka_outbox_bytes", "Bytes of the Posts in the outbox")),
      outbox_oldest_age_ms(r.gauge("spillway_kafka_outbox_oldest_age_milliseconds",
                                   "Age of the oldest undelivered Post (since it was received)")),
      queue_depth(r.gauge("spillway_kafka_queue_depth", "Messages inside librdkafka (rd_kafka_outq_len)")),
      in_flight(r.gauge("spillway_kafka_in_flight", "Posts produced whose delivery report has not arrived")),
      latency(latency_histogram(r)),
      registry_(r) {}

common::metric_cell& kafka_metrics::delivery_error(rd_kafka_resp_err_t err) {
  auto it = errors_.find(static_cast<int>(err));
  if (it != errors_.end()) return *it->second;
  auto& cell = registry_.counter("spillway_kafka_delivery_errors_total",
                                 "Failed delivery reports and refused produce calls, by librdkafka error name "
                                 "(each Post is retried from the outbox)",
                                 {{"code", rd_kafka_err2name(err)}});
  errors_.emplace(static_cast<int>(err), &cell);
  return cell;
}

}  // namespace spillway::sinks::kafka
