#include "ingest/reconnect/end_reason.hpp"

#include <fmt/format.h>

#include <type_traits>

namespace spillway::reconnect {
namespace {

end_class class_of_http(http_class c) noexcept {
  switch (c) {
    case http_class::unauthorized:
      return end_class::unauthorized;
    case http_class::forbidden:
      return end_class::forbidden;
    case http_class::bad_request:
      return end_class::bad_request;
    case http_class::no_rules:
      return end_class::no_rules;
    case http_class::rate_limited:
      return end_class::rate_limited;
    case http_class::too_many_connections:
      return end_class::too_many_connections;
    case http_class::usage_cap_exceeded:
      return end_class::usage_cap_exceeded;
    case http_class::server_error:
      return end_class::server_error;
    case http_class::other:
      return end_class::http_other;
  }
  return end_class::http_other;
}

// "HTTP 403 Client Forbidden (client-forbidden)" plus X's own words, when the body had them.
std::string http_head(const http_problem& p) {
  std::string head = fmt::format("HTTP {}", p.status);
  if (!p.title.empty()) head += " " + p.title;
  if (!p.type.empty() && p.type != "about:blank") head += fmt::format(" ({})", p.type);
  if (!p.detail.empty() && p.detail != p.title) head += fmt::format(": \"{}\"", p.detail);
  if (p.legacy_code) head += fmt::format(": \"{}\" (code {})", p.legacy_message, *p.legacy_code);
  if (!p.body_parsed) head += " (no problem body)";
  return head;
}

std::string describe_http(const http_problem& p) {
  const std::string head = http_head(p);
  switch (p.kind) {
    case http_class::unauthorized:
      return head +
             " — the Bearer token is missing, invalid or was regenerated: put the app's current Bearer token "
             "where auth.bearer_token_env / auth.bearer_token_file point (default X_BEARER_TOKEN), or with "
             "client credentials check the API key and secret (developer portal → the app → Keys and tokens)";
    case http_class::forbidden:
      return head +
             fmt::format(
                 " — reason {}, required enrollment {}: attach the app to a Project whose access "
                 "level includes the filtered stream (see {})",
                 p.reason.empty() ? "not given" : p.reason,
                 p.required_enrollment.empty() ? "not given" : p.required_enrollment,
                 p.registration_url.empty() ? "https://developer.x.com/en/portal/dashboard" : p.registration_url);
    case http_class::bad_request:
      return head +
             " — X rejected the stream request itself: fix the [stream] query options "
             "(fields, expansions, backfill_minutes) in the config";
    case http_class::no_rules:
      return head +
             " — the stream has no rules: add rules first (declare [[rules]] in the config and run "
             "`spillway rules sync --config FILE`, or set stream.rules_sync_on_start = true)";
    case http_class::rate_limited:
      return head +
             " — connect rate limit (50 per 15 min per app): waiting for the window to reset; "
             "check that no other client uses this app";
    case http_class::too_many_connections:
      return head +
             " — the app's connection limit is reached: our previous connection may still count for "
             "a few seconds, or another client holds the stream; stop the other client if it repeats";
    case http_class::usage_cap_exceeded:
      return head + fmt::format(
                        " — the {} Post cap is reached: backing off does not help; streaming resumes "
                        "when the period resets, or raise the cap in the developer portal",
                        p.period.empty() ? "usage" : p.period);
    case http_class::server_error:
      return head + " — X-side error, transient: retrying with exponential backoff (see https://status.x.com)";
    case http_class::other:
      break;
  }
  return head + " — unexpected status: retrying with exponential backoff; report it if it persists";
}

std::string describe_notice(const in_band_notice& n) {
  std::string line = fmt::format("X sent an in-band {} notice", n.raw_type.empty() ? "disconnect" : n.raw_type);
  if (!n.detail.empty()) line += fmt::format(" (\"{}\")", n.detail);
  line += " and closed the stream";
  switch (n.type) {
    case disconnect_type::slow_reader:
      return line + " — the client read too slowly and buffered Posts were lost: check CPU load and the reader thread";
    case disconnect_type::invalid_rules:
      return line + " — the stream's rules are invalid: validate them with dry_run and fix them";
    case disconnect_type::client_application_state_degraded:
      return line + " — the app's state is degraded on X's side: check the app in the developer portal";
    default:
      return line;
  }
}

}  // namespace

end_class class_of(const end_reason& reason) noexcept {
  return std::visit(
      [](const auto& r) noexcept {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, server_closed>) return end_class::server_closed;
        if constexpr (std::is_same_v<T, in_band_notice>) return end_class::in_band_notice;
        if constexpr (std::is_same_v<T, stall>) return end_class::stall;
        if constexpr (std::is_same_v<T, network_error>) return end_class::network_error;
        if constexpr (std::is_same_v<T, http_problem>) return class_of_http(r.kind);
        if constexpr (std::is_same_v<T, shutdown_requested>) return end_class::shutdown;
      },
      reason);
}

std::string_view to_string(end_class c) noexcept {
  constexpr std::string_view names[end_class_count] = {
      "server_closed",      "in_band_notice", "stall",      "network_error", "unauthorized",
      "forbidden",          "bad_request",    "no_rules",   "rate_limited",  "too_many_connections",
      "usage_cap_exceeded", "server_error",   "http_other", "shutdown"};
  return names[static_cast<std::size_t>(c)];
}

std::string_view to_string(network_layer layer) noexcept {
  switch (layer) {
    case network_layer::dns:
      return "DNS";
    case network_layer::tcp:
      return "TCP";
    case network_layer::tls:
      return "TLS";
    case network_layer::http:
      return "HTTP protocol";
  }
  return "network";
}

std::string describe(const end_reason& reason) {
  return std::visit(
      [](const auto& r) -> std::string {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, server_closed>) {
          return "X closed the established stream (X restarts servers routinely; nothing to fix unless it repeats)";
        } else if constexpr (std::is_same_v<T, in_band_notice>) {
          return describe_notice(r);
        } else if constexpr (std::is_same_v<T, stall>) {
          return fmt::format(
              "no complete line, not even a heartbeat, for {} ms: the connection is dead (or sends bytes that "
              "never end a line) — if this repeats, check the network path and any proxy's idle timeout",
              r.silent_for.count());
        } else if constexpr (std::is_same_v<T, network_error>) {
          // The message names the host and port (from stream.base_url); the fix depends on the layer.
          std::string_view fix;
          switch (r.layer) {
            case network_layer::dns: fix = "check DNS and the host name in stream.base_url"; break;
            case network_layer::tcp: fix = "check stream.base_url and that the host is reachable (firewall, proxy)"; break;
            case network_layer::tls: fix = "check the system CA certificates, or set stream.ca_file to the server's CA"; break;
            case network_layer::http: return fmt::format("{} error: {}", to_string(r.layer), r.message);
          }
          return fmt::format("{} error: {} — {}", to_string(r.layer), r.message, fix);
        } else if constexpr (std::is_same_v<T, http_problem>) {
          return describe_http(r);
        } else {
          return "shutdown requested — stopping the stream";
        }
      },
      reason);
}

}  // namespace spillway::reconnect
