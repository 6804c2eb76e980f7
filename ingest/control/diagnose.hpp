#pragma once
// diagnose: the 401/403/409/429/503 checklist as code. Runs each check against the configured base URL
// the way the service would meet it — the rules endpoint (which accepts app-only tokens) to validate the
// token and count rules, /2/users/me (which does NOT accept app-only tokens: a 403 there is expected), the
// rule-counts endpoint (access-level caps), the app's streaming connections and recent disconnect reasons
// (GET /2/connections), the project's usage against its cap (GET /2/usage/tweets), and one brief stream connect (costs one of the 50 connects per
// 15 minutes) — and records a finding with cause and fix for each, plus every rate-limit header seen.
//
// Thread: the caller's (blocking, bounded by the timeout per request). Owns its findings.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "ingest/xapi/rate_limits.hpp"

namespace spillway::ingest {

enum class finding_level : std::uint8_t { ok, info, skipped, action };
[[nodiscard]] const char* to_string(finding_level level) noexcept;

struct finding {
  std::string check;  // short id: "token", "stream_connect", ...
  finding_level level = finding_level::ok;
  std::string summary;
  std::string cause;  // empty for ok
  std::string fix;    // empty for ok / info that needs nothing
};

struct diagnose_report {
  std::vector<finding> findings;
  rate_limit_tracker limits;  // per endpoint, as the responses said
  std::int64_t checked_at = 0;  // Unix seconds

  [[nodiscard]] bool healthy() const;
};

// offline: skip the status page (the only call outside stream.base_url).
[[nodiscard]] diagnose_report run_diagnose(const config::settings& settings, std::chrono::milliseconds timeout,
                                           bool offline = false);

// The status-page check (diagnose_status_page.cpp): GET diagnose.status_url (statuspage.io JSON).
// Unreachable or not statuspage JSON → skipped; indicator none → ok; minor → info; major/critical →
// action, each with cause and fix.
[[nodiscard]] finding check_status_page(const std::string& url, const std::string& ca_file,
                                        std::chrono::milliseconds timeout);
[[nodiscard]] finding evaluate_status_page(const std::string& url, int status, const std::string& body);

[[nodiscard]] std::string render_diagnose_text(const diagnose_report& report);
[[nodiscard]] std::string render_diagnose_json(const diagnose_report& report);

}  // namespace spillway::ingest
