#pragma once
// session_result: how one stream connection ended, as observed on the wire. The supervisor turns it into
// a typed end reason and a wait; this struct only records facts.
#include <cstdint>
#include <optional>
#include <string>

#include "ingest/xapi/rate_limits.hpp"

namespace spillway::ingest {

struct session_result {
  enum class kind {
    shutdown,        // we were asked to stop
    stream_ended,    // an established 200 stream ended (clean end of body, EOF or reset by the server)
    stall,           // no complete line (heartbeats included) within the stall timeout
    network_error,   // DNS, TCP or TLS failure before or during the stream
    http_status,     // a non-200 response: `status` and `body` hold it
    protocol_error,  // the peer did not answer like the X API (not HTTP, not a chunked JSON stream)
  };
  kind what = kind::network_error;
  enum class layer { dns, tcp, tls, http };
  layer failed_layer = layer::tcp;  // for network_error / protocol_error
  int status = 0;
  std::string body;    // non-200 response body (bounded)
  std::string detail;  // one line: what happened and what to do
  std::string notice;  // in-band errors-only line seen before the end, if any
  rate_limit_headers rate_limit;
  bool connected = false;       // a 200 stream was established
  std::uint64_t lines = 0;      // non-empty lines received on this connection
};

}  // namespace spillway::ingest
