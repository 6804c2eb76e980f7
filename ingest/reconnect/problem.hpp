#pragma once
// Classifiers for what X says when it refuses or ends a stream: the body of a non-200 answer to
// GET /2/tweets/search/stream, and an in-band `{"errors":[...]}` line on an open stream.
//
// Pure functions (RapidJSON DOM; these run once per connection, not per Post): no I/O, no state, any
// thread. The inputs are only read during the call; the results own copies of what they keep.
// Problem `type` URIs come with both hosts (api.twitter.com and api.x.com): only the part after
// `/2/problems/` is compared (XAPI.md).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spillway::reconnect {

// What a connect-time HTTP status means for the reconnect policy.
enum class http_class : std::uint8_t {
  unauthorized,          // 401: token missing, wrong or regenerated
  forbidden,             // 403: client-forbidden (app not in a Project / access level lacks the stream)
  bad_request,           // 400: X rejected the request itself (query options)
  no_rules,              // 409: ConnectionException / RuleConfigurationIssue
  rate_limited,          // 429: plain request-rate limit
  too_many_connections,  // 429: ConnectionException / TooManyConnections
  usage_cap_exceeded,    // 429: UsageCapExceeded (usage-capped), Daily or Monthly
  server_error,          // 5xx
  other,                 // any other status
};

[[nodiscard]] std::string_view to_string(http_class c) noexcept;

// Server text is data (issue 10): every string field below that comes from a body is printable — control
// bytes (a forged log line, a terminal escape) escaped as \xNN — and capped at this many bytes of the
// original text (common::log_sample), so it goes into a log line, an error or a message as it is.
inline constexpr std::size_t max_problem_text_bytes = 300;

// A non-200 connect answer, with the fields of its problem body that the policy and messages use.
// Fields absent from the body are empty strings; present ones are printable and capped (above). No field
// ever holds a token.
struct http_problem {
  int status = 0;
  http_class kind = http_class::other;
  std::string type;  // part after "/2/problems/", or the whole `type` when it has none ("about:blank")
  std::string title;
  std::string detail;
  std::string reason;               // 403: e.g. "client-not-enrolled"
  std::string required_enrollment;  // 403: e.g. "Standard Basic"
  std::string registration_url;     // 403
  std::string connection_issue;     // 409/429: "RuleConfigurationIssue", "TooManyConnections"
  std::string period;               // usage cap: "Daily" or "Monthly"
  std::optional<int> legacy_code;   // legacy `{"errors":[{"code":89,"message":..}]}` bodies
  std::string legacy_message;
  std::optional<std::int64_t> rate_limit_reset;  // x-rate-limit-reset, Unix seconds
  bool body_parsed = false;                      // false for an empty or non-JSON body
};

// Classifies a connect-time answer. `body` may be empty or garbage (then only the status decides);
// `rate_limit_reset` is the answer's x-rate-limit-reset as ingest/xapi/rate_limits parsed it (Unix
// seconds, clamped there), absent when the header was.
[[nodiscard]] http_problem classify_http(int status, std::string_view body,
                                         std::optional<std::int64_t> rate_limit_reset = std::nullopt);

// The `disconnect_type` values X documents for in-band notices (XAPI.md), and unknown for new ones.
enum class disconnect_type : std::uint8_t {
  operational_disconnect,
  upstream_operational_disconnect,
  force_disconnect,
  upstream_unclean_disconnect,
  slow_reader,
  internal_error,
  client_application_state_degraded,
  invalid_rules,
  unknown,
};

[[nodiscard]] std::string_view to_string(disconnect_type t) noexcept;  // X's spelling, "unknown" for unknown
[[nodiscard]] disconnect_type parse_disconnect_type(std::string_view x_spelling) noexcept;

// One in-band notice: the server closes the stream after it. Its strings are printable and capped like
// http_problem's.
struct in_band_notice {
  disconnect_type type = disconnect_type::unknown;
  std::string raw_type;  // disconnect_type as sent (kept for unknown ones), or the problem type suffix
  std::string detail;
};

// nullopt unless `line` is a JSON object with an `errors` array and no `data` (a `data` line that also
// carries `errors` is partial data, not a disconnect). An errors-only line without disconnect_type is
// still a notice, of type unknown.
[[nodiscard]] std::optional<in_band_notice> classify_in_band(std::string_view line);

// The part of a problem `type` URI after "/2/problems/"; the whole string when it has no such part.
[[nodiscard]] std::string_view problem_suffix(std::string_view type_uri) noexcept;

}  // namespace spillway::reconnect
