#include "app/control_context.hpp"

#include "app/log_setup.hpp"
#include "config/loader.hpp"
#include "ingest/auth/app_token_source.hpp"

namespace spillway::app {

common::result<std::unique_ptr<control_context>> control_context::open(const std::string& config_path) {
  auto ctx = std::make_unique<control_context>();
  ctx->cfg = config::load_settings(config_path);
  apply_log_settings(ctx->cfg);  // log_level / log_format before the first line the command logs
  ingest::auth::app_token_source app(ctx->cfg, &ctx->limits);
  auto bearer = app.token();
  if (!bearer) return bearer.error();
  ctx->bearer = std::move(*bearer);
  auto client = ingest::make_control_client(ctx->cfg, ingest::control_timeout(ctx->cfg));
  if (!client) return client.error();
  ctx->client.emplace(std::move(*client));
  return ctx;
}

}  // namespace spillway::app
