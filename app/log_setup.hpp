#pragma once
// log_setup: a command that has loaded its config re-initialises logging with the config's level and
// format (log_level, log_format); until then main logs at info in the format SPILLWAY_LOG_FORMAT asks
// for, so even a config error comes out as JSON when a log shipper expects it.
// Thread: the main thread, before the command starts any other thread.
#include <cstdlib>

#include "common/log.hpp"
#include "config/settings.hpp"

namespace spillway::app {

inline void apply_log_settings(const config::settings& cfg) {
  common::init_logging(cfg.log_level, common::parse_log_format(cfg.log_format));
}

// Before any config is read: info, in the format the environment override names (text otherwise).
inline void init_early_logging() {
  const char* format = std::getenv("SPILLWAY_LOG_FORMAT");
  common::init_logging("info", common::parse_log_format(format == nullptr ? "" : format));
}

}  // namespace spillway::app
