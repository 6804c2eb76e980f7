#include "bench/emu/api_router.hpp"

#include "bench/emu/connections_endpoints.hpp"
#include "bench/emu/search_endpoint.hpp"
#include "bench/emu/status_page.hpp"

namespace spillway::emu {
namespace {

constexpr std::string_view kStreamPath = "/2/tweets/search/stream";
constexpr std::string_view kRulesPath = "/2/tweets/search/stream/rules";
constexpr std::string_view kCountsPath = "/2/tweets/search/stream/rules/counts";
constexpr std::string_view kUsersMePath = "/2/users/me";
constexpr std::string_view kAppTokenPath = "/oauth2/token";     // X's app-only token endpoint (v1.1 host path)
constexpr std::string_view kUserTokenPath = "/2/oauth2/token";  // X's OAuth 2.0 user token endpoint
constexpr std::string_view kStatusPath = "/api/v2/status.json";

ApiAnswer reply(int status, std::string outcome, std::string response, const RateLimitInfo& rl = {}) {
  return ApiAnswer{false, rl, status, std::move(outcome), std::move(response), {}};
}

ApiAnswer error(int status, std::string outcome, std::string_view body, const RouteClock& now, const RateLimitInfo& rl) {
  return reply(status, std::move(outcome), error_response(status, body, now.unix_ms / 1000, rl), rl);
}

ApiAnswer token_reply(const TokenEndpoints::Reply& r, std::string outcome, const RouteClock& now) {
  return reply(r.status, std::move(outcome), json_response(r.status, r.text(), now.unix_ms / 1000));
}

ApiAnswer users_me(ServerState& st, const ApiRequest& req, const RouteClock& now) {
  const auto v = st.users_me_window.on_request(now.unix_ms / 1000);
  if (!v.allowed) return error(429, "rate_limited", x_body::rate_limited_429, now, v.info);
  switch (st.tokens.classify(req.authorization, now.mono_ms)) {
    case TokenEndpoints::Kind::user_current:
      return reply(200, "users_me", json_response(200, x_body::users_me_200, now.unix_ms / 1000, v.info), v.info);
    case TokenEndpoints::Kind::user_stale:
      return error(401, "unauthorized", x_body::unauthorized_401, now, v.info);
    case TokenEndpoints::Kind::other:
      break;
  }
  if (st.config.bearer && req.authorization != "Bearer " + *st.config.bearer)
    return error(401, "unauthorized", x_body::unauthorized_401, now, v.info);
  // Any other token the emulator accepts is app-only; X refuses those here (a user token is needed).
  return error(403, "unsupported_authentication", x_body::unsupported_auth_403, now, v.info);
}

ApiAnswer rules(ServerState& st, const ApiRequest& req, const RouteClock& now) {
  const bool get = req.method == "GET";
  const bool counts = req.path == kCountsPath;
  const auto v = (get ? st.rules_get_window : st.rules_post_window).on_request(now.unix_ms / 1000);
  if (!v.allowed) return error(429, "rate_limited", x_body::rate_limited_429, now, v.info);
  const auto r = counts ? st.rules.counts()
                 : get  ? st.rules.get(req.query, now.unix_ms)
                        : st.rules.post(req.query, req.body, now.unix_ms);
  std::string outcome = counts ? "rules_counts" : get ? "rules_get" : "rules_post";
  if (r.problem) return error(r.status, std::move(outcome), r.body, now, v.info);
  return reply(r.status, std::move(outcome), json_response(r.status, r.body, now.unix_ms / 1000, v.info), v.info);
}

ApiAnswer stream(ServerState& st, const ApiRequest& req, const RouteClock& now) {
  const RateLimitInfo current = st.window.peek(now.unix_ms / 1000);
  if (auto f = st.faults.on_connect(st.feed.taken(), now.since_start)) {
    RateLimitInfo rl = current;
    if (f->body == x_body::rate_limited_429) rl.remaining = 0;  // as if the window were spent
    return error(f->status, "fault_status", f->body, now, rl);
  }
  if (st.config.require_rules && st.rules.size() == 0)
    return error(409, "no_rules", x_body::no_rules_409, now, current);
  const auto recovery = read_recovery_window(req.query, st.caps.recovery, now.unix_ms);
  if (const auto* r = std::get_if<RecoveryRefusal>(&recovery)) return error(r->status, "recovery_refused", r->body, now, current);
  const auto v = st.window.on_request(now.unix_ms / 1000);
  if (!v.allowed) return error(429, "rate_limited", x_body::rate_limited_429, now, v.info);
  if (!st.slots.try_acquire(now.mono_ms))
    return error(429, "too_many_connections", x_body::too_many_connections_429, now, v.info);
  const auto& window = std::get<std::optional<RecoveryWindow>>(recovery);
  return ApiAnswer{true, v.info, 200, window ? "recovery" : "stream", {}, window};
}

}  // namespace

ApiAnswer route_request(ServerState& st, const ApiRequest& req, const RouteClock& now) {
  if (auto control = route_control(st, req, now)) return std::move(*control);  // /2/connections, /2/usage/tweets
  const bool is_stream = req.path == kStreamPath;
  const bool is_rules = req.path == kRulesPath || req.path == kCountsPath;
  const bool is_app_token = req.path == kAppTokenPath && st.tokens.app_enabled();
  const bool is_user_token = req.path == kUserTokenPath && st.tokens.user_enabled();
  const bool is_token = is_app_token || is_user_token;
  const bool is_search = req.path == kSearchRecentPath || req.path == kSearchAllPath;
  const bool is_get_only = is_stream || is_search || req.path == kCountsPath || req.path == kUsersMePath || req.path == kStatusPath;
  const RateLimitInfo current = st.window.peek(now.unix_ms / 1000);
  if (!is_get_only && !is_token && req.path != kRulesPath)
    return error(404, "not_found", x_body::not_found_404, now, current);
  const bool method_ok = is_token ? req.method == "POST"
                         : is_get_only ? req.method == "GET"
                                       : req.method == "GET" || req.method == "POST";
  if (!method_ok) return error(405, "method_not_allowed", x_body::method_not_allowed_405, now, current);
  if (req.path == kStatusPath)
    return reply(200, "status_page", json_response(200, status_page_body(st.config.status, st.base_url), now.unix_ms / 1000));
  if (is_app_token) return token_reply(st.tokens.client_credentials(req.authorization, req.body), "app_token", now);
  if (is_user_token) return token_reply(st.tokens.refresh(req.authorization, req.body, now.mono_ms), "user_token", now);
  if (req.path == kUsersMePath) return users_me(st, req, now);
  // Compared whole: a missing header, another scheme, or another token are all 401 at X.
  if (st.config.bearer && req.authorization != "Bearer " + *st.config.bearer)
    return error(401, "unauthorized", x_body::unauthorized_401, now, current);
  if (is_search) return search_posts(st, req, now);
  if (!st.caps.filtered_stream) {
    const RateLimitInfo rl = !is_rules ? current
                             : req.method == "GET" ? st.rules_get_window.peek(now.unix_ms / 1000)
                                                   : st.rules_post_window.peek(now.unix_ms / 1000);
    return error(403, "access_forbidden", x_body::access_forbidden_403, now, rl);
  }
  if (!is_rules && st.usage.capped()) return usage_capped_answer(st, now);
  return is_rules ? rules(st, req, now) : stream(st, req, now);
}

}  // namespace spillway::emu
