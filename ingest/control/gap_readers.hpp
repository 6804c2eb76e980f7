#pragma once
// gap_readers: the two ways X lets a client read a gap's Posts again (XAPI.md "Healing longer gaps"), as
// blocking calls that hand each Post to the caller as it arrives:
//   - recover(): a Recovery connection — the filtered stream with start_time/end_time (Enterprise, ≤ 24 h
//     back) — which re-streams the window oldest first with matching_rules, then ends its body;
//   - search_reader: GET /2/tweets/search/recent for one query over a window, every page (next_token),
//     waiting out the rate limit (x-rate-limit-* headers, or a 429 until its reset) instead of failing.
// Errors name the call, the cause and the fix, never the token: errc::refused (401/403), errc::rejected
// (400: e.g. an operator search lacks), errc::rate_limited (429 TooManyConnections on a Recovery connect,
// or a wait longer than max_wait), errc::network, errc::protocol.
//
// Owns: nothing but counters. Thread: the caller's (the healer thread). Must outlive it: the http_client,
// the rate_limit_tracker and the stop_source.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "config/settings.hpp"
#include "ingest/xapi/http_client.hpp"
#include "ingest/xapi/rate_limits.hpp"
#include "ingest/xapi/stop_source.hpp"

namespace spillway::ingest {

using heal_clock = std::chrono::system_clock;

// "2026-12-02T05:10:00Z": X's start_time/end_time. The window's start is rounded down and its end up to
// the second, so nothing inside [from, to) is left out (what the edges add again is dropped by id).
[[nodiscard]] std::string iso_time_floor(heal_clock::time_point t);
[[nodiscard]] std::string iso_time_ceil(heal_clock::time_point t);

// The stream target with the configured fields and the window (stream.tweet_fields etc.).
[[nodiscard]] std::string recovery_target(const config::settings& cfg, heal_clock::time_point from,
                                          heal_clock::time_point to);

// Reads the Recovery stream for `target` and hands each non-empty line (without "\r\n") to `on_line`;
// false from on_line stops early (errc::network "stopped by the caller"). Ends when X ends the body.
[[nodiscard]] common::result<void> recover(http_client& client, const std::string& bearer, const std::string& target,
                                           const std::function<bool(std::string_view)>& on_line);

struct search_options {
  std::size_t max_results = 100;           // per page (recent: 10..100)
  std::chrono::seconds max_wait{16 * 60};  // the longest rate-limit wait before giving up (a window is 15 min)
};

class search_reader {
 public:
  search_reader(http_client& client, rate_limit_tracker& limits, std::string bearer, stop_source* stop,
                search_options options = {});

  // Every Post `query` finds in [from, to), newest first, page by page: on_post(id, data_json) per Post;
  // false stops (the budget is spent). `resume_token` starts at that page (a restart); on_page(next_token)
  // after each page the caller has taken in full ("" after the last).
  [[nodiscard]] common::result<void> search(const std::string& query, heal_clock::time_point from,
                                            heal_clock::time_point to, const std::string& resume_token,
                                            const std::function<bool(std::string_view, std::string_view)>& on_post,
                                            const std::function<void(const std::string&)>& on_page);

  [[nodiscard]] std::uint64_t requests() const noexcept { return requests_; }
  [[nodiscard]] std::chrono::seconds waited() const noexcept { return waited_; }

 private:
  [[nodiscard]] common::result<http_response> get(const std::string& target);

  http_client& client_;
  rate_limit_tracker& limits_;
  std::string bearer_;
  stop_source* stop_;
  search_options options_;
  std::uint64_t requests_ = 0;
  std::chrono::seconds waited_{0};
};

}  // namespace spillway::ingest
