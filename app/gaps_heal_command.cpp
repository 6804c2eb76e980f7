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

#include "app/meta_heal_ledger.hpp"
#include "config/loader.hpp"
#include "ingest/stream/gap_tracker.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {
namespace {

// Posts per second over the newest stored Posts (their ids carry their creation time); 0 when fewer than 2.
double stored_rate(const sinks::store& db) {
  constexpr std::size_t sample = 10000;
  std::uint64_t newest = 0, oldest = 0;
  std::size_t n = 0;
  db.for_each_newest_id(sample, [&](std::uint64_t id) {
    if (n++ == 0) newest = id;
    oldest = id;
  });
  if (n < 2) return 0;
  const auto span = std::chrono::duration<double>(ingest::snowflake_time(newest) - ingest::snowflake_time(oldest)).count();
  return span > 0 ? double(n - 1) / span : 0;
}

}  // namespace

common::exit_code gaps_heal_plan_command(const std::string& config_path) {
  const config::settings cfg = config::load_settings(config_path);  // throws config_error → exit 2 in main
  std::unique_ptr<sinks::store> db;
  try {
    db = std::make_unique<sinks::store>(cfg.rocksdb.path, sinks::open_mode::read_only);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return common::exit_code::config;
  }
  reconnect::heal_policy policy;
  policy.method = reconnect::resolve_heal_mode(cfg.recovery.mode, cfg.stream.backfill);
  policy.max_age = cfg.recovery.max_age;
  policy.max_posts_per_gap = cfg.recovery.max_posts_per_gap;
  policy.backfill = cfg.stream.backfill;
  policy.posts_per_second = stored_rate(*db);
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
