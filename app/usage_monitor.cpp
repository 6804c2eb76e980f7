#include "app/usage_monitor.hpp"

#include <spdlog/spdlog.h>

#include "ingest/xapi/http_client.hpp"

namespace spillway::app {

usage_monitor::usage_monitor(const config::settings& cfg, common::metrics_registry& metrics,
                             std::function<std::string()> bearer)
    : cfg_(cfg),
      bearer_(std::move(bearer)),
      consumed_(metrics.gauge(common::metric::usage_consumed)),
      cap_(metrics.gauge(common::metric::usage_cap)),
      reset_day_(metrics.gauge(common::metric::usage_cap_reset_day)),
      reset_at_(metrics.gauge(common::metric::usage_cap_reset)) {}

// Joins before the members a poll in flight uses go.
usage_monitor::~usage_monitor() { stop(); }

void usage_monitor::start() {
  // The first read comes one interval after start, not at once: a restart loop must not spend the usage
  // endpoint's window (50 per 15 min), and the stream's own start is what matters first.
  thread_.start(cfg_.usage.poll_interval, [this] { (void)poll_once(); });
}

void usage_monitor::stop() { thread_.stop(); }

common::result<ingest::usage_report> usage_monitor::poll_once() {
  auto client = ingest::make_control_client(cfg_, ingest::control_timeout(cfg_), &thread_);
  if (!client) return client.error();
  ingest::rate_limit_tracker limits;
  auto report = ingest::fetch_usage(*client, limits, bearer_());
  const std::lock_guard lock(report_mutex_);
  if (!report) {
    if (!thread_.stop_requested() && !failing_)
      spdlog::warn("usage: {} (retrying every {} s; the stream is not affected)", report.error().message,
                   cfg_.usage.poll_interval.count() / 1000);
    failing_ = true;
    return report.error();
  }
  if (failing_) spdlog::info("usage: GET /2/usage/tweets answers again");
  failing_ = false;
  publish(*report, std::chrono::system_clock::now());
  return report;
}

void usage_monitor::publish(const ingest::usage_report& u, std::chrono::system_clock::time_point now) {
  consumed_.set(static_cast<std::int64_t>(u.consumed));
  cap_.set(static_cast<std::int64_t>(u.cap));
  reset_day_.set(u.reset_day);
  const auto reset = ingest::next_usage_reset(u.reset_day, now);
  reset_at_.set(reset ? std::chrono::duration_cast<std::chrono::seconds>(reset->time_since_epoch()).count() : 0);
  const auto level = ingest::level_of(u);
  const std::string what = ingest::describe_usage(u, now);
  if (level == ingest::usage_level::error)
    spdlog::error("usage: {}: at 95% of the project cap; X stops the stream at 100% (UsageCapExceeded) until the "
                  "reset. Raise the cap in the developer portal or narrow the rules",
                  what);
  else if (level == ingest::usage_level::warning && level_ != ingest::usage_level::warning)
    spdlog::warn("usage: {}: past 80% of the project cap; at 100% X stops the stream until the reset", what);
  else if (level == ingest::usage_level::ok && level_ != ingest::usage_level::ok)
    spdlog::info("usage: {}: below 80% of the cap again", what);
  level_ = level;
}

std::optional<std::chrono::system_clock::time_point> usage_monitor::reset() {
  const auto report = poll_once();
  // Without a cap X's reset day means nothing for this refusal: the calendar estimate (and re-check) stays.
  if (!report || report->cap == 0) return std::nullopt;
  return ingest::next_usage_reset(report->reset_day, std::chrono::system_clock::now());
}

}  // namespace spillway::app
