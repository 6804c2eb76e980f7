// `spillway gaps heal --config FILE --dry-run`: the healing plan for every gap in the ledger (issue 12):
// per gap the action (backfilled, unrecoverable and why, or heal by Recovery stream / search over which
// window), the estimated Post count and its cost at X's pay-per-use price, capped by
// recovery.max_posts_per_gap. Reads the ledger and the stored Posts read-only (safe while the service runs)
// and spends nothing. The estimate's rate is the stored Posts' own: the newest ids' span.
#include "app/commands.hpp"

#include <cstdio>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/gap_healer.hpp"
#include "app/meta_heal_ledger.hpp"
#include "config/loader.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

common::exit_code gaps_heal_plan_command(const std::string& config_path) {
  const config::settings cfg = config::load_settings(config_path);  // throws config_error → exit 2 in main
  std::unique_ptr<sinks::store> db;
  try {
    db = std::make_unique<sinks::store>(cfg.rocksdb.path, sinks::open_mode::read_only);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return common::exit_code::config;
  }
  const reconnect::heal_policy policy = heal_policy_from(cfg, *db);
  std::size_t unreadable = 0;
  const auto entries = meta_heal_ledger(*db).load(unreadable);
  const auto plan = reconnect::plan_healing(entries, policy, std::chrono::system_clock::now());
  std::uint64_t posts = 0;
  double usd = 0;
  std::size_t to_heal = 0;
  std::fputs(fmt::format("recovery.mode = {} ({}), rate {:.2f} Posts/s from the stored Posts\n", cfg.recovery.mode,
                         reconnect::to_string(policy.method), policy.posts_per_second)
                 .c_str(),
             stdout);
  for (const auto& step : plan) {
    std::fputs((reconnect::describe(step) + "\n").c_str(), stdout);
    if (step.action != reconnect::heal_action::heal) continue;
    ++to_heal;
    posts += step.estimated_posts;
    usd += step.estimated_usd;
  }
  std::fputs(fmt::format("{} gaps, {} to heal: about {} Posts ≈ ${:.2f}{} (dry run: nothing read)\n", plan.size(),
                         to_heal, posts, usd,
                         unreadable > 0 ? fmt::format(", {} unreadable records skipped", unreadable) : "")
                 .c_str(),
             stdout);
  return common::exit_code::ok;
}

}  // namespace spillway::app
