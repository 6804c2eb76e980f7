// `spillway run --config FILE`: the service (app/service: build → run → stop).
#include <pthread.h>
#include <signal.h>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/service.hpp"
#include "common/log.hpp"
#include "config/loader.hpp"

namespace spillway::app {

int run_command(const std::string& config_path) {
  // SIGINT/SIGTERM stay pending (not fatal) until the reader's signal_set takes them over: every thread
  // started from here on (RocksDB, metrics, Kafka, pipeline) inherits the block, and a signal that
  // arrives during start-up is delivered to the reader once it runs, so it still ends in a clean drain.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  config::settings cfg;
  try {
    cfg = config::load_settings(config_path);
    common::init_logging(cfg.log_level);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return common::to_int(common::exit_code::config);
  }
  auto built = service::build(cfg, stop_signals);
  if (!built) {
    spdlog::error("{}", built.error().message);
    return common::to_int(common::exit_code_for(built.error()));
  }
  if (!*built) return common::to_int(common::exit_code::ok);  // stopped by a signal during start-up
  return common::to_int((*built)->run());
}

}  // namespace spillway::app
