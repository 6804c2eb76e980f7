// `spillway replay --config FILE [--from-id A] [--to-id B]`: re-publishes stored Posts to Kafka with the
// same key, value and headers, for downstream teams that lost data. Progress on a terminal's stderr
// (app/progress_line: none when piped), final count logged.
#include <cstdio>

#include <spdlog/spdlog.h>

#include "common/log.hpp"
#include "config/loader.hpp"
#include "app/commands.hpp"
#include "app/log_setup.hpp"
#include "app/number_format.hpp"
#include "app/progress_line.hpp"
#include "sinks/kafka/replay.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

common::exit_code replay_command(const std::string& config_path, std::uint64_t from_id, std::uint64_t to_id) {
  const auto cfg = config::load_settings(config_path);
  apply_log_settings(cfg);
  if (cfg.kafka.bootstrap_servers.empty()) {
    spdlog::error("replay needs sinks.kafka.bootstrap_servers in {}; set it (and sinks.kafka.topic)", config_path);
    return common::exit_code::config;
  }
  // Read-only: replay works while `spillway run` holds the database.
  const sinks::store db(cfg.rocksdb.path, sinks::open_mode::read_only);
  const sinks::kafka::replay_options options(cfg.stream.max_line_bytes);
  // On a terminal, a bar on stderr redrawn in place; nothing when stderr is piped (the summary is logged).
  progress_line progress(stderr, progress_line::on_terminal(stderr), std::chrono::milliseconds(100),
                         [] { return std::chrono::steady_clock::now(); });
  const auto delivered = sinks::kafka::replay(
      db, cfg.kafka, {from_id, to_id},
      [&](const sinks::kafka::replay_progress& p) {
        const double pct = p.total == 0 ? 100.0 : 100.0 * static_cast<double>(p.delivered) / static_cast<double>(p.total);
        constexpr int width = 30;
        const int filled = static_cast<int>(pct / 100.0 * width);
        const std::string bar = std::string(static_cast<std::size_t>(filled), '=') +
                                std::string(static_cast<std::size_t>(width - filled), ' ');
        char pct_text[16];
        std::snprintf(pct_text, sizeof pct_text, "%5.1f%%", pct);
        progress.show("replay [" + bar + "] " + pct_text + "  " + grouped_count(p.delivered) + "/" +
                      grouped_count(p.total) + " delivered, " + grouped_count(p.failed) + " retried");
      },
      options);
  progress.finish();
  if (!delivered) {
    spdlog::error("{}", delivered.error().message);
    return common::exit_code_for(delivered.error());  // a deadline: 1 (runtime), not 2 (bad config)
  }
  spdlog::info("replay: {} Posts re-published to Kafka (ids {}..{})", *delivered, from_id, to_id);
  return common::exit_code::ok;
}

}  // namespace spillway::app
