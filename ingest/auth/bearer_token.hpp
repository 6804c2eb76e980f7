#pragma once
// rules_auth: the app-only Bearer token for the control-plane commands (rules, diagnose), from the same
// place `run` takes it: the file `auth.bearer_token_file` (refused when group/others can read it) or the
// environment variable `auth.bearer_token_env`. The one token loader: `run` uses it at start-up too.
// Returns an error instead of throwing, so `diagnose` can report it as a finding.
// Pure apart from reading the file/environment; any thread.
#include <optional>
#include <string>

#include "config/settings.hpp"

namespace spillway::ingest {

// nullopt with `error` (problem and fix, never the token) when no usable token is configured.
[[nodiscard]] std::optional<std::string> load_control_bearer(const config::auth_settings& auth, std::string& error);

}  // namespace spillway::ingest
