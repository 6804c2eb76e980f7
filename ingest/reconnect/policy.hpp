#pragma once
// The reconnect policy's vocabulary: its options (the `[reconnect]` config table plus X's fixed rules from
// XAPI.md), the decision the supervisor hands back, and the pure calendar helpers the usage-cap rule needs.
// Plain values; any thread.

#include "common/backoff.hpp"
#include "common/error.hpp"
#include "config/settings.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace spillway::reconnect {

using std::chrono::milliseconds;

// The configurable members carry no default here: config/settings.hpp holds every default of the
// `[reconnect]` table, and options_from() copies them. A value-initialised reconnect_options has zero
// waits; build one with options_from(config::reconnect_settings{}) for the defaults.
struct reconnect_options {
  // ---- from `[reconnect]` (options_from) ----
  // Read by the stream's stall watchdog, not by the supervisor: no byte (heartbeats count) for this long
  // ends the session with `stall`.
  milliseconds stall_timeout{};
  milliseconds network_step{};     // network/TLS/DNS errors and stalls: +step per attempt ...
  milliseconds network_cap{};      // ... up to this
  milliseconds http_base{};        // 5xx, 409 and unexpected statuses: from base, doubling ...
  milliseconds http_cap{};         // ... up to this
  milliseconds rate_limit_base{};  // 429 without x-rate-limit-reset: from base, doubling ...
  milliseconds too_many_base{};    // 429 TooManyConnections: from base, doubling up to http_cap
  common::jitter jitter{};
  std::uint32_t alert_after{};  // consecutive failures before healthy() turns false (retries go on)
  bool token_refreshable = false;  // a token source can refresh the Bearer token (401 → refresh once)

  // ---- X's rules, not configurable ----
  milliseconds rate_limit_cap{900'000};  // 429 backoff ends at the 15-minute rate-limit window
  // Waits until a wall-clock instant (x-rate-limit-reset, usage-cap period) never end early: they add
  // 0..reset_margin (by `jitter`) after the instant, which also absorbs clock skew with X.
  milliseconds reset_margin{1'000};
  // The usage cap resets on the project's billing cycle, which the client cannot see; the computed
  // calendar reset is an estimate, so the stream re-probes at least this often (one connect each).
  milliseconds usage_cap_recheck{3'600'000};
  // A session established (on_established) at least this long counts as good when it ends: an idle
  // stream that only sends heartbeats must not walk up the backoff or turn unhealthy.
  milliseconds stable_after{60'000};
};

// `[reconnect]` → supervisor options (jitter was validated by the config loader; full if it was not).
[[nodiscard]] reconnect_options options_from(const config::reconnect_settings& settings);

enum class severity : std::uint8_t { info, warning, error };

// Reconnect after `delay`. If refresh_token, refresh the Bearer token first (401 with a refresher).
struct wait {
  milliseconds delay{0};
  std::string reason;  // one line: what happened and what to do; never holds a secret
  severity level = severity::info;
  bool refresh_token = false;
  bool became_unhealthy = false;  // this failure crossed alert_after: log the alert once, flip health
};

// Stop streaming and exit the process with exit_code: ok (shutdown), config (X rejected the request,
// 400) or refused (401 without a refresh, 403).
struct stop {
  common::exit_code exit_code = common::exit_code::ok;
  std::string message;
};

using decision = std::variant<wait, stop>;

// Usage-cap period → the next calendar reset after `now` (UTC): "Daily" → next midnight, "Monthly" →
// the first of next month; nullopt for any other period.
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> next_period_reset(
    std::string_view period, std::chrono::system_clock::time_point now);

// "2026-12-01T00:00:00Z", for messages.
[[nodiscard]] std::string format_utc(std::chrono::system_clock::time_point t);

// "250 ms", "16 s", "5 min 20 s", "2 h 5 min", for messages.
[[nodiscard]] std::string format_wait(milliseconds d);

}  // namespace spillway::reconnect
