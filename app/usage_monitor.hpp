#pragma once
// usage_monitor: reads GET /2/usage/tweets (ingest/control/usage_api) every usage.poll_interval on a
// thread of its own and exports it — spillway_usage_posts_consumed, spillway_usage_posts_cap,
// spillway_usage_cap_reset_day, spillway_usage_cap_reset_unix_seconds — and says when the project nears its
// cap: a warning from 80% of it, an error from 95% (logged when the level rises, and the error again on
// every poll while it lasts: the stream is about to be cut off). reset() is what the reconnect policy's
// UsageCapExceeded wait uses: the reset X reports, read afresh.
//
// A thread of its own, not the reader's tick: a poll is an HTTP exchange (up to the control timeout) and
// the reader must not wait for it. A failed poll is logged (warning) and retried at the next interval.
// Owns: the polling thread (app/periodic_thread, also the stop source of every poll's exchange), the last
// report. Thread: start/stop on the service's main thread; the poll thread; reset() on the reader thread
// (its own HTTP client: http_client serves one caller at a time). Must outlive it: the metrics registry,
// and the bearer function's state.
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "app/periodic_thread.hpp"
#include "common/metrics.hpp"
#include "config/settings.hpp"
#include "ingest/control/usage_api.hpp"

namespace spillway::app {

class usage_monitor final {
 public:
  // bearer: the current app-only token (thread-safe; it may change after a 401 refresh).
  usage_monitor(const config::settings& cfg, common::metrics_registry& metrics, std::function<std::string()> bearer);
  ~usage_monitor();
  usage_monitor(const usage_monitor&) = delete;
  usage_monitor& operator=(const usage_monitor&) = delete;

  void start();  // polls every usage.poll_interval, the first one interval after start
  void stop();   // ends a poll in flight within stop_poll_interval and joins

  // Polls now (on the caller's thread) and returns the next cap reset X reports; nullopt when the poll
  // fails, or X reports no cap or no reset day.
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> reset();
  // One poll: fetch, export, log. Returns the report (also for tests).
  common::result<ingest::usage_report> poll_once();

 private:
  void publish(const ingest::usage_report& u, std::chrono::system_clock::time_point now);

  const config::settings& cfg_;
  std::function<std::string()> bearer_;
  common::metric_cell& consumed_;
  common::metric_cell& cap_;
  common::metric_cell& reset_day_;
  common::metric_cell& reset_at_;
  // The poll thread and reset() on the reader thread both poll: the mutex keeps their reports from
  // interleaving (the level logged, the failing flag) and is held while one is published.
  std::mutex report_mutex_;
  ingest::usage_level level_ = ingest::usage_level::ok;  // the last level logged (guarded by report_mutex_)
  bool failing_ = false;                                  // the last poll failed (guarded by report_mutex_)
  periodic_thread thread_;
};

}  // namespace spillway::app
