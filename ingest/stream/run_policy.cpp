#include "ingest/stream/run_policy.hpp"

#include <spdlog/spdlog.h>

#include "ingest/xapi/endpoints.hpp"
#include "ingest/xapi/rate_limits.hpp"

namespace spillway::ingest {

reconnect::end_reason to_end_reason(const session_result& r, std::chrono::milliseconds stall_timeout) {
  using kind = session_result::kind;
  switch (r.what) {
    case kind::shutdown:
      return reconnect::shutdown_requested{};
    case kind::stream_ended:
      if (!r.notice.empty()) {
        if (auto notice = reconnect::classify_in_band(r.notice)) return *notice;
      }
      return reconnect::server_closed{};
    case kind::stall:
      return reconnect::stall{stall_timeout};
    case kind::network_error:
    case kind::protocol_error: {
      reconnect::network_error e;
      switch (r.failed_layer) {
        case session_result::layer::dns: e.layer = reconnect::network_layer::dns; break;
        case session_result::layer::tcp: e.layer = reconnect::network_layer::tcp; break;
        case session_result::layer::tls: e.layer = reconnect::network_layer::tls; break;
        case session_result::layer::http: e.layer = reconnect::network_layer::http; break;
      }
      e.message = r.detail;
      return e;
    }
    case kind::http_status:
      return reconnect::classify_http(r.status, r.body, r.rate_limit.reset);
  }
  return reconnect::server_closed{};
}

namespace {

reconnect::reconnect_options with_refresh(reconnect::reconnect_options o, bool refreshable) {
  o.token_refreshable = refreshable;
  return o;
}

}  // namespace

run_policy::run_policy(const config::settings& cfg, gap_sink* gaps, common::metrics_registry& metrics,
                       token_refresher refresher, const common::metric_labels& labels)
    : stall_timeout_(cfg.reconnect.stall_timeout),
      query_{cfg.stream.tweet_fields, cfg.stream.expansions, cfg.stream.user_fields, cfg.stream.media_fields, 0},
      rng_(std::random_device{}()),
      supervisor_(with_refresh(reconnect::options_from(cfg.reconnect), static_cast<bool>(refresher)), steady_, wall_, rng_),
      gaps_(gaps),
      metrics_(metrics, labels),
      registry_(metrics),
      refresher_(std::move(refresher)),
      redundant_(cfg.stream.connections > 1) {}

void run_policy::on_established(const rate_limit_headers& connect_headers) {
  metrics_.record_rate_limits(connect_headers);
  export_rate_limits(registry_, stream_call_, connect_headers);
  metrics_.sample(std::chrono::duration_cast<std::chrono::milliseconds>(wall_.now().time_since_epoch()).count());
  session_lines_base_ = metrics_.lines_seen();
  supervisor_.on_established();
  metrics_.on_established();
}

std::string run_policy::next_target() {
  metrics_.set_state(connection_state::connecting);
  query_.backfill_minutes = 0;
  if (gaps_ != nullptr) {
    query_.backfill_minutes = static_cast<int>(gaps_->backfill_minutes(wall_.now()));
    if (query_.backfill_minutes > 0) spdlog::info("asking X to backfill the last {} min", query_.backfill_minutes);
  }
  return stream_target(query_);
}

std::string run_policy::base_target() const {
  auto q = query_;
  q.backfill_minutes = 0;
  return stream_target(q);
}

void run_policy::on_tick() {
  const auto now = wall_.now();
  const auto moved = metrics_.sample(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  // One line alone may be an in-band notice before a close: data is a second line on this connection.
  if (!moved.lines || metrics_.lines_seen() - session_lines_base_ < 2) return;
  if (gaps_ != nullptr) gaps_->on_delivered(now);
  supervisor_.on_data_received();
  update_health();
}

void run_policy::update_health() {
  const bool healthy = supervisor_.healthy();
  metrics_.set_health(healthy, supervisor_.stats().consecutive_failures);
  if (healthy && !healthy_) spdlog::info("the stream delivers again: healthy");
  healthy_ = healthy;
}

void run_policy::on_hold(const session_result& r, reconnect::gap_reason reason) {
  on_tick();  // lines that arrived since the last tick count as delivery before the close
  if (gaps_ != nullptr) gaps_->on_stopped(wall_.now(), reason);
  export_rate_limits(registry_, stream_call_, r.rate_limit);
  metrics_.set_state(connection_state::paused);
}

next_step run_policy::on_session_end(const session_result& r) {
  on_tick();  // lines that arrived since the last tick count as delivery before the end
  // A connection that delivered Posts was a good one: X's rule is to reset the backoff after it. An
  // in-band notice is a line too, but not data.
  if (r.lines > (r.notice.empty() ? 0U : 1U)) supervisor_.on_data_received();
  const auto reason = to_end_reason(r, stall_timeout_);
  const auto cls = reconnect::class_of(reason);
  if (cls == reconnect::end_class::usage_cap_exceeded && usage_reset_) supervisor_.set_usage_reset(usage_reset_());
  too_many_streak_ = cls == reconnect::end_class::too_many_connections ? too_many_streak_ + 1 : 0;
  const auto decision = supervisor_.on_session_end(reason);
  // A clean shutdown leaves the gap open too: the next start asks for what it missed.
  if (gaps_ != nullptr) gaps_->on_stopped(wall_.now(), reconnect::gap_reason::stream);
  metrics_.on_session_end(r, cls, supervisor_.stats(), supervisor_.healthy());
  // The connect response's x-rate-limit-* headers, per endpoint like every control-plane call.
  export_rate_limits(registry_, stream_call_, r.rate_limit);
  healthy_ = supervisor_.healthy();
  const std::string_view label = reconnect::to_string(reconnect::class_of(reason));
  const int status = r.what == session_result::kind::http_status ? r.status : 0;
  if (const auto* stop = std::get_if<reconnect::stop>(&decision)) {
    metrics_.set_state(connection_state::stopped);
    return next_step{true, stop->exit_code, {}, stop->message, label, status};
  }
  const auto& wait = std::get<reconnect::wait>(decision);
  if (wait.refresh_token) {
    const auto refreshed = refresher_ ? refresher_() : common::error(common::errc::refused, "no token source");
    if (!refreshed) {
      // X refused the token; the one way to carry on failed, so a human must act (exit 3).
      metrics_.set_state(connection_state::stopped);
      return next_step{true, common::exit_code::refused, {}, wait.reason + "; the refresh failed: " + refreshed.error().message,
                       label, status};
    }
  }
  // A second connection refused again and again: the likely cause is an access level below Enterprise.
  const bool repeated_too_many = redundant_ && too_many_streak_ >= stale_close_after;
  if (too_many_streak_ >= stale_close_after && stale_closer_) {
    too_many_streak_ = 0;
    const auto closed = stale_closer_();
    if (!closed)
      spdlog::error("closing stale connections through the Connections API failed: {}; waiting with backoff",
                    closed.error().message);
    else if (*closed > 0)
      return next_step{false, common::exit_code::ok, std::chrono::milliseconds{0},
                       wait.reason + "; closed " + std::to_string(*closed) +
                           " stale connection(s) of this app through the Connections API: reconnecting at once",
                       label, status};
  }
  // Stream ends carry the wire-level detail (which the end reason does not repeat); errors already do.
  std::string message = wait.reason;
  if (r.what == session_result::kind::stream_ended && r.notice.empty()) message = r.detail + " — " + message;
  if (repeated_too_many) {
    message += "; with stream.connections = 2, X allows the second connection on Enterprise access only (other "
               "levels: 1 filtered-stream connection): set stream.connections = 1 unless this app is on Enterprise";
  }
  return next_step{false, common::exit_code::ok, wait.delay, std::move(message), label, status};
}

}  // namespace spillway::ingest
