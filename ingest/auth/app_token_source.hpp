#pragma once
// app_token_source: the app-only Bearer token for `run`, `rules` and `diagnose`, from where
// auth.app_token_source says —
//   bearer              auth.bearer_token_file or the variable auth.bearer_token_env (bearer_token);
//   client_credentials  POST /oauth2/token (paths::app_token) with Basic auth from the variables auth.app_key_env and
//                       auth.app_secret_env (X's OAuth 2.0 app-only flow). Refreshable: after a 401 the
//                       token is obtained again once (the app's token may have been invalidated);
//   auto                bearer when one is set, else client_credentials when key and secret are set.
//
// Owns: the current token and (client credentials) its own control-plane http_client.
// Thread: one caller at a time (the reader thread in `run`; the command's thread otherwise).
// Must outlive it: the rate_limit_tracker, when one is given.
#include <optional>
#include <string>

#include "common/error.hpp"
#include "config/settings.hpp"
#include "ingest/xapi/http_client.hpp"
#include "ingest/xapi/rate_limits.hpp"

namespace spillway::ingest::auth {

enum class app_source_kind : std::uint8_t { bearer, client_credentials };

class app_token_source {
 public:
  // Never throws; a configuration problem surfaces from token().
  app_token_source(const config::settings& settings, rate_limit_tracker* limits);
  ~app_token_source();
  app_token_source(const app_token_source&) = delete;
  app_token_source& operator=(const app_token_source&) = delete;

  // The token: loaded or obtained on the first call, then cached. Errors: errc::config (nothing usable
  // configured), errc::network (X unreachable, 5xx, 429: retrying may help), errc::refused (X refused
  // the key and secret); each message names the problem and the fix, never a secret.
  [[nodiscard]] common::result<std::string> token();
  // Client credentials only: obtain a new token (after a 401); errc::refused for any other source.
  [[nodiscard]] common::result<void> refresh();
  [[nodiscard]] bool refreshable() const noexcept { return kind_ == app_source_kind::client_credentials; }
  [[nodiscard]] app_source_kind kind() const noexcept { return kind_; }
  // "the environment variable X_BEARER_TOKEN", "client credentials (X_API_KEY, X_API_SECRET)", ...
  [[nodiscard]] std::string describe() const;
  // From now on a grant in progress ends early (errc::network) once stop->stop_requested(); null: never.
  // It must outlive this source.
  void set_stop(const stop_source* stop) noexcept;

 private:
  common::result<std::string> obtain();

  const config::settings& settings_;
  rate_limit_tracker* limits_;
  app_source_kind kind_ = app_source_kind::bearer;
  std::string token_;
  std::optional<http_client> client_;
  const stop_source* stop_ = nullptr;
};

// Which source auto / bearer / client_credentials resolves to with the current environment.
[[nodiscard]] app_source_kind resolve_app_source(const config::auth_settings& auth);

}  // namespace spillway::ingest::auth
