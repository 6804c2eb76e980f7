#include "ingest/stream/supervisor_metrics.hpp"

#include <string>

namespace spillway::ingest {

supervisor_metrics::supervisor_metrics(common::metrics_registry& m)
    : state_(m.gauge("spillway_stream_state", "Stream connection: 0 backing off, 1 connecting, 2 streaming, 3 stopped")),
      established_(m.counter("spillway_stream_established_total", "Connects answered 200 with an open stream")),
      backoff_ms_(m.gauge("spillway_reconnect_backoff_milliseconds", "The wait chosen before the next connect")),
      healthy_(m.gauge("spillway_stream_healthy", "1 until reconnect.alert_after consecutive failed sessions")),
      consecutive_failures_(m.gauge("spillway_stream_consecutive_failures", "Failed sessions since data last arrived")),
      last_byte_ms_(m.gauge("spillway_stream_last_byte_unix_ms", "When a body byte last arrived (sampled)")),
      last_heartbeat_ms_(m.gauge("spillway_stream_last_heartbeat_unix_ms", "When a heartbeat last arrived (sampled)")),
      last_line_ms_(m.gauge("spillway_stream_last_post_unix_ms", "When a Post (non-empty line) last arrived (sampled)")),
      rl_limit_(m.gauge("spillway_x_rate_limit_limit", "x-rate-limit-limit of the last response")),
      rl_remaining_(m.gauge("spillway_x_rate_limit_remaining", "x-rate-limit-remaining of the last response")),
      rl_reset_(m.gauge("spillway_x_rate_limit_reset_unix_seconds", "x-rate-limit-reset of the last response")),
      bytes_(m.counter("spillway_bytes_received_total", "Decoded stream body bytes received")),
      heartbeats_(m.counter("spillway_heartbeats_total", "Heartbeat (empty) lines received")),
      lines_(m.counter("spillway_lines_received_total", "Non-empty lines framed from the stream")) {
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    const auto label = std::string(reconnect::to_string(static_cast<reconnect::end_class>(i)));
    ends_[i] = &m.counter("spillway_stream_session_ends_total", "Stream sessions ended, by reason", {{"reason", label}});
  }
  healthy_.set(1);
}

void supervisor_metrics::record_rate_limits(const rate_limit_headers& headers) noexcept {
  if (headers.limit) rl_limit_.set(*headers.limit);
  if (headers.remaining) rl_remaining_.set(*headers.remaining);
  if (headers.reset) rl_reset_.set(*headers.reset);
}

void supervisor_metrics::on_established() noexcept {
  established_.add();
  set_state(connection_state::streaming);
}

supervisor_metrics::activity supervisor_metrics::sample(std::int64_t now_ms) noexcept {
  activity a;
  const auto move = [now_ms](common::metric_cell& counter, std::int64_t& seen, common::metric_cell& last) {
    const auto v = counter.get();
    if (v == seen) return false;
    seen = v;
    last.set(now_ms);
    return true;
  };
  a.bytes = move(bytes_, seen_bytes_, last_byte_ms_);
  a.heartbeats = move(heartbeats_, seen_heartbeats_, last_heartbeat_ms_);
  a.lines = move(lines_, seen_lines_, last_line_ms_);
  return a;
}

void supervisor_metrics::on_session_end(const session_result& r, reconnect::end_class cls,
                                        const reconnect::supervisor_stats& stats, bool healthy) noexcept {
  ends_[static_cast<std::size_t>(cls)]->add();
  backoff_ms_.set(stats.current_backoff.count());
  set_health(healthy, stats.consecutive_failures);
  record_rate_limits(r.rate_limit);
  set_state(cls == reconnect::end_class::shutdown ? connection_state::stopped : connection_state::backing_off);
}

void supervisor_metrics::set_health(bool healthy, std::uint32_t consecutive_failures) noexcept {
  healthy_.set(healthy ? 1 : 0);
  consecutive_failures_.set(consecutive_failures);
}

}  // namespace spillway::ingest
