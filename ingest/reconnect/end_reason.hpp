#pragma once
// end_reason: the one typed reason a stream session ended with. The stream session (the lead's reader
// loop) builds it; the supervisor decides from it; describe() turns it into the one-line message with
// the fix that the log and `spillway` exit messages show.
//
// Plain values, no I/O: build and read on any thread. Nothing here may hold a secret: network error texts
// come from the OS/TLS library and problem bodies from X, neither of which echoes the token.

#include "ingest/reconnect/problem.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace spillway::reconnect {

// An established stream (HTTP 200 and the body open) ended without an in-band notice: EOF, or the
// connection closed by the peer after it was established.
struct server_closed {};

// No byte at all (heartbeats count as bytes) within reconnect.stall_timeout.
struct stall {
  std::chrono::milliseconds silent_for{0};
};

enum class network_layer : std::uint8_t { dns, tcp, tls, http };  // http: malformed response / framing

struct network_error {
  network_layer layer = network_layer::tcp;
  std::string message;  // e.g. the error_code's message(); never a token
};

// The process is stopping (SIGTERM/SIGINT): not a failure.
struct shutdown_requested {};

// A non-200 connect answer is an http_problem (problem.hpp); an in-band notice an in_band_notice.
using end_reason = std::variant<server_closed, in_band_notice, stall, network_error, http_problem, shutdown_requested>;

// The label for metrics ("connects/disconnects by reason") and the policy's switch.
enum class end_class : std::uint8_t {
  server_closed,
  in_band_notice,
  stall,
  network_error,
  unauthorized,
  forbidden,
  bad_request,
  no_rules,
  rate_limited,
  too_many_connections,
  usage_cap_exceeded,
  server_error,
  http_other,
  shutdown,
};
inline constexpr std::size_t end_class_count = static_cast<std::size_t>(end_class::shutdown) + 1;

[[nodiscard]] end_class class_of(const end_reason& reason) noexcept;
[[nodiscard]] std::string_view to_string(end_class c) noexcept;  // snake_case metric label
[[nodiscard]] std::string_view to_string(network_layer layer) noexcept;

// One line: what happened, then what to do about it (e.g. 401 → put the app's current Bearer token where
// the auth options point). Ends without a period so callers may append the chosen wait.
[[nodiscard]] std::string describe(const end_reason& reason);

}  // namespace spillway::reconnect
