#include "ingest/control/diagnose.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <memory>

#include "common/log.hpp"
#include "ingest/auth/app_token_source.hpp"
#include "ingest/auth/user_token_source.hpp"
#include "ingest/control/connections_api.hpp"
#include "ingest/control/diagnose_explain.hpp"
#include "ingest/control/usage_api.hpp"
#include "ingest/reconnect/problem.hpp"
#include "ingest/auth/bearer_token.hpp"
#include "ingest/control/rules_sync.hpp"
#include "ingest/xapi/endpoints.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {
namespace {

const std::string kRules(paths::rules);
const std::string kUsersMe(paths::users_me);
const std::string kCounts(paths::rule_counts);
// X's usernames are at most 15 characters; anything longer is not X's and is cut.
constexpr std::size_t kMaxUsernameBytes = 64;

reconnect::http_problem classify(const http_response& r) { return reconnect::classify_http(r.status, r.body, r.rate.reset); }

finding refused(const std::string& check, const http_response& r, const std::string& call, std::int64_t now) {
  const auto e = explain_refusal(classify(r), call, now);
  return {check, finding_level::action, call + " → HTTP " + std::to_string(r.status), e.cause, e.fix};
}

class checker {
 public:
  checker(diagnose_report& report, http_client& client, std::string bearer)
      : report_(report), client_(client), bearer_(std::move(bearer)) {}

  // False when the network itself failed (the finding is recorded; later checks would only repeat it).
  bool get(const std::string& check, const std::string& path, http_response& out, bool header_only = false) {
    return get_as(check, path, bearer_, out, header_only);
  }
  bool get_as(const std::string& check, const std::string& path, const std::string& bearer, http_response& out,
              bool header_only = false) {
    auto answer = client_.send({"GET", path, "", bearer, header_only});
    const std::string call = paths::call("GET", path.substr(0, path.find('?')));
    if (!answer) {
      add({check, finding_level::action, call + " failed before X answered", answer.error().message,
           "fix the network path to " + client_.peer().host + " (DNS, firewall, proxy, TLS trust) and run diagnose again"});
      return false;
    }
    out = std::move(*answer);
    report_.limits.record(call, out.rate);
    return true;
  }
  void add(finding f) { report_.findings.push_back(std::move(f)); }
  http_client& client() { return client_; }
  const std::string& bearer() const { return bearer_; }
  rate_limit_tracker& limits() { return report_.limits; }
  std::int64_t now() const { return report_.checked_at; }

 private:
  diagnose_report& report_;
  http_client& client_;
  std::string bearer_;
};

enum class token_state : std::uint8_t { unreachable, refused, accepted };

token_state check_token_and_rules(checker& c) {
  http_response r;
  std::string target = kRules;
  append_query(target, "max_results", "1000");
  if (!c.get("token", target, r)) return token_state::unreachable;
  if (r.status != 200) {
    c.add(refused("token", r, paths::call("GET", kRules) + " (accepts app-only tokens)", c.now()));
    return token_state::refused;
  }
  c.add({"token", finding_level::ok, "the Bearer token works: " + paths::call("GET", kRules) + " answered 200", "", ""});
  rapidjson::Document d;
  d.Parse(r.body.data(), r.body.size());
  std::int64_t count = 0;
  bool more = false;
  if (!d.HasParseError() && d.IsObject() && d.HasMember("meta") && d["meta"].IsObject()) {
    const auto& meta = d["meta"];
    if (meta.HasMember("result_count") && meta["result_count"].IsInt64()) count = meta["result_count"].GetInt64();
    more = meta.HasMember("next_token");
  }
  if (count == 0)
    c.add({"rules", finding_level::action, "no rules are live",
           "the filtered stream refuses to connect without rules (HTTP 409 RuleConfigurationIssue)",
           "declare [[rules]] in the config and run `spillway rules sync --config FILE`"});
  else
    c.add({"rules", finding_level::ok, std::to_string(count) + (more ? "+" : "") + (count == 1 && !more ? " rule is live" : " rules are live"), "", ""});
  return token_state::accepted;
}

void check_user_context(checker& c) {
  http_response r;
  if (!c.get("user_context", kUsersMe, r)) return;
  const auto p = classify(r);
  if (r.status == 200)
    c.add({"user_context", finding_level::info, "the token is a user-context token (" + kUsersMe + " answered 200)", "", ""});
  else if (r.status == 403)
    c.add({"user_context", finding_level::info,
           paths::call("GET", kUsersMe) + " answered 403" + (p.type.empty() ? std::string() : " (" + p.type + ")") +
               ": it needs a user token",
           kUsersMe + " only accepts user-context tokens (OAuth 2.0 user or OAuth 1.0a); an app-only Bearer "
           "token is refused there by design. This does NOT mean the token is bad: the stream and its rules "
           "take app-only tokens",
           "nothing for the stream; use a user token only for user-context endpoints"});
  else if (r.status == 404)
    c.add({"user_context", finding_level::skipped, paths::call("GET", kUsersMe) + " is not served at stream.base_url", "", ""});
  else
    c.add(refused("user_context", r, paths::call("GET", kUsersMe), c.now()));
}

// With auth.user_token_file: /2/users/me with the user's token (refreshed first when due), where 200 is
// the healthy answer. The refresh itself is a check: a spent refresh token must be found here, not at 3 am.
void check_user_token(checker& c, const config::settings& s) {
  auth::user_token_source user(s.auth, c.client(), c.limits());
  const auto token = user.access_token(c.now());
  if (!token) {
    c.add({"user_token", finding_level::action, "the OAuth 2.0 user token is not usable", token.error().message,
           "see the cause; `spillway auth status --config FILE` shows the token store"});
    return;
  }
  http_response r;
  if (!c.get_as("user_token", kUsersMe, *token, r)) return;
  if (r.status == 200) {
    rapidjson::Document d;
    d.Parse(r.body.data(), r.body.size());
    std::string who;
    if (!d.HasParseError() && d.IsObject() && d.HasMember("data") && d["data"].IsObject() &&
        d["data"].HasMember("username") && d["data"]["username"].IsString())
      who = " as @" + common::log_sample({d["data"]["username"].GetString(), d["data"]["username"].GetStringLength()},
                                         kMaxUsernameBytes);  // server text: escaped, capped
    c.add({"user_token", finding_level::ok,
           "the OAuth 2.0 user token works: " + paths::call("GET", kUsersMe) + " answered 200" + who, "", ""});
    return;
  }
  auto f = refused("user_token", r, paths::call("GET", kUsersMe) + " with the user token", c.now());
  if (r.status == 401)
    f.fix = "run `spillway auth refresh --config FILE`; if X refuses the refresh, re-authorize the user and write "
            "a new token file (auth.user_token_file)";
  c.add(std::move(f));
}

void check_access_level(checker& c) {
  http_response r;
  if (!c.get("access_level", kCounts, r)) return;
  if (r.status == 200) {
    rapidjson::Document d;
    d.Parse(r.body.data(), r.body.size());
    const rapidjson::Value* data = !d.HasParseError() && d.IsObject() && d.HasMember("data") && d["data"].IsObject()
                                       ? &d["data"] : nullptr;
    auto number = [&](const rapidjson::Value* obj, const char* key) -> std::int64_t {
      return obj && obj->HasMember(key) && (*obj)[key].IsInt64() ? (*obj)[key].GetInt64() : -1;
    };
    const std::int64_t cap = number(data, "cap_per_client_app");
    const rapidjson::Value* app = data && data->HasMember("client_app_rules_count") && (*data)["client_app_rules_count"].IsObject()
                                      ? &(*data)["client_app_rules_count"] : nullptr;
    const std::int64_t used = number(app, "rule_count");
    if (cap < 0 || used < 0) {
      c.add({"access_level", finding_level::info, paths::call("GET", kCounts) + " answered 200 without "
             "cap_per_client_app / client_app_rules_count; the access level could not be read", "", ""});
    } else {
      // X's caps tell the access level: 1,000 rules (self-serve and pay-per-use) vs 25,000+ (Enterprise).
      const std::string s = std::to_string(used) + " of " + std::to_string(cap) + " rules used by this app (" +
                            (cap >= 25000 ? "Enterprise-sized cap" : "self-serve / pay-per-use cap") + ")";
      if (used >= cap)
        c.add({"access_level", finding_level::action, s, "the app is at its rule cap: adds fail with RulesCapExceeded",
               "delete rules you no longer need (`spillway rules sync` with fewer [[rules]]) or move to a plan with a higher cap"});
      else
        c.add({"access_level", finding_level::ok, s, "", ""});
    }
  }
  else if (r.status == 404)
    c.add({"access_level", finding_level::skipped,
           paths::call("GET", kCounts) + " is not served at stream.base_url; the stream connect's "
           "403 body (below) names the required access level when it is lacking", "", ""});
  else
    c.add({"access_level", finding_level::info,
           paths::call("GET", kCounts) + " answered " + std::to_string(r.status) +
               "; the access level could not be read from it", one_line(explain_refusal(classify(r), kCounts, c.now())), ""});
}

void check_stream(checker& c, const config::settings& s) {
  http_response r;
  stream_query q{s.stream.tweet_fields, s.stream.expansions, s.stream.user_fields, s.stream.media_fields, 0};
  if (!c.get("stream_connect", stream_target(q), r, true)) return;
  if (r.status == 200)
    c.add({"stream_connect", finding_level::ok, "the stream opened (HTTP 200) and was closed again at once", "", ""});
  else
    c.add(refused("stream_connect", r, paths::call("GET", paths::stream), c.now()));
}

// The app's streaming connections (Connections API): the open ones, and the reasons the latest closed ones
// ended. Informational: whether an open one is stale only the operator knows (`spillway connections`).
void check_connections(checker& c) {
  connections_api api(c.client(), c.limits(), c.bearer());
  const auto listed = api.list(connection_status::all);
  if (!listed) {
    const bool absent = listed.error().is(common::errc::protocol);
    c.add({"connections", absent ? finding_level::skipped : finding_level::info,
           "the app's streaming connections could not be listed (GET /2/connections)", listed.error().message, ""});
    return;
  }
  std::vector<stream_connection> open, closed;
  for (const auto& conn : *listed) (conn.disconnected_at.empty() ? open : closed).push_back(conn);
  constexpr std::size_t recent = 5;  // the newest closed ones are last in X's (and the emulator's) order
  if (closed.size() > recent) closed.erase(closed.begin(), closed.end() - recent);
  std::string summary = render_connections(open, connection_status::active);
  if (!closed.empty()) summary += "recent disconnects: " + render_connections(closed, connection_status::inactive);
  while (!summary.empty() && summary.back() == '\n') summary.pop_back();
  c.add({"connections", finding_level::info, summary, "",
         open.empty() ? "" : "a connection no running Spillway owns holds a slot (429 TooManyConnections): close it with "
                             "`spillway connections kill ID`, or set reconnect.close_stale_connections = true"});
}

// The project's Post consumption against its cap (GET /2/usage/tweets): action from 95%, a note from 80%.
void check_usage(checker& c) {
  const auto usage = fetch_usage(c.client(), c.limits(), c.bearer());
  if (!usage) {
    const bool absent = usage.error().is(common::errc::protocol);
    c.add({"usage", absent ? finding_level::skipped : finding_level::info,
           "the project's usage could not be read (GET /2/usage/tweets)", usage.error().message, ""});
    return;
  }
  const auto now = std::chrono::system_clock::now();
  const std::string s = describe_usage(*usage, now);
  switch (level_of(*usage)) {
    case usage_level::error:
      c.add({"usage", finding_level::action, s, "at 95% of the project's Post cap; at 100% X refuses the stream (429 "
             "UsageCapExceeded) until the reset", "raise the cap in the developer portal, or narrow the rules"});
      break;
    case usage_level::warning:
      c.add({"usage", finding_level::info, s + " — past 80% of the cap", "", "watch spillway_usage_posts_consumed"});
      break;
    case usage_level::ok:
      c.add({"usage", finding_level::ok, s, "", ""});
      break;
  }
}

void explain_rate_limits(diagnose_report& report) {
  for (const auto& [ep, h] : report.limits.all()) {
    std::string s = ep + ": ";
    s += h.remaining ? std::to_string(*h.remaining) : std::string("?");
    s += " of " + (h.limit ? std::to_string(*h.limit) : std::string("?")) + " requests left in this window";
    if (h.reset) s += "; the window resets at " + describe_reset(*h.reset, report.checked_at);
    if (h.remaining && *h.remaining == 0)
      report.findings.push_back({"rate_limits", finding_level::action, s,
                                 "x-rate-limit-remaining is 0: every further call is refused with 429 until the reset",
                                 "wait until the reset time; then find what spends this app's requests (another process, "
                                 "a restart loop) — X counts them per app across all its clients"});
    else
      report.findings.push_back({"rate_limits", finding_level::info, s, "", ""});
  }
}

}  // namespace

const char* to_string(finding_level level) noexcept {
  switch (level) {
    case finding_level::ok: return "ok";
    case finding_level::info: return "info";
    case finding_level::skipped: return "skipped";
    case finding_level::action: return "action";
  }
  return "?";
}

bool diagnose_report::healthy() const {
  return std::none_of(findings.begin(), findings.end(), [](const finding& f) { return f.level == finding_level::action; });
}

diagnose_report run_diagnose(const config::settings& s, std::chrono::milliseconds timeout, bool offline) {
  diagnose_report report;
  report.checked_at = unix_now_s();
  if (offline || s.diagnose.status_url.empty())
    report.findings.push_back({"status_page", finding_level::skipped,
                               offline ? "status page not checked (--offline)" : "status page not checked (diagnose.status_url is empty)",
                               "", "look at the X API status page by hand when X answers 5xx"});
  else
    report.findings.push_back(check_status_page(s.diagnose.status_url, s.stream.ca_file,
                                                std::min(timeout, std::chrono::milliseconds(5000))));
  auto client = make_control_client(s, timeout);
  if (!client) {
    report.findings.push_back({"base_url", finding_level::action, "cannot build a client for stream.base_url",
                               client.error().message, "correct stream.base_url / stream.ca_file"});
    return report;
  }
  auth::app_token_source app(s, &report.limits);
  const auto bearer = app.token();
  if (!bearer) {
    report.findings.push_back({"token", finding_level::action, "no app-only Bearer token from " + app.describe(),
                               bearer.error().message, "see the cause"});
    explain_rate_limits(report);
    return report;
  }
  checker c(report, *client, *bearer);
  const token_state token = check_token_and_rules(c);
  // With a refused token the user/access probes would only repeat that finding; the stream is still
  // opened, because its answer (e.g. 403 with the required access level) is what the service will see.
  if (token == token_state::accepted) {
    if (s.auth.user_token_file.empty()) check_user_context(c);
    check_access_level(c);
  }
  if (!s.auth.user_token_file.empty() && token != token_state::unreachable) check_user_token(c, s);
  if (token == token_state::accepted) {
    check_connections(c);
    check_usage(c);
  }
  if (token != token_state::unreachable) check_stream(c, s);
  explain_rate_limits(report);
  return report;
}

}  // namespace spillway::ingest
