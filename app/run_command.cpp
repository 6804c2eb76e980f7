// `spillway run --config FILE`: the service (app/service: build → run → stop).
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/log_setup.hpp"
#include "app/service.hpp"
#include "app/signal_watcher.hpp"
#include "common/log.hpp"
#include "config/loader.hpp"

namespace spillway::app {

common::exit_code run_command(const std::string& config_path, rocksdb::Env* env) {
  // First, before any thread exists: SIGINT/SIGTERM go to the watcher's sigwait() thread from here on
  // (every thread started later inherits the block), so a stop is honoured in every state.
  signal_watcher signals;

  config::settings cfg;
  try {
    cfg = config::load_settings(config_path);
    apply_log_settings(cfg);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return common::exit_code::config;
  }
  auto built = service::build(cfg, signals, env);
  if (!built) {
    spdlog::error("{}", built.error().message);
    return common::exit_code_for(built.error());
  }
  if (!*built) return common::exit_code::ok;  // stopped by a signal during start-up
  return (*built)->run();
}

}  // namespace spillway::app
