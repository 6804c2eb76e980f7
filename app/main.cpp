// spillway: the service and its subcommands. Argument parsing only; each command lives in its own file.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <limits>

#include "common/log.hpp"
#include "config/loader.hpp"
#include "config/render.hpp"
#include "config/summary.hpp"
#include "ingest/xapi/url.hpp"
#include "app/commands.hpp"
#include "app/log_setup.hpp"
#include "app/malloc_policy.hpp"
#include "app/version_info.hpp"

int main(int argc, char** argv) {
  // A closed stderr pipe (a log shipper that died) must not kill the service mid-drain: writes then fail
  // with EPIPE instead. A file-size limit (ulimit -f) must surface as a RocksDB write error (EFBIG) that
  // the service reports and stops on cleanly, not as a SIGXFSZ core dump.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  // Before any thread or RocksDB allocation: memtable blocks are reused, not faulted in afresh (malloc_policy.hpp).
  (void)spillway::app::keep_freed_memory_for_reuse();
  CLI::App app{"spillway: lands every Post of the X API v2 filtered stream in RocksDB and Kafka, exactly once"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] { return spillway::app::version_report(); },
                       "Print the version, build type and library versions, then exit");

  std::string config_path;
  auto* run = app.add_subcommand("run", "Stream from the X API into the configured sinks until SIGINT/SIGTERM");
  run->add_option("--config,-c", config_path, "TOML config file")->required();

  std::string db_path;
  std::uint64_t from_id = 0;
  std::uint64_t to_id = std::numeric_limits<std::uint64_t>::max();
  auto* exp = app.add_subcommand("export", "Print stored Posts in id order, one raw JSON line each");
  exp->add_option("--db", db_path, "RocksDB directory (sinks.rocksdb.path)")->required();
  exp->add_option("--from-id", from_id, "First Post id to print");
  exp->add_option("--to-id", to_id, "Last Post id to print");

  std::uint64_t replay_from = 0;
  std::uint64_t replay_to = std::numeric_limits<std::uint64_t>::max();
  auto* replay = app.add_subcommand("replay", "Re-publish stored Posts to Kafka (same key, value, headers)");
  replay->add_option("--config,-c", config_path, "TOML config file (sinks.rocksdb and sinks.kafka)")->required();
  replay->add_option("--from-id", replay_from, "First Post id to re-publish");
  replay->add_option("--to-id", replay_to, "Last Post id to re-publish");

  std::string stats_db;
  auto* stats = app.add_subcommand("stats", "Print what landed (Posts, bytes, id range, outbox, deadletter) as JSON");
  stats->add_option("--db", stats_db, "RocksDB directory (sinks.rocksdb.path)")->required();

  auto* rules = app.add_subcommand("rules", "Rules as code: compare and sync the live rules with [[rules]]");
  rules->require_subcommand(1);
  bool rules_dry_run = false;
  auto* rules_list = rules->add_subcommand("list", "Print the live rules (id, value, tag)");
  rules_list->add_option("--config,-c", config_path, "TOML config file")->required();
  auto* rules_diff = rules->add_subcommand("diff", "Show what a sync would change (exit 1 when not in sync)");
  rules_diff->add_option("--config,-c", config_path, "TOML config file")->required();
  auto* rules_sync = rules->add_subcommand("sync", "Validate, then delete stale and add missing rules");
  rules_sync->add_option("--config,-c", config_path, "TOML config file")->required();
  rules_sync->add_flag("--dry-run", rules_dry_run, "Validate and show the plan; change nothing");

  bool diagnose_json = false;
  auto* diagnose = app.add_subcommand("diagnose", "Check token, rules, access and rate limits; print cause and fix");
  diagnose->add_option("--config,-c", config_path, "TOML config file")->required();
  diagnose->add_flag("--json", diagnose_json, "Print the findings as JSON");
  bool diagnose_offline = false;
  diagnose->add_flag("--offline", diagnose_offline, "Skip the status page check (diagnose.status_url)");

  auto* conns = app.add_subcommand("connections", "The app's streaming connections at X: list them, close stale ones");
  conns->require_subcommand(1);
  std::string conns_status = "active";
  auto* conns_list = conns->add_subcommand("list", "List the app's streaming connections (id, endpoint, client, times, "
                                                   "disconnect reason)");
  conns_list->add_option("--config,-c", config_path, "TOML config file")->required();
  conns_list->add_option("--status", conns_status, "active, inactive (closed, with their disconnect reason) or all")
      ->check(CLI::IsMember({"active", "inactive", "all"}))
      ->capture_default_str();
  std::string conns_id;
  bool conns_all = false;
  auto* conns_kill = conns->add_subcommand("kill", "Close connections: --all, one by its id, or every one of an endpoint "
                                                   "(e.g. filtered_stream)");
  conns_kill->add_option("--config,-c", config_path, "TOML config file")->required();
  auto* kill_all_flag = conns_kill->add_flag("--all", conns_all, "Close every streaming connection of the app "
                                                                 "(X allows 25 such calls per 15 minutes)");
  auto* kill_id = conns_kill->add_option("id", conns_id, "A connection id from `connections list`, or an endpoint id");
  kill_all_flag->excludes(kill_id);
  conns_kill->require_option(2);  // --config and one of --all / id

  auto* auth = app.add_subcommand("auth", "Token sources: show what is configured, refresh the user token");
  auth->require_subcommand(1);
  auto* auth_status = auth->add_subcommand("status", "Which token sources are configured, user token expiry (never a token)");
  auth_status->add_option("--config,-c", config_path, "TOML config file")->required();
  auto* auth_refresh = auth->add_subcommand("refresh", "Refresh the OAuth 2.0 user token now and persist the rotated pair");
  auth_refresh->add_option("--config,-c", config_path, "TOML config file")->required();

  std::string gaps_db;
  auto* gaps = app.add_subcommand("gaps", "List stream gaps (stopped, resumed, backfilled or unrecovered) from the ledger");
  auto* gaps_db_opt = gaps->add_option("--db", gaps_db, "RocksDB directory (sinks.rocksdb.path)");
  gaps->require_subcommand(0, 1);
  auto* gaps_heal = gaps->add_subcommand("heal", "Heal gaps longer than backfill now ([recovery]: Recovery stream or "
                                                 "search), or with --dry-run show the plan: method, window, estimated "
                                                 "Posts and cost per gap");
  gaps_heal->add_option("--config,-c", config_path, "TOML config file")->required();
  bool gaps_heal_dry_run = false;
  gaps_heal->add_flag("--dry-run", gaps_heal_dry_run, "Show the plan; read and spend nothing");

  std::string top_url = "http://127.0.0.1:9464";
  bool top_once = false;
  auto* top = app.add_subcommand("top", "Live view of a running instance from its metrics listener; q quits");
  top->add_option("--url", top_url, "The instance's metrics listener (metrics.listen)")->capture_default_str();
  top->add_flag("--once", top_once, "Print one plain frame and exit (also when not on a terminal)");

  auto* cfg = app.add_subcommand("config", "Validate and explain configuration");
  cfg->require_subcommand(1);
  std::string check_path;
  auto* check = cfg->add_subcommand("check", "Validate FILE, print the effective config (secrets redacted) and a summary");
  check->add_option("file", check_path, "TOML config file")->required();
  std::string example_path;
  auto* example = cfg->add_subcommand("example", "Print a config file listing every option, commented, with its default");
  example->add_option("file", example_path, "TOML file whose values are written as set (the rest stay commented)");
  auto* options = cfg->add_subcommand("options", "List every option with its type, default and help");
  auto* reference = cfg->add_subcommand("reference", "Print the option reference as a Markdown table");

  CLI11_PARSE(app, argc, argv);
  spillway::app::init_early_logging();
  using spillway::common::exit_code;
  using spillway::common::to_int;
  try {
    if (*run) return to_int(spillway::app::run_command(config_path));
    if (*exp) return to_int(spillway::app::export_command(db_path, from_id, to_id));
    if (*replay) return to_int(spillway::app::replay_command(config_path, replay_from, replay_to));
    if (*gaps_heal)
      return to_int(gaps_heal_dry_run ? spillway::app::gaps_heal_plan_command(config_path)
                                      : spillway::app::gaps_heal_command(config_path));
    if (*gaps) {
      if (gaps_db_opt->count() == 0) {
        std::fputs("--db is required\nRun with --help for more information.\n", stderr);
        return to_int(exit_code::config);
      }
      return to_int(spillway::app::gaps_command(gaps_db));
    }
    if (*top) return to_int(spillway::app::top_command(top_url, top_once));
    if (*stats) return to_int(spillway::app::stats_command(stats_db));
    if (*rules_list) return to_int(spillway::app::rules_command("list", config_path, false));
    if (*rules_diff) return to_int(spillway::app::rules_command("diff", config_path, false));
    if (*rules_sync) return to_int(spillway::app::rules_command("sync", config_path, rules_dry_run));
    if (*diagnose) return to_int(spillway::app::diagnose_command(config_path, diagnose_json, diagnose_offline));
    if (*conns_list) return to_int(spillway::app::connections_command("list", config_path, conns_status, ""));
    if (*conns_kill) return to_int(spillway::app::connections_command("kill", config_path, "", conns_all ? "" : conns_id));
    if (*auth_status) return to_int(spillway::app::auth_command("status", config_path));
    if (*auth_refresh) return to_int(spillway::app::auth_command("refresh", config_path));
    if (*check) {
      const auto s = spillway::config::load_settings(check_path);
      const std::string target = spillway::ingest::stream_target(
          {s.stream.tweet_fields, s.stream.expansions, s.stream.user_fields, s.stream.media_fields});
      std::cout << spillway::config::render_effective(s) << spillway::config::render_summary(s, target);
      return to_int(exit_code::ok);
    }
    if (*example) {
      std::cout << spillway::config::render_example(example_path);
      return to_int(exit_code::ok);
    }
    if (*options) {
      std::cout << spillway::config::render_help();
      return to_int(exit_code::ok);
    }
    if (*reference) {
      std::cout << spillway::config::render_markdown_reference();
      return to_int(exit_code::ok);
    }
  } catch (const std::exception& e) {
    // config::load_settings throws config_error (one line per problem, each with its fix).
    spdlog::error("{}", e.what());
    return to_int(exit_code::config);
  }
  return to_int(exit_code::config);
}
