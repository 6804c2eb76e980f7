#include "ingest/auth/app_token_source.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "ingest/auth/token_endpoint.hpp"
#include "ingest/auth/bearer_token.hpp"

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
    return "client credentials (POST /oauth2/token with the key in " + a.app_key_env + " and the secret in " +
           a.app_secret_env + ")";
  if (!a.bearer_token_file.empty()) return "the file " + a.bearer_token_file + " (auth.bearer_token_file)";
  return "the environment variable " + a.bearer_token_env + " (auth.bearer_token_env)";
}

std::optional<std::string> app_token_source::token(auth_error& error) {
  if (!token_.empty()) return token_;
  if (kind_ == app_source_kind::client_credentials) return obtain(error);
  std::string why;
  auto loaded = load_control_bearer(settings_.auth, why);
  if (!loaded) {
    if (settings_.auth.app_token_source == "auto")
      why += "; or set " + settings_.auth.app_key_env + " and " + settings_.auth.app_secret_env +
             " to the app's API key and secret to obtain a token with the client-credentials grant";
    error = {auth_errc::config, why};
    return std::nullopt;
  }
  token_ = std::move(*loaded);
  return token_;
}

bool app_token_source::refresh(auth_error& error) {
  if (!refreshable()) {
    error = {auth_errc::refused, "the Bearer token from " + describe() + " cannot be refreshed"};
    return false;
  }
  token_.clear();
  return obtain(error).has_value();
}

std::optional<std::string> app_token_source::obtain(auth_error& error) {
  const auto& a = settings_.auth;
  const std::string key = env(a.app_key_env);
  const std::string secret = env(a.app_secret_env);
  if (key.empty() || secret.empty()) {
    error = {auth_errc::config, "auth.app_token_source is client_credentials but " +
                                    (key.empty() ? a.app_key_env : a.app_secret_env) +
                                    " is not set; export the app's API key in " + a.app_key_env + " and its secret in " +
                                    a.app_secret_env + " (developer portal, Keys and tokens)"};
    return std::nullopt;
  }
  if (!client_) {
    std::string why;
    client_ = make_control_client(settings_, std::max(settings_.stream.connect_timeout, std::chrono::milliseconds(30000)), why);
    if (!client_) {
      error = {auth_errc::config, why};
      return std::nullopt;
    }
  }
  const http_response r = client_->send({"POST", kAppTokenPath, form_body({{"grant_type", "client_credentials"}}), "", false},
                                        http_request_extra{basic_authorization(key, secret), kFormContentType});
  if (!r.error.empty()) {
    error = {auth_errc::network, "obtaining the app-only Bearer token: " + r.error};
    return std::nullopt;
  }
  if (limits_ != nullptr) limits_->record(std::string("POST ") + kAppTokenPath, r.rate);
  if (r.status == 200) {
    auto t = parse_app_token(r.body);
    if (t) {
      spdlog::info("obtained the app-only Bearer token with the client-credentials grant");
      token_ = std::move(*t);
      return token_;
    }
    error = {auth_errc::network, "POST /oauth2/token answered 200 without {\"token_type\":\"bearer\",\"access_token\":...}; "
                                 "check that stream.base_url points at the X API"};
    return std::nullopt;
  }
  const std::string said = token_error_text(r.body);
  const std::string head = "POST /oauth2/token answered HTTP " + std::to_string(r.status) +
                           (said.empty() ? std::string() : " (" + said + ")");
  if (classify_token_error(r.status, r.body) == token_refusal::bad_app_credentials)
    error = {auth_errc::refused, head + ": X does not accept the API key and secret. Fix: copy the app's current API "
                                        "Key and Secret from the developer portal (Keys and tokens) into " +
                                        a.app_key_env + " and " + a.app_secret_env + "; regenerating them voids the old pair"};
  else
    error = {r.status >= 500 || r.status == 429 ? auth_errc::network : auth_errc::refused,
             head + ". Fix: retry later; if it persists, check stream.base_url and the app's settings"};
  return std::nullopt;
}

}  // namespace spillway::ingest::auth
