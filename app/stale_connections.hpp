#pragma once
// stale_connections: reconnect.close_stale_connections — what `run` does after repeated 429
// TooManyConnections: list the app's active connections (Connections API), close the ones to the filtered
// stream that are not this process's own, and log each one closed (uuid, endpoint, client address,
// connected-at; never the token). The policy calls it only while its own connect is being refused, so no
// open filtered-stream connection of the app is this process's: every one listed is a crashed client's
// connection X still counts, or another process streaming with the same app (the option's help says so).
// Connections to other endpoints (e.g. compliance streams) are left alone.
//
// Thread: the caller's (the reader thread); two blocking HTTP exchanges, each bounded by the control
// timeout and ended early by `stop`. Must outlive the call: the metrics registry and `stop`.
#include <cstddef>
#include <string>

#include "common/error.hpp"
#include "common/metrics.hpp"
#include "config/settings.hpp"
#include "ingest/xapi/stop_source.hpp"

namespace spillway::app {

// How many connections were closed (0 when X lists none: the refusal was our own just-dropped socket).
[[nodiscard]] common::result<std::size_t> close_stale_connections(const config::settings& cfg, const std::string& bearer,
                                                                  common::metrics_registry& metrics,
                                                                  const ingest::stop_source* stop);

}  // namespace spillway::app
