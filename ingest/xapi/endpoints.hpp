#pragma once
// endpoints: the X API paths Spillway calls, each written once. Request targets, the rate-limit tracker's
// per-endpoint keys ("GET /2/tweets/search/stream/rules", also the metrics label) and the messages that
// name a call are all built from these. Constants and one pure function; any thread.
#include <string>
#include <string_view>

namespace spillway::ingest::paths {

inline constexpr std::string_view stream = "/2/tweets/search/stream";
inline constexpr std::string_view rules = "/2/tweets/search/stream/rules";
inline constexpr std::string_view rule_counts = "/2/tweets/search/stream/rules/counts";
inline constexpr std::string_view users_me = "/2/users/me";
// OAuth 2.0 app-only (client credentials): the app's Bearer token.
inline constexpr std::string_view app_token = "/oauth2/token";
// OAuth 2.0 user context: refresh_token grant (rotating refresh tokens).
inline constexpr std::string_view user_token = "/2/oauth2/token";
// Connections API: GET lists the app's streaming connections, DELETE (body {"uuids":[..]}) closes some;
// "/all" and "/{endpoint_id}" close every one, or every one of that endpoint.
inline constexpr std::string_view connections = "/2/connections";
inline constexpr std::string_view connections_all = "/2/connections/all";
// The project's Post consumption, cap and reset day.
inline constexpr std::string_view usage_tweets = "/2/usage/tweets";

// "GET /2/tweets/search/stream": one call as messages, the rate-limit tracker and the metrics name it.
[[nodiscard]] inline std::string call(std::string_view method, std::string_view path) {
  std::string out(method);
  out += ' ';
  out += path;
  return out;
}

}  // namespace spillway::ingest::paths
