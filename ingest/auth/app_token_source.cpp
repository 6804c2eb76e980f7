#include "ingest/auth/app_token_source.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "ingest/auth/token_endpoint.hpp"
#include "ingest/auth/bearer_token.hpp"
#include "ingest/xapi/endpoints.hpp"

namespace spillway::ingest::auth {
namespace {

std::string env(const std::string& name) {
  if (name.empty()) return {};
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

app_source_kind resolve_app_source(const config::auth_settings& auth) {
  if (auth.app_token_source == "client_credentials") return app_source_kind::client_credentials;
  if (auth.app_token_source == "bearer") return app_source_kind::bearer;
  const bool bearer_set = !auth.bearer_token_file.empty() || !env(auth.bearer_token_env).empty();
  const bool credentials_set = !env(auth.app_key_env).empty() && !env(auth.app_secret_env).empty();
  return !bearer_set && credentials_set ? app_source_kind::client_credentials : app_source_kind::bearer;
}

app_token_source::app_token_source(const config::settings& settings, rate_limit_tracker* limits)
    : settings_(settings), limits_(limits), kind_(resolve_app_source(settings.auth)) {}

app_token_source::~app_token_source() = default;

std::string app_token_source::describe() const {
  const auto& a = settings_.auth;
  if (kind_ == app_source_kind::client_credentials)
    return "client credentials (" + paths::call("POST", paths::app_token) + " with the key in " + a.app_key_env +
           " and the secret in " + a.app_secret_env + ")";
  if (!a.bearer_token_file.empty()) return "the file " + a.bearer_token_file + " (auth.bearer_token_file)";
  return "the environment variable " + a.bearer_token_env + " (auth.bearer_token_env)";
}

common::result<std::string> app_token_source::token() {
  if (!token_.empty()) return token_;
  if (kind_ == app_source_kind::client_credentials) return obtain();
  auto loaded = load_control_bearer(settings_.auth);
  if (!loaded) {
    std::string why = loaded.error().message;
    if (settings_.auth.app_token_source == "auto")
      why += "; or set " + settings_.auth.app_key_env + " and " + settings_.auth.app_secret_env +
             " to the app's API key and secret to obtain a token with the client-credentials grant";
    return common::error(common::errc::config, std::move(why));
  }
  token_ = std::move(*loaded);
  return token_;
}

common::result<void> app_token_source::refresh() {
  if (!refreshable())
    return common::error(common::errc::refused, "the Bearer token from " + describe() + " cannot be refreshed");
  token_.clear();
  auto obtained = obtain();
  if (!obtained) return obtained.error();
  return {};
}

void app_token_source::set_stop(const stop_source* stop) noexcept {
  stop_ = stop;
  if (client_) client_->set_stop(stop);
}

common::result<std::string> app_token_source::obtain() {
  const auto& a = settings_.auth;
  const std::string key = env(a.app_key_env);
  const std::string secret = env(a.app_secret_env);
  if (key.empty() || secret.empty()) {
    return common::error(common::errc::config,
                         "auth.app_token_source is client_credentials but " +
                             (key.empty() ? a.app_key_env : a.app_secret_env) + " is not set; export the app's API key in " +
                             a.app_key_env + " and its secret in " + a.app_secret_env + " (developer portal, Keys and tokens)");
  }
  if (!client_) {
    auto client = make_control_client(settings_, control_timeout(settings_), stop_);
    if (!client) return client.error();
    client_.emplace(std::move(*client));
  }
  const std::string call = paths::call("POST", paths::app_token);
  const auto answer = client_->send({"POST", std::string(paths::app_token), form_body({{"grant_type", "client_credentials"}}), "", false},
                                    http_request_extra{basic_authorization(key, secret), kFormContentType, {}});
  if (!answer) return common::error(common::errc::network, "obtaining the app-only Bearer token: " + answer.error().message);
  const http_response& r = *answer;
  if (limits_ != nullptr) limits_->record(call, r.rate);
  if (r.status == 200) {
    auto t = parse_app_token(r.body);
    if (t) {
      spdlog::info("obtained the app-only Bearer token with the client-credentials grant");
      token_ = std::move(*t);
      return token_;
    }
    return common::error(common::errc::network,
                         call + " answered 200 without {\"token_type\":\"bearer\",\"access_token\":...}; "
                                "check that stream.base_url points at the X API");
  }
  const std::string said = token_error_text(r.body);
  const std::string head = call + " answered HTTP " + std::to_string(r.status) +
                           (said.empty() ? std::string() : " (" + said + ")");
  if (classify_token_error(r.status, r.body) == token_refusal::bad_app_credentials)
    return common::error(common::errc::refused,
                         head + ": X does not accept the API key and secret. Fix: copy the app's current API Key and "
                                "Secret from the developer portal (Keys and tokens) into " +
                             a.app_key_env + " and " + a.app_secret_env + "; regenerating them voids the old pair");
  return common::error(r.status >= 500 || r.status == 429 ? common::errc::network : common::errc::refused,
                       head + ". Fix: retry later; if it persists, check stream.base_url and the app's settings");
}

}  // namespace spillway::ingest::auth
