// `spillway diagnose --config FILE [--json] [--offline]`: exit 0 (ok) when healthy, 1 (runtime) when a
// finding needs action, 2 (config) when the config itself cannot be loaded (main prints that error).
#include <iostream>

#include "config/loader.hpp"
#include "app/commands.hpp"
#include "app/log_setup.hpp"
#include "ingest/control/diagnose.hpp"

namespace spillway::app {

common::exit_code diagnose_command(const std::string& config_path, bool json, bool offline) {
  const config::settings cfg = config::load_settings(config_path);
  apply_log_settings(cfg);
  const auto report = ingest::run_diagnose(cfg, cfg.stream.connect_timeout, offline);
  std::cout << (json ? ingest::render_diagnose_json(report) : ingest::render_diagnose_text(report));
  return report.healthy() ? common::exit_code::ok : common::exit_code::runtime;
}

}  // namespace spillway::app
