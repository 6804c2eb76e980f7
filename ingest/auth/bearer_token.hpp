#pragma once
// bearer_token: the app-only Bearer token for the control-plane commands (rules, diagnose) and `run`, from
// the file `auth.bearer_token_file` (refused when group/others can read it) or the environment variable
// `auth.bearer_token_env`. The one token loader; app_token_source uses it for its `bearer` source.
// Returns an error instead of throwing, so `diagnose` can report it as a finding.
// Pure apart from reading the file/environment; any thread.
#include <string>

#include "common/error.hpp"
#include "config/settings.hpp"

namespace spillway::ingest {

// errc::config (problem and fix, never the token) when no usable token is configured.
[[nodiscard]] common::result<std::string> load_control_bearer(const config::auth_settings& auth);

}  // namespace spillway::ingest
