#include "ingest/xapi/rate_limits.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace spillway::ingest {
namespace {

std::string format_time(std::int64_t unix_s, bool utc) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  if (utc) ::gmtime_r(&t, &tm);
  else ::localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, utc ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M:%S %Z", &tm);
  return buf;
}

}  // namespace

std::optional<std::int64_t> parse_rate_limit_value(std::string_view s) noexcept {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  s = s.substr(first, s.find_last_not_of(" \t") - first + 1);
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (p != s.data() + s.size() || s.front() == '-') return std::nullopt;  // not a plain decimal, or negative
  if (ec == std::errc::result_out_of_range) return rate_limit_value_max;  // digits beyond 64 bits: clamped too
  if (ec != std::errc()) return std::nullopt;
  return std::min(v, rate_limit_value_max);
}

rate_limit_headers parse_rate_limit_headers(std::string_view limit, std::string_view remaining,
                                            std::string_view reset) {
  return {parse_rate_limit_value(limit), parse_rate_limit_value(remaining), parse_rate_limit_value(reset)};
}

rate_limit_headers parse_rate_limit_headers(const boost::beast::http::fields& fields) {
  const auto value = [&](std::string_view name) {
    const auto it = fields.find(boost::beast::string_view(name.data(), name.size()));
    return it == fields.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
  };
  return parse_rate_limit_headers(value("x-rate-limit-limit"), value("x-rate-limit-remaining"),
                                  value("x-rate-limit-reset"));
}

void export_rate_limits(common::metrics_registry& metrics, const std::string& endpoint,
                        const rate_limit_headers& headers) {
  const common::metric_labels labels{{"endpoint", endpoint}};
  if (headers.limit)
    metrics.gauge(common::metric::x_rate_limit_limit, labels).set(*headers.limit);
  if (headers.remaining)
    metrics.gauge(common::metric::x_rate_limit_remaining, labels)
        .set(*headers.remaining);
  if (headers.reset)
    metrics.gauge(common::metric::x_rate_limit_reset, labels)
        .set(*headers.reset);
}

void rate_limit_tracker::record(const std::string& endpoint, const rate_limit_headers& headers) {
  if (!any(headers)) return;
  last_[endpoint] = headers;
  if (metrics_ != nullptr) export_rate_limits(*metrics_, endpoint, headers);
}

std::chrono::seconds rate_limit_tracker::wait_before(const std::string& endpoint, std::int64_t now_unix_s,
                                                     std::int64_t calls, std::int64_t reserve) const {
  const auto it = last_.find(endpoint);
  if (it == last_.end() || !it->second.remaining || !it->second.reset) return std::chrono::seconds(0);
  const auto& h = it->second;
  if (*h.reset <= now_unix_s) return std::chrono::seconds(0);  // a new window has begun
  if (*h.remaining >= calls + reserve) return std::chrono::seconds(0);
  return std::chrono::seconds(*h.reset - now_unix_s + 1);
}

std::optional<rate_limit_headers> rate_limit_tracker::last(const std::string& endpoint) const {
  const auto it = last_.find(endpoint);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

std::string describe_reset(std::int64_t reset_unix_s, std::int64_t now_unix_s) {
  std::string out = format_time(reset_unix_s, true) + " (" + format_time(reset_unix_s, false) + " local, ";
  const std::int64_t d = reset_unix_s - now_unix_s;
  if (d <= 0) return out + "already passed)";
  return out + "in " + std::to_string(d / 60) + "m " + std::to_string(d % 60) + "s)";
}

std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace spillway::ingest
