#include "bench/emu/token_endpoints.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

#include "bench/emu/form_codec.hpp"
#include "bench/emu/x_responses.hpp"

namespace spillway::emu {
namespace {
// 32 random bytes → 43 base64url chars: as unguessable as X's tokens, if shorter.
constexpr std::size_t kTokenBytes = 32;
constexpr std::string_view kUserScopes = "tweet.read users.read offline.access";

// {"token_type":"bearer", then the fields in order}: X's field order. Tokens go through RapidJSON's
// Writer, so an unusual --bearer still yields valid JSON.
std::string token_json(std::initializer_list<std::pair<const char*, std::string_view>> fields,
                       std::optional<std::int64_t> expires_in = std::nullopt) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("token_type"), w.String("bearer");
  if (expires_in) w.Key("expires_in"), w.Int64(*expires_in);
  for (const auto& [key, value] : fields) w.Key(key), w.String(value.data(), rapidjson::SizeType(value.size()));
  w.EndObject();
  return sb.GetString();
}
}  // namespace

TokenEndpoints::TokenEndpoints(const EmuConfig& cfg)
    : app_key_(cfg.app_key),
      app_secret_(cfg.app_secret),
      app_bearer_(cfg.bearer.value_or("emu-app-bearer")),
      client_id_(cfg.user_client_id),
      refresh_token_(cfg.user_refresh_token),
      ttl_s_(cfg.user_token_ttl_s) {
  if (cfg.app_key.empty() != cfg.app_secret.empty())
    throw std::runtime_error("spillway-emu: --app-key and --app-secret go together; pass both or neither");
  if (cfg.user_client_id.empty() != cfg.user_refresh_token.empty())
    throw std::runtime_error(
        "spillway-emu: --user-client-id and --user-refresh-token go together; pass both or neither");
  if (cfg.user_token_ttl_s <= 0)
    throw std::runtime_error("spillway-emu: --user-token-ttl must be > 0 seconds (X issues 7200)");
  if (!cfg.user_refresh_token_file.empty()) {
    if (!user_enabled())
      throw std::runtime_error(
          "spillway-emu: --user-refresh-token-file needs --user-client-id and --user-refresh-token");
    refresh_file_.reset(std::fopen(cfg.user_refresh_token_file.c_str(), "a"));
    if (!refresh_file_)
      throw std::runtime_error("spillway-emu: cannot open --user-refresh-token-file " + cfg.user_refresh_token_file +
                               "; pick a writable path");
  }
}

TokenEndpoints::Reply TokenEndpoints::client_credentials(std::string_view authorization, std::string_view body) const {
  const auto creds = basic_credentials(authorization);
  if (!creds || creds->user != app_key_ || creds->password != app_secret_)
    return {403, x_body::bad_app_credentials_403, {}};
  if (form_value(body, "grant_type") != "client_credentials") return {400, x_body::missing_grant_type_400, {}};
  return {200, {}, token_json({{"access_token", app_bearer_}})};
}

TokenEndpoints::Reply TokenEndpoints::refresh(std::string_view authorization, std::string_view body,
                                              std::int64_t now_ms) {
  // A confidential client authenticates with Basic (client_id:secret); a public one sends client_id.
  // The emulator knows no client secret, so only the id part is checked.
  const auto creds = basic_credentials(authorization);
  const auto client_id = creds ? std::optional<std::string>(creds->user) : form_value(body, "client_id");
  if (client_id != client_id_) return {400, x_body::unauthorized_client_400, {}};
  if (form_value(body, "grant_type") != "refresh_token") return {400, x_body::invalid_grant_type_400, {}};
  const auto presented = form_value(body, "refresh_token");
  if (refresh_token_.empty() || presented != refresh_token_) return {400, x_body::invalid_refresh_token_400, {}};
  refresh_token_ = random_token(kTokenBytes);
  access_token_ = random_token(kTokenBytes);
  access_expires_ms_ = now_ms + ttl_s_ * 1000;
  issued_.insert(access_token_);
  if (refresh_file_) {
    std::fprintf(refresh_file_.get(), "%s\n", refresh_token_.c_str());
    std::fflush(refresh_file_.get());  // tests read it while the emulator runs
  }
  return {200, {},
          token_json({{"access_token", access_token_}, {"scope", kUserScopes}, {"refresh_token", refresh_token_}},
                     ttl_s_)};
}

TokenEndpoints::Kind TokenEndpoints::classify(std::string_view authorization, std::int64_t now_ms) const {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.substr(0, scheme.size()) != scheme) return Kind::other;
  const std::string token(authorization.substr(scheme.size()));
  if (!access_token_.empty() && token == access_token_ && now_ms < access_expires_ms_) return Kind::user_current;
  return issued_.count(token) ? Kind::user_stale : Kind::other;
}

}  // namespace spillway::emu
