#include "ingest/control/diagnose_explain.hpp"

#include "ingest/xapi/rate_limits.hpp"

namespace spillway::ingest {
namespace {

using reconnect::http_class;

std::string said(const reconnect::http_problem& p) {
  std::string s;
  if (!p.title.empty()) s += p.title;
  if (!p.detail.empty() && p.detail != p.title) s += (s.empty() ? "" : ": ") + p.detail;
  if (!p.legacy_message.empty()) s += (s.empty() ? "" : "; ") + p.legacy_message;
  return s.empty() ? std::string() : " (X said: " + s + ")";
}

std::string reset_clause(const reconnect::http_problem& p, std::int64_t now) {
  if (!p.rate_limit_reset) return "; X sent no x-rate-limit-reset header, so wait at least 15 minutes";
  return "; the window resets at " + describe_reset(*p.rate_limit_reset, now);
}

}  // namespace

explanation explain_refusal(const reconnect::http_problem& p, std::string_view call, std::int64_t now) {
  const std::string head = std::string(call) + " answered HTTP " + std::to_string(p.status);
  switch (p.kind) {
    case http_class::unauthorized:
      return {head + ": the Bearer token is missing, wrong, revoked or was regenerated" + said(p),
              "copy the app's current Bearer token from the X developer portal (Keys and tokens) into the "
              "variable named by auth.bearer_token_env or the file auth.bearer_token_file; regenerating keys "
              "invalidates the old token"};
    case http_class::forbidden: {
      std::string cause = head + ": the token is valid but this app may not use this endpoint" + said(p);
      if (!p.reason.empty()) cause += "; reason: " + p.reason;
      if (!p.required_enrollment.empty()) cause += "; required access: " + p.required_enrollment;
      std::string fix = p.reason == "client-not-enrolled"
                            ? "attach the app to a Project in the developer portal and make sure the Project has "
                              "an access level that includes the filtered stream"
                            : "check the app's Project and access level in the developer portal; the filtered "
                              "stream needs Pro, Enterprise or pay-per-use access";
      if (!p.registration_url.empty()) fix += " (see " + p.registration_url + ")";
      return {cause, fix};
    }
    case http_class::no_rules:
      return {head + ": the stream has no rules, so X will not open it" + said(p),
              "declare [[rules]] in the config and run `spillway rules sync --config FILE` (or set "
              "stream.rules_sync_on_start = true)"};
    case http_class::rate_limited:
      return {head + ": the request-rate window is spent" + said(p) + reset_clause(p, now),
              "wait for the reset before calling again; check that no other process (or a restart loop) "
              "is using the same app's limits"};
    case http_class::too_many_connections:
      return {head + ": the app already holds its maximum number of stream connections" + said(p),
              "stop the other consumer of this app's stream (another spillway, a script, a stale process); "
              "X releases a dropped connection after a short delay"};
    case http_class::usage_cap_exceeded:
      return {head + ": the " + (p.period.empty() ? std::string("usage") : p.period) +
                  " Post cap of the app's plan is used up" + said(p),
              "wait for the cap period to reset or raise the plan's cap in the developer portal"};
    case http_class::server_error:
      return {head + ": X (or a proxy in front of it) is failing on its side" + said(p),
              "nothing to change here: retry with backoff (`run` does this) and check the X API status page"};
    case http_class::bad_request:
      return {head + ": X rejected the request itself" + said(p),
              "check stream.tweet_fields, expansions, user_fields and media_fields against X's documented "
              "values"};
    case http_class::other:
      break;
  }
  return {head + ": an answer this tool does not know" + said(p),
          "check stream.base_url points at the X API, and retry"};
}

std::string one_line(const explanation& e) { return e.cause + ". Fix: " + e.fix; }

common::errc errc_for_refusal(reconnect::http_class kind) noexcept {
  using reconnect::http_class;
  switch (kind) {
    case http_class::unauthorized:
    case http_class::forbidden: return common::errc::refused;
    case http_class::bad_request: return common::errc::rejected;
    case http_class::rate_limited:
    case http_class::too_many_connections:
    case http_class::usage_cap_exceeded: return common::errc::rate_limited;
    case http_class::server_error: return common::errc::network;
    case http_class::no_rules:
    case http_class::other: break;
  }
  return common::errc::protocol;
}

}  // namespace spillway::ingest
