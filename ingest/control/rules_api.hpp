#pragma once
// rules_api: the filtered stream's rules endpoints (GET/POST paths::rules) as calls that page, batch and
// respect the rate limits: before each call it waits rather than spend the last request of a window, and a
// 429 is waited out once (up to max_wait) before it becomes an error.
//
// Errors name the call, the cause and the fix (never the token), sorted by what the caller does:
// errc::refused (401/403: a human must fix the token or the app's access), errc::rejected (400),
// errc::rate_limited (the window stays spent), errc::network (no answer, 5xx), errc::protocol (an answer
// that is not the X API's).
//
// Owns: nothing but the token copy and counters. Thread: the caller's (blocking calls).
// Must outlive it: the http_client, the rate_limit_tracker and the stop_source (when given).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/settings.hpp"
#include "ingest/xapi/http_client.hpp"
#include "ingest/xapi/rate_limits.hpp"
#include "ingest/control/rules_plan.hpp"
#include "ingest/control/rules_response.hpp"

namespace spillway::ingest {

struct rules_api_options {
  std::size_t page_size = 1000;  // GET max_results (X: 1..1000)
  std::size_t batch_size = 100;  // rules (or ids) per POST
  std::chrono::seconds max_wait{16 * 60};  // longest rate-limit wait before giving up (a window is 15 min)
  // Ceilings of one listing, so that a server that keeps paging cannot grow the process without bound:
  // X allows at most 25,000 rules per app (Enterprise), i.e. 25 pages of 1,000 of at most 1,024 bytes.
  std::size_t max_pages = 100;
  std::size_t max_listing_bytes = 64 * 1024 * 1024;  // response bodies summed over the pages
};

class rules_api {
 public:
  // Sleeps for the given time; false when a stop request cut the wait short.
  using sleeper = std::function<bool(std::chrono::seconds)>;
  // sleep: the default sleeps on `stop` when one is given (so SIGTERM ends a rate-limit wait within
  // stop_poll_interval), else plainly.
  rules_api(http_client& client, rate_limit_tracker& limits, std::string bearer, rules_api_options options = {},
            sleeper sleep = {}, stop_source* stop = nullptr);

  // Each fails when a call failed; partial results stay in `out`. list() also fails (errc::protocol)
  // when the listing passes max_pages or max_listing_bytes, or X hands back a next_token it gave before.
  [[nodiscard]] common::result<void> list(std::vector<live_rule>& out);
  [[nodiscard]] common::result<void> add(const std::vector<config::rule_spec>& rules, bool dry_run, add_outcome& out);
  [[nodiscard]] common::result<void> remove(const std::vector<std::string>& ids, delete_outcome& out);

  [[nodiscard]] int requests() const { return requests_; }
  [[nodiscard]] std::chrono::seconds waited() const { return waited_; }

 private:
  common::result<http_response> call(const std::string& method, const std::string& target, const std::string& body);
  common::result<void> wait_for_window(const std::string& key, std::int64_t reset_hint);

  http_client& client_;
  rate_limit_tracker& limits_;
  std::string bearer_;
  rules_api_options options_;
  sleeper sleep_;
  int requests_ = 0;
  std::chrono::seconds waited_{0};
};

}  // namespace spillway::ingest
