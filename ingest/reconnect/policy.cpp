#include "ingest/reconnect/policy.hpp"

#include <fmt/format.h>

namespace spillway::reconnect {

reconnect_options options_from(const config::reconnect_settings& s) {
  reconnect_options o;
  o.stall_timeout = s.stall_timeout;
  o.network_step = s.network_step;
  o.network_cap = s.network_cap;
  o.http_base = s.http_base;
  o.http_cap = s.http_cap;
  o.rate_limit_base = s.rate_limit_base;
  o.too_many_base = s.too_many_base;
  o.alert_after = s.alert_after;
  o.jitter = common::parse_jitter(s.jitter).value_or(common::jitter::full);
  return o;
}

std::optional<std::chrono::system_clock::time_point> next_period_reset(std::string_view period,
                                                                       std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  const auto today = floor<days>(now);
  if (period == "Daily") return time_point_cast<system_clock::duration>(sys_days{today} + days{1});
  if (period == "Monthly") {
    const year_month_day ymd{today};
    const auto next = year_month{ymd.year(), ymd.month()} + months{1};
    return time_point_cast<system_clock::duration>(sys_days{next / day{1}});
  }
  return std::nullopt;
}

std::string format_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto day_start = floor<days>(t);
  const year_month_day ymd{day_start};
  const hh_mm_ss hms{floor<seconds>(t - day_start)};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count());
}

std::string format_wait(milliseconds d) {
  using namespace std::chrono;
  if (d < seconds{1}) return fmt::format("{} ms", d.count());
  if (d < minutes{1}) {
    return d % seconds{1} == milliseconds{0} ? fmt::format("{} s", duration_cast<seconds>(d).count())
                                             : fmt::format("{:.3f} s", duration<double>(d).count());
  }
  if (d < hours{1}) {
    return fmt::format("{} min {} s", duration_cast<minutes>(d).count(),
                       duration_cast<seconds>(d % minutes{1}).count());
  }
  return fmt::format("{} h {} min", duration_cast<hours>(d).count(), duration_cast<minutes>(d % hours{1}).count());
}

}  // namespace spillway::reconnect
