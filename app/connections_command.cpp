// `spillway connections list [--status active|inactive|all] | kill --all | kill ID  --config FILE`: the app's
// streaming connections through X's Connections API. ID is a connection id (uuid, as `list` prints it) or a
// streaming endpoint id such as filtered_stream (every connection of that endpoint).
// Exit codes: 0 done · 1 a kill failed (X answered failed_kills), or a network failure · 2 bad config or no
// token, or X rejected the request (400) · 3 X refused the token or the app (401/403). Failures map through
// common::exit_code_for.
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/control_context.hpp"
#include "ingest/control/connections_api.hpp"

namespace spillway::app {
namespace {

// X's streaming endpoint ids end in "_stream" (filtered_stream, sample10_stream, ...); connection ids are uuids.
bool is_endpoint_id(std::string_view id) { return id.ends_with("_stream"); }

}  // namespace

common::exit_code connections_command(const std::string& action, const std::string& config_path,
                                      const std::string& status, const std::string& id) {
  const auto ctx = control_context::open(config_path);  // a bad config throws config_error → exit 2 in main
  if (!ctx) {
    spdlog::error("{}", ctx.error().message);
    return common::exit_code_for(ctx.error());
  }
  ingest::connections_api api(*(*ctx)->client, (*ctx)->limits, (*ctx)->bearer);
  const auto failed = [&](const common::error& e) {
    spdlog::error("connections {}: {}", action, e.message);
    return common::exit_code_for(e);
  };
  if (action == "list") {
    const auto which = status == "all"        ? ingest::connection_status::all
                       : status == "inactive" ? ingest::connection_status::inactive
                                              : ingest::connection_status::active;
    const auto listed = api.list(which);
    if (!listed) return failed(listed.error());
    std::cout << ingest::render_connections(*listed, which);
    return common::exit_code::ok;
  }
  const auto killed = id.empty()           ? api.kill_all()
                      : is_endpoint_id(id) ? api.kill_endpoint(id)
                                           : api.kill({id});
  if (!killed) return failed(killed.error());
  std::cout << ingest::render_kills(*killed);
  return killed->failed == 0 ? common::exit_code::ok : common::exit_code::runtime;
}

}  // namespace spillway::app
