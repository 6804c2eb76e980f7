// `spillway rules list|diff|sync [--dry-run] --config FILE`.
// Exit codes: 0 done (diff: in sync) · 1 diff found changes, or sync left invalid/duplicate rules, or a
// network failure · 2 bad config or no token, or X rejected the request (400) · 3 X refused the token or
// the app (401/403), or the client-credentials grant was refused. Failures map through
// common::exit_code_for: the errc, never the message, decides.
#include <spdlog/spdlog.h>

#include <iostream>

#include "config/loader.hpp"
#include "app/commands.hpp"
#include "app/log_setup.hpp"
#include "app/progress_line.hpp"
#include "ingest/auth/app_token_source.hpp"
#include "ingest/control/rules_sync.hpp"

namespace spillway::app {

common::exit_code rules_command(const std::string& action, const std::string& config_path, bool dry_run) {
  const config::settings cfg = config::load_settings(config_path);  // throws config_error → exit 2 in main
  apply_log_settings(cfg);
  ingest::rate_limit_tracker limits;
  ingest::auth::app_token_source app(cfg, &limits);
  const auto bearer = app.token();
  if (!bearer) {
    spdlog::error("{}", bearer.error().message);
    return common::exit_code_for(bearer.error());
  }
  auto client = ingest::make_control_client(cfg, ingest::control_timeout(cfg));
  if (!client) {
    spdlog::error("{}", client.error().message);
    return common::exit_code_for(client.error());
  }
  ingest::rules_api api(*client, limits, *bearer);
  const auto failed = [&](const common::error& e) {
    spdlog::error("rules {}: {}", action, e.message);
    return common::exit_code_for(e);
  };
  if (action == "list") {
    std::vector<ingest::live_rule> live;
    if (auto listed = api.list(live); !listed) return failed(listed.error());
    std::cout << ingest::render_rules(live);
    return common::exit_code::ok;
  }
  if (action == "diff") {
    std::vector<ingest::live_rule> live;
    if (auto listed = api.list(live); !listed) return failed(listed.error());
    const auto plan = ingest::plan_rules(cfg.rules, live, cfg.stream.rules_delete_unmanaged);
    std::cout << ingest::render_plan(plan, cfg.stream.rules_delete_unmanaged);
    return plan.in_sync() ? common::exit_code::ok : common::exit_code::runtime;
  }
  ingest::sync_report report;
  // On a terminal, the step under way on stderr (a step may wait minutes for a rate-limit reset);
  // nothing when stderr is piped.
  progress_line progress(stderr, progress_line::on_terminal(stderr), std::chrono::milliseconds(100),
                         [] { return std::chrono::steady_clock::now(); });
  report.on_step = [&](std::string_view what) { progress.show("rules sync: " + std::string(what) + " ...", true); };
  const auto synced = ingest::sync_rules(api, cfg.rules, cfg.stream.rules_delete_unmanaged, dry_run, report);
  progress.finish();
  if (!synced) {
    // Stopped part-way: show what already changed, so a re-run is not a surprise.
    if (report.deleted > 0 || !report.added.empty())
      std::cout << ingest::render_sync(report) << "sync stopped before finishing; run it again once fixed\n";
    return failed(synced.error());
  }
  std::cout << ingest::render_sync(report);
  return report.complete() ? common::exit_code::ok : common::exit_code::runtime;
}

}  // namespace spillway::app
