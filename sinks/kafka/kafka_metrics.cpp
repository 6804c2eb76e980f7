#include "sinks/kafka/kafka_metrics.hpp"

#include <prometheus/family.h>

#include "common/latency_histogram.hpp"

namespace spillway::sinks::kafka {

namespace {

prometheus::Histogram& latency_histogram(common::metrics_registry& registry) {
  return prometheus::BuildHistogram()
      .Name(std::string(common::metric::kafka_delivery_latency.name))
      .Help(std::string(common::metric::kafka_delivery_latency.help))
      .Register(registry.prometheus_registry())
      .Add({}, common::latency_buckets());
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
      brokers_up(r.gauge(common::metric::kafka_brokers_up)),
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
