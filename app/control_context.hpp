#pragma once
// control_context: what every control-plane subcommand (`rules`, `connections`) starts from — the loaded
// settings (and their log_level / log_format applied), the app-only Bearer token from the configured source, a rate-limit tracker, and the HTTP client
// for stream.base_url. One place, so the commands obtain and refuse tokens the same way.
// Owns all four; held by unique_ptr so the APIs built on it may keep references. Thread: the command's
// (main) thread.
#include <memory>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "config/settings.hpp"
#include "ingest/xapi/http_client.hpp"
#include "ingest/xapi/rate_limits.hpp"

namespace spillway::app {

struct control_context {
  config::settings cfg;
  ingest::rate_limit_tracker limits;
  std::string bearer;  // never logged
  std::optional<ingest::http_client> client;

  // load_settings throws config_error (main turns it into exit 2); a missing or refused token and an
  // unusable base URL come back as the error, with the errc their exit code follows.
  [[nodiscard]] static common::result<std::unique_ptr<control_context>> open(const std::string& config_path);
};

}  // namespace spillway::app
