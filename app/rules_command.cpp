// `spillway rules list|diff|sync [--dry-run] --config FILE`.
// Exit codes: 0 done (diff: in sync) · 1 diff found changes, or sync left invalid/duplicate rules, or a
// network failure · 2 bad config or no token · 3 X refused the token or the app (401/403), or the
// client-credentials grant was refused.
#include <spdlog/spdlog.h>

#include <iostream>

#include "config/loader.hpp"
#include "app/commands.hpp"
#include "ingest/auth/app_token_source.hpp"
#include "ingest/control/rules_sync.hpp"

namespace spillway::app {

int rules_command(const std::string& action, const std::string& config_path, bool dry_run) {
  const config::settings cfg = config::load_settings(config_path);  // throws config_error → exit 2 in main
  std::string error;
  ingest::rate_limit_tracker limits;
  ingest::auth::app_token_source app(cfg, &limits);
  ingest::auth::auth_error failure;
  const auto bearer = app.token(failure);
  if (!bearer) {
    spdlog::error("{}", failure.message);
    return failure.exit_code();
  }
  auto client = ingest::make_control_client(
      cfg, std::max(cfg.stream.connect_timeout, std::chrono::milliseconds(30000)), error);
  if (!client) {
    spdlog::error("{}", error);
    return 2;
  }
  ingest::rules_api api(*client, limits, *bearer);
  // 401/403 carry their HTTP status in the message ("answered HTTP 401"): that is what exit 3 means.
  auto failed = [&](const std::string& what) {
    spdlog::error("rules {}: {}", action, what);
    const bool refused = what.find("HTTP 401") != std::string::npos || what.find("HTTP 403") != std::string::npos;
    return refused ? 3 : 1;
  };
  if (action == "list") {
    std::vector<ingest::live_rule> live;
    if (!api.list(live, error)) return failed(error);
    std::cout << ingest::render_rules(live);
    return 0;
  }
  if (action == "diff") {
    std::vector<ingest::live_rule> live;
    if (!api.list(live, error)) return failed(error);
    const auto plan = ingest::plan_rules(cfg.rules, live, cfg.stream.rules_delete_unmanaged);
    std::cout << ingest::render_plan(plan, cfg.stream.rules_delete_unmanaged);
    return plan.in_sync() ? 0 : 1;
  }
  ingest::sync_report report;
  const bool ok = ingest::sync_rules(api, cfg.rules, cfg.stream.rules_delete_unmanaged, dry_run, report, error);
  if (!ok) {
    // Stopped part-way: show what already changed, so a re-run is not a surprise.
    if (report.deleted > 0 || !report.added.empty())
      std::cout << ingest::render_sync(report) << "sync stopped before finishing; run it again once fixed\n";
    return failed(error);
  }
  std::cout << ingest::render_sync(report);
  return report.complete() ? 0 : 1;
}

}  // namespace spillway::app
