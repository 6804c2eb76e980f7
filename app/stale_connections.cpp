#include "app/stale_connections.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "ingest/control/connections_api.hpp"
#include "ingest/xapi/http_client.hpp"

namespace spillway::app {

common::result<std::size_t> close_stale_connections(const config::settings& cfg, const std::string& bearer,
                                                    common::metrics_registry& metrics,
                                                    const ingest::stop_source* stop) {
  auto client = ingest::make_control_client(cfg, ingest::control_timeout(cfg), stop);
  if (!client) return client.error();
  ingest::rate_limit_tracker limits(&metrics);
  ingest::connections_api api(*client, limits, bearer);
  auto active = api.list(ingest::connection_status::active);
  if (!active) return active.error();
  std::vector<std::string> uuids;
  std::map<std::string, const ingest::stream_connection*> by_id;
  for (const auto& c : *active) {
    // An entry without endpoint_name is counted as the filtered stream's: that is the slot we need.
    if (c.id.empty() || (!c.endpoint_name.empty() && c.endpoint_name != "filtered_stream")) continue;
    uuids.push_back(c.id);
    by_id[c.id] = &c;
  }
  if (uuids.empty()) {
    spdlog::info("TooManyConnections: X lists no other active filtered-stream connection of this app; waiting for "
                 "X to release the slot");
    return std::size_t{0};
  }
  auto killed = api.kill(uuids);
  if (!killed) return killed.error();
  std::size_t closed = 0;
  for (const auto& r : killed->results) {
    const auto it = by_id.find(r.uuid);
    const ingest::stream_connection* c = it == by_id.end() ? nullptr : it->second;
    const std::string where = c == nullptr ? std::string()
                                           : " (" + (c->endpoint_name.empty() ? std::string("filtered_stream") : c->endpoint_name) +
                                                 (c->client_ip.empty() ? "" : ", from " + c->client_ip) +
                                                 (c->connected_at.empty() ? "" : ", connected " + c->connected_at) + ")";
    if (r.success) {
      ++closed;
      spdlog::warn("closed stale connection {}{} through the Connections API (reconnect.close_stale_connections)",
                   r.uuid, where);
    } else {
      spdlog::warn("could not close connection {}{}: {}", r.uuid, where,
                   r.error_message.empty() ? std::string("X gave no reason") : r.error_message);
    }
  }
  metrics.counter(common::metric::stale_connections_closed).add(static_cast<std::int64_t>(closed));
  return closed;
}

}  // namespace spillway::app
