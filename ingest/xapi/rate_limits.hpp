#pragma once
// rate_limits: the one reader of X's `x-rate-limit-limit/remaining/reset` headers, what they said last per
// endpoint, and how long to wait before the next call so that the last request of a window is never spent
// (X answers the call after it with 429 until the window resets, XAPI.md "Rate limits").
//
// Owns: the last headers per endpoint key (paths::call, e.g. "GET /2/tweets/search/stream/rules"). When
// given a metrics registry, every recorded response also sets the gauges spillway_x_rate_limit_{limit,
// remaining,reset_unix_seconds}{endpoint="<key>"}; the registry must then outlive the tracker.
// Thread: the parser is pure (any thread: the reader thread parses the stream's connect answer); a tracker
// is used by one thread at a time (the control-plane commands are single-threaded). Time is passed in
// (Unix seconds) so the policy is testable without sleeping.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>

#include "common/metrics.hpp"

namespace spillway::ingest {

// The largest value a header may carry: larger ones are clamped to it. 2100-01-01T00:00:00Z as a reset,
// far beyond any window count as a limit; small enough that every use downstream (a reset as a
// system_clock time point in nanoseconds, `reset - now + 1`, a gauge) stays inside a signed 64-bit range.
inline constexpr std::int64_t rate_limit_value_max = 4'102'444'800;

// What one response's x-rate-limit-* headers said; each absent when the header was absent or unparsable.
struct rate_limit_headers {
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> remaining;
  std::optional<std::int64_t> reset;  // Unix seconds
};

[[nodiscard]] inline bool any(const rate_limit_headers& h) { return h.limit || h.remaining || h.reset; }

// One header value: decimal digits with optional surrounding blanks → the number, clamped to
// rate_limit_value_max (however many digits: 2^63 and 10^30 written out clamp too). Absent (nullopt) when
// empty, negative, or not a plain decimal ("1e30", "+5", "0x10", "12abc").
[[nodiscard]] std::optional<std::int64_t> parse_rate_limit_value(std::string_view text) noexcept;

// Each argument is the header's value, empty when absent; an unparsable value counts as absent.
[[nodiscard]] rate_limit_headers parse_rate_limit_headers(std::string_view limit, std::string_view remaining,
                                                          std::string_view reset);
// The same, read from a response's header fields.
[[nodiscard]] rate_limit_headers parse_rate_limit_headers(const boost::beast::http::fields& fields);

// Sets the per-endpoint gauges for one response (absent headers leave their gauge alone). For callers
// without a tracker, e.g. the stream's connect response.
void export_rate_limits(common::metrics_registry& metrics, const std::string& endpoint,
                        const rate_limit_headers& headers);

class rate_limit_tracker {
 public:
  rate_limit_tracker() = default;
  explicit rate_limit_tracker(common::metrics_registry* metrics) : metrics_(metrics) {}

  // Remembers what a response of `endpoint` said (responses without the headers leave the entry alone).
  void record(const std::string& endpoint, const rate_limit_headers& headers);

  // How long to wait before making `calls` more calls to `endpoint` at `now_unix_s`: zero unless the
  // last response left fewer than calls + `reserve` requests and the window has not reset yet; then
  // until one second past the reset (X's clock and ours differ by up to a second).
  [[nodiscard]] std::chrono::seconds wait_before(const std::string& endpoint, std::int64_t now_unix_s,
                                                 std::int64_t calls = 1, std::int64_t reserve = 1) const;

  [[nodiscard]] std::optional<rate_limit_headers> last(const std::string& endpoint) const;
  [[nodiscard]] const std::map<std::string, rate_limit_headers>& all() const { return last_; }

 private:
  std::map<std::string, rate_limit_headers> last_;
  common::metrics_registry* metrics_ = nullptr;
};

// Unix seconds as "2026-11-29 14:05:00 UTC (15:05:00 local, in 5m 0s)" for messages.
[[nodiscard]] std::string describe_reset(std::int64_t reset_unix_s, std::int64_t now_unix_s);

[[nodiscard]] std::int64_t unix_now_s();

}  // namespace spillway::ingest
