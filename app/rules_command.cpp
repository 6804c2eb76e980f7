// `spillway rules list|diff|sync [--dry-run] --config FILE`.
// Exit codes: 0 done (diff: in sync) · 1 diff found changes, or sync left invalid/duplicate rules, or a
// network failure · 2 bad config or no token, or X rejected the request (400) · 3 X refused the token or
// the app (401/403), or the client-credentials grant was refused. Failures map through
// common::exit_code_for: the errc, never the message, decides.
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/control_context.hpp"
#include "app/progress_line.hpp"
#include "ingest/control/rules_sync.hpp"

namespace spillway::app {

common::exit_code rules_command(const std::string& action, const std::string& config_path, bool dry_run) {
  const auto ctx = control_context::open(config_path);  // a bad config throws config_error → exit 2 in main
  if (!ctx) {
    spdlog::error("{}", ctx.error().message);
    return common::exit_code_for(ctx.error());
  }
  const config::settings& cfg = (*ctx)->cfg;
  ingest::rules_api api(*(*ctx)->client, (*ctx)->limits, (*ctx)->bearer);
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
