#include "ingest/control/usage_api.hpp"

#include <rapidjson/document.h>

#include <charconv>
#include <cstdio>

#include "ingest/control/connections_api.hpp"
#include "ingest/reconnect/policy.hpp"
#include "ingest/xapi/endpoints.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {
namespace {

// A count sent as a decimal string (X's docs) or as a number; nullopt for anything else.
std::optional<std::uint64_t> count_of(const rapidjson::Value& data, const char* key) {
  const auto it = data.FindMember(key);
  if (it == data.MemberEnd()) return std::nullopt;
  const auto& v = it->value;
  if (v.IsUint64()) return v.GetUint64();
  if (!v.IsString()) return std::nullopt;
  std::uint64_t n = 0;
  const char* begin = v.GetString();
  const char* end = begin + v.GetStringLength();
  const auto [ptr, ec] = std::from_chars(begin, end, n);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return n;
}

}  // namespace

bool parse_usage(std::string_view body, usage_report& out) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return false;
  const auto it = d.FindMember("data");
  if (it == d.MemberEnd() || !it->value.IsObject()) return false;
  const auto consumed = count_of(it->value, "project_usage");
  if (!consumed) return false;
  out.consumed = *consumed;
  out.cap = count_of(it->value, "project_cap").value_or(0);
  const auto day = count_of(it->value, "cap_reset_day").value_or(0);
  out.reset_day = day >= 1 && day <= 31 ? int(day) : 0;
  return true;
}

double usage_share(const usage_report& u) noexcept { return u.cap == 0 ? 0.0 : double(u.consumed) / double(u.cap); }

usage_level level_of(const usage_report& u) noexcept {
  if (u.cap == 0) return usage_level::ok;
  // Integer comparisons: at 3,000,000 Posts a double share is exact anyway, but 95% must mean >= 95%.
  if (u.consumed * 100 >= u.cap * 95) return usage_level::error;
  if (u.consumed * 100 >= u.cap * 80) return usage_level::warning;
  return usage_level::ok;
}

std::string_view to_string(usage_level l) noexcept {
  switch (l) {
    case usage_level::ok: return "ok";
    case usage_level::warning: return "warning";
    case usage_level::error: return "error";
  }
  return "ok";
}

std::optional<std::chrono::system_clock::time_point> next_usage_reset(int reset_day,
                                                                      std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  if (reset_day < 1 || reset_day > 31) return std::nullopt;
  const year_month_day today{floor<days>(now)};
  year_month ym{today.year(), today.month()};
  for (int i = 0; i < 3; ++i, ym += months{1}) {
    const auto last = year_month_day_last{ym.year(), month_day_last{ym.month()}}.day();
    const day d = std::min(day{unsigned(reset_day)}, last);
    const sys_days at{year_month_day{ym.year(), ym.month(), d}};
    if (at > now) return time_point_cast<system_clock::duration>(at);
  }
  return std::nullopt;  // unreachable: a later month always has the day
}

std::string describe_usage(const usage_report& u, std::chrono::system_clock::time_point now) {
  std::string s = std::to_string(u.consumed);
  if (u.cap == 0) {
    s += " Posts used; X reports no cap";
  } else {
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f%%", usage_share(u) * 100);
    s += " of " + std::to_string(u.cap) + " Posts used (" + pct + ")";
  }
  if (const auto reset = next_usage_reset(u.reset_day, now)) s += "; the cap resets " + reconnect::format_utc(*reset);
  return s;
}

common::result<usage_report> fetch_usage(http_client& client, rate_limit_tracker& limits, const std::string& bearer) {
  std::string target(paths::usage_tweets);
  append_query(target, "usage.fields", "cap_reset_day,project_cap,project_usage", ",");
  auto r = send_control_call(client, limits, bearer, "GET", target, paths::usage_tweets);
  if (!r) return r.error();
  usage_report out;
  if (!parse_usage(r->body, out))
    return common::error(common::errc::protocol, paths::call("GET", paths::usage_tweets) +
                                                     " answered without data.project_usage; check stream.base_url "
                                                     "points at the X API");
  return out;
}

}  // namespace spillway::ingest
