#pragma once
// supervisor_metrics: the reconnect supervisor's Prometheus cells — connection state, session ends by
// end_class, current backoff, last byte/heartbeat/Post times, health, x-rate-limit-* of the last response.
//
// Owns: references to its cells and the last sampled reader counters.
// Thread: the reader thread only (run_policy calls it). The "last …" times are sampled from the line
// publisher's counters on the reader's tick, so nothing here runs per line.
// Must outlive it: the metrics registry.
#include <array>
#include <chrono>
#include <cstdint>

#include "common/metrics.hpp"
#include "ingest/reconnect/end_reason.hpp"
#include "ingest/reconnect/supervisor.hpp"
#include "ingest/stream/session_result.hpp"

namespace spillway::ingest {

// spillway_stream_state values.
// paused: closed on purpose (the disk below sinks.rocksdb.min_free_bytes) until the service releases it.
enum class connection_state : std::int64_t { backing_off = 0, connecting = 1, streaming = 2, stopped = 3, paused = 4 };

class supervisor_metrics {
 public:
  // `labels` go on every cell but the unlabelled x-rate-limit-* gauges (the last connect of any connection).
  explicit supervisor_metrics(common::metrics_registry& metrics, const common::metric_labels& labels = {});

  void set_state(connection_state s) noexcept { state_.set(static_cast<std::int64_t>(s)); }
  void on_established() noexcept;
  // The unlabelled x-rate-limit-* gauges (absent headers leave theirs alone): at connect and at the end.
  void record_rate_limits(const rate_limit_headers& headers) noexcept;

  // What changed since the last sample, from the publisher's counters.
  struct activity {
    bool bytes = false;
    bool heartbeats = false;
    bool lines = false;
  };
  // Samples the counters; records `now_ms` as the last byte/heartbeat/line time when they moved.
  activity sample(std::int64_t now_ms) noexcept;
  // Non-empty lines received so far (as of the last sample).
  [[nodiscard]] std::int64_t lines_seen() const noexcept { return seen_lines_; }

  void on_session_end(const session_result& r, reconnect::end_class cls, const reconnect::supervisor_stats& stats,
                      bool healthy) noexcept;
  void set_health(bool healthy, std::uint32_t consecutive_failures) noexcept;

 private:
  common::metric_cell& state_;
  common::metric_cell& established_;
  std::array<common::metric_cell*, reconnect::end_class_count> ends_{};
  common::metric_cell& backoff_ms_;
  common::metric_cell& healthy_;
  common::metric_cell& consecutive_failures_;
  common::metric_cell& last_byte_ms_;
  common::metric_cell& last_heartbeat_ms_;
  common::metric_cell& last_line_ms_;
  common::metric_cell& rl_limit_;
  common::metric_cell& rl_remaining_;
  common::metric_cell& rl_reset_;
  // The publisher's counters (same names → same cells).
  common::metric_cell& bytes_;
  common::metric_cell& heartbeats_;
  common::metric_cell& lines_;
  std::int64_t seen_bytes_ = 0;
  std::int64_t seen_heartbeats_ = 0;
  std::int64_t seen_lines_ = 0;
};

}  // namespace spillway::ingest
