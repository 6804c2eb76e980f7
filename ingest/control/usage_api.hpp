#pragma once
// usage_api: GET paths::usage_tweets — the project's Post consumption, its cap and the day of the month the
// cap resets (XAPI.md "Connections and usage") — and what the numbers mean: the share of the cap used, the
// level it is at (a warning from 80%, an error from 95%), and the reset instant that the UsageCapExceeded
// wait uses.
//
// X's answer: {"data":{"cap_reset_day":10,"project_cap":"5000000000","project_id":"..","project_usage":"43435"}}
// (counts as decimal strings in X's docs; numbers are accepted too). cap_reset_day is read as the day of
// the month (1-31) the cap resets at 00:00 UTC; a month without that day resets on its last day.
//
// Pure functions plus one blocking call (fetch_usage, the caller's thread); errors as connections_api's
// send_control_call. Never quotes the token.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "ingest/xapi/http_client.hpp"
#include "ingest/xapi/rate_limits.hpp"

namespace spillway::ingest {

struct usage_report {
  std::uint64_t consumed = 0;  // project_usage: Posts read this billing period
  std::uint64_t cap = 0;       // project_cap; 0 when X gave none
  int reset_day = 0;           // cap_reset_day (1-31); 0 when X gave none
};

enum class usage_level : std::uint8_t { ok, warning, error };
inline constexpr double usage_warning_share = 0.80;
inline constexpr double usage_error_share = 0.95;

// False when `body` has no data object with project_usage.
[[nodiscard]] bool parse_usage(std::string_view body, usage_report& out);
// consumed / cap (0 without a cap).
[[nodiscard]] double usage_share(const usage_report& u) noexcept;
// ok below 80% of the cap (or without a cap), warning from 80%, error from 95%.
[[nodiscard]] usage_level level_of(const usage_report& u) noexcept;
[[nodiscard]] std::string_view to_string(usage_level l) noexcept;
// The next 00:00 UTC on day `reset_day` of a month after `now`; nullopt for a day outside 1-31.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> next_usage_reset(
    int reset_day, std::chrono::system_clock::time_point now);
// "2,431,000 of 3,000,000 Posts used (81.0%); the cap resets 2026-12-10T00:00:00Z" (no cap: "... used; no cap").
[[nodiscard]] std::string describe_usage(const usage_report& u, std::chrono::system_clock::time_point now);

// One GET paths::usage_tweets.
[[nodiscard]] common::result<usage_report> fetch_usage(http_client& client, rate_limit_tracker& limits,
                                                       const std::string& bearer);

}  // namespace spillway::ingest
