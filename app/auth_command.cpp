// `spillway auth status|refresh --config FILE`.
//   status   which token sources are configured and usable, and when the user token expires; never a token.
//            Exit 0 when every configured source is usable, 1 otherwise.
//   refresh  refresh the user token now and persist the rotated pair (or, without a user token store,
//            obtain the app-only token with the client-credentials grant to prove it works).
//            Exit 0 done · 1 network / unexpected answer · 2 configuration · 3 X refused (e.g. the refresh
//            token was already used): common::exit_code_for the error's errc.
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "config/loader.hpp"
#include "ingest/auth/app_token_source.hpp"
#include "ingest/auth/user_token_source.hpp"
#include "app/commands.hpp"
#include "app/log_setup.hpp"
#include "ingest/auth/bearer_token.hpp"

namespace spillway::app {
namespace {

using namespace ingest::auth;

std::string set_or_not(const std::string& env_name) {
  const char* v = env_name.empty() ? nullptr : std::getenv(env_name.c_str());
  return env_name + (v != nullptr && *v != '\0' ? " (set)" : " (NOT set)");
}

// "app-only token" lines; true when the source looks usable (without calling X).
bool app_status(const config::settings& cfg, std::ostream& out) {
  const auto& a = cfg.auth;
  const auto kind = resolve_app_source(a);
  out << "app-only Bearer token (auth.app_token_source = " << a.app_token_source << "): " << std::flush;
  if (kind == app_source_kind::client_credentials) {
    out << "client-credentials grant, API key in " << set_or_not(a.app_key_env) << ", secret in "
        << set_or_not(a.app_secret_env) << "\n";
    const char* k = std::getenv(a.app_key_env.c_str());
    const char* s = std::getenv(a.app_secret_env.c_str());
    return k != nullptr && *k != '\0' && s != nullptr && *s != '\0';
  }
  const auto loaded = ingest::load_control_bearer(a);
  if (!a.bearer_token_file.empty()) out << "file " << a.bearer_token_file;
  else out << "environment variable " << set_or_not(a.bearer_token_env);
  out << (loaded ? ", usable\n" : "\n    problem: " + loaded.error().message + "\n");
  return loaded.has_value();
}

bool user_status(const config::settings& cfg, user_token_source& user, std::ostream& out) {
  const auto& a = cfg.auth;
  if (!user.configured()) {
    out << "user token (OAuth 2.0): not configured (auth.user_token_file is empty); user-context checks use the "
           "app-only token\n";
    return true;
  }
  out << "user token (OAuth 2.0): store " << user.path() << ", client id "
      << (a.user_client_id.empty() ? "NOT set (auth.user_client_id)" : "set") << ", "
      << (a.user_client_secret_env.empty() ? "public client" : "client secret in " + set_or_not(a.user_client_secret_env))
      << "\n";
  const auto s = user.inspect();
  if (s.stale_tmp == stale_tmp_outcome::removed) out << "    removed a stale tmp file left by an interrupted refresh\n";
  if (s.stale_tmp == stale_tmp_outcome::adopted)
    out << "    finished a refresh interrupted before its rename: the store now holds the tokens X issued then\n";
  if (!s.readable) {
    out << "    problem: " << s.problem << "\n";
    return false;
  }
  const auto now = ingest::unix_now_s();
  out << "    access token " << (s.has_access_token ? "present" : "absent (the first use refreshes)") << "; "
      << (s.expires_at > now ? "expires " : "EXPIRED ") << ingest::describe_reset(s.expires_at, now) << "\n";
  if (s.expires_at <= now) out << "    the next user-context call refreshes it (or run `spillway auth refresh`)\n";
  return !a.user_client_id.empty();
}

}  // namespace

common::exit_code auth_command(const std::string& action, const std::string& config_path) {
  const config::settings cfg = config::load_settings(config_path);  // throws config_error → exit 2 in main
  apply_log_settings(cfg);
  auto client = ingest::make_control_client(cfg, ingest::control_timeout(cfg));
  if (!client) {
    spdlog::error("{}", client.error().message);
    return common::exit_code_for(client.error());
  }
  ingest::rate_limit_tracker limits;
  user_token_source user(cfg.auth, *client, limits);
  if (action == "status") {
    const bool app_ok = app_status(cfg, std::cout);
    const bool user_ok = user_status(cfg, user, std::cout);
    std::cout << (app_ok && user_ok ? "all configured token sources look usable\n" : "needs action\n");
    return app_ok && user_ok ? common::exit_code::ok : common::exit_code::runtime;
  }
  const auto failed = [](const common::error& e) {
    spdlog::error("auth refresh: {}", e.message);
    return common::exit_code_for(e);
  };
  if (user.configured()) {
    const auto fresh = user.refresh(ingest::unix_now_s());
    if (!fresh) return failed(fresh.error());
    std::cout << "user token refreshed; the rotated tokens are saved in " << user.path()
              << "; the new access token expires " << ingest::describe_reset(fresh->expires_at, ingest::unix_now_s())
              << "\n";
    return common::exit_code::ok;
  }
  app_token_source app(cfg, &limits);
  if (!app.refreshable())
    return failed({common::errc::config, "nothing to refresh: set auth.user_token_file for a user token, or use the "
                                         "client-credentials grant (auth.app_token_source, auth.app_key_env, "
                                         "auth.app_secret_env)"});
  if (const auto token = app.token(); !token) return failed(token.error());
  std::cout << "obtained a new app-only Bearer token with the client-credentials grant (not stored: `run` obtains "
               "its own)\n";
  return common::exit_code::ok;
}

}  // namespace spillway::app
