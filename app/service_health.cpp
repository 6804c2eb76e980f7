// service_health: the checks behind /livez and /readyz (see common/health.hpp).
//
// Every check runs on a metrics-server thread: it reads only atomics — the service's flags and metric
// cells other components own (found by name, since the stream and Kafka cells are registered later than
// the checks) — so a request never waits for the reader or the pipeline.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "app/service.hpp"
#include "common/metric_names.hpp"
#include "ingest/stream/supervisor_metrics.hpp"

namespace spillway::app {
namespace {

std::optional<std::int64_t> read_cell(const common::metrics_registry& m, std::string_view name,
                                      const common::metric_labels& labels = {}) {
  const auto* cell = m.find(std::string(name), labels);
  if (cell == nullptr) return std::nullopt;
  return cell->get();
}

const char* state_name(std::int64_t state) {
  switch (static_cast<ingest::connection_state>(state)) {
    case ingest::connection_state::backing_off: return "backing off before a reconnect";
    case ingest::connection_state::connecting: return "connecting";
    case ingest::connection_state::streaming: return "streaming";
    case ingest::connection_state::stopped: return "stopped";
    case ingest::connection_state::paused:
      return "closed on purpose: free disk space is below sinks.rocksdb.min_free_bytes (spillway_disk_free_bytes)";
  }
  return "unknown";
}

}  // namespace

void service::register_health_checks() {
  liveness_.add("pipeline", [this] {
    if (!pipeline_ended_.load(std::memory_order_acquire)) return common::health_status::pass();
    return common::health_status::fail(pipeline_ok_.load(std::memory_order_acquire)
                                           ? "the pipeline has stopped: the service is shutting down"
                                           : "the pipeline stopped after RocksDB refused a write; the service exits");
  });

  // Ready while any connection streams and is healthy: with redundant connections the other one's copy is
  // not needed meanwhile. The failure names every connection's state.
  readiness_.add("stream", [this, connections = cfg_.stream.connections] {
    std::string why;
    for (std::uint64_t n = 1; n <= connections; ++n) {
      const common::metric_labels label{{"connection", std::to_string(n)}};
      const auto state = read_cell(metrics_, common::metric::stream_state.name, label);
      const auto healthy = read_cell(metrics_, common::metric::stream_healthy.name, label);
      std::string problem;
      if (!state) {
        problem = "the stream reader has not started yet";
      } else if (*state != static_cast<std::int64_t>(ingest::connection_state::streaming)) {
        problem = fmt::format("the stream is not connected ({})", state_name(*state));
      } else if (healthy && *healthy == 0) {
        problem = "reconnect.alert_after consecutive sessions failed";
      } else {
        return common::health_status::pass();
      }
      if (!why.empty()) why += "; ";
      why += connections == 1 ? problem : fmt::format("connection {}: {}", n, problem);
    }
    return common::health_status::fail(why);
  });

  readiness_.add("rocksdb", [this] {
    if (!pipeline_ok_.load(std::memory_order_acquire)) {
      return common::health_status::fail("RocksDB refused a write; nothing after it is stored");
    }
    if (pipeline_up_.get() != 1) return common::health_status::fail("the pipeline is not storing Posts");
    return common::health_status::pass();
  });

  if (!cfg_.kafka.enabled) return;
  const auto max_age_ms = cfg_.metrics.ready_max_outbox_age.count();
  readiness_.add("kafka", [this, max_age_ms] {
    const auto up = read_cell(metrics_, common::metric::kafka_brokers_up.name);
    if (!up) return common::health_status::fail("the Kafka sink has not started yet");
    if (*up == 0) {
      return common::health_status::fail("librdkafka reports all brokers down; Posts wait in the outbox");
    }
    const auto age = read_cell(metrics_, common::metric::kafka_outbox_oldest_age_ms.name).value_or(0);
    if (age > max_age_ms) {
      return common::health_status::fail(fmt::format("the oldest Post in the outbox waits for {} ms "
                                                     "(metrics.ready_max_outbox_age = {} ms)", age, max_age_ms));
    }
    return common::health_status::pass();
  });
}

}  // namespace spillway::app
