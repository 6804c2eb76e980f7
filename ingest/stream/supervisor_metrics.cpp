#include "ingest/stream/supervisor_metrics.hpp"

#include <string>

namespace spillway::ingest {

supervisor_metrics::supervisor_metrics(common::metrics_registry& m, const common::metric_labels& labels)
    : state_(m.gauge(common::metric::stream_state, labels)),
      established_(m.counter(common::metric::stream_established, labels)),
      backoff_ms_(m.gauge(common::metric::reconnect_backoff_ms, labels)),
      healthy_(m.gauge(common::metric::stream_healthy, labels)),
      consecutive_failures_(m.gauge(common::metric::stream_consecutive_failures, labels)),
      last_byte_ms_(m.gauge(common::metric::stream_last_byte_ms, labels)),
      last_heartbeat_ms_(m.gauge(common::metric::stream_last_heartbeat_ms, labels)),
      last_line_ms_(m.gauge(common::metric::stream_last_post_ms, labels)),
      rl_limit_(m.gauge(common::metric::x_rate_limit_limit)),
      rl_remaining_(m.gauge(common::metric::x_rate_limit_remaining)),
      rl_reset_(m.gauge(common::metric::x_rate_limit_reset)),
      bytes_(m.counter(common::metric::bytes_received, labels)),
      heartbeats_(m.counter(common::metric::heartbeats, labels)),
      lines_(m.counter(common::metric::lines_received, labels)) {
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    const auto label = std::string(reconnect::to_string(static_cast<reconnect::end_class>(i)));
    auto with_reason = labels;
    with_reason.emplace_back("reason", label);
    ends_[i] = &m.counter(common::metric::stream_session_ends, with_reason);
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
