#pragma once
// connections_api: X's Connections API (XAPI.md "Connections and usage") — list the app's streaming
// connections (GET paths::connections, with disconnect_reason for closed ones) and close them (DELETE
// paths::connections_all, paths::connections + "/{endpoint_id}", or paths::connections with
// {"uuids":[...]}). X's remedy for 429 TooManyConnections after a client died without closing.
//
// Errors name the call, the cause and the fix (never the token): errc::refused (401/403),
// errc::rejected (400), errc::rate_limited (429: DELETE /2/connections/all allows 25 per 15 minutes; the
// message gives the reset), errc::network (no answer, 5xx), errc::protocol (404 — a server without the
// Connections API — or an answer that is not the X API's). Every string taken from an answer is printable
// and bounded (common::log_sample), so it goes into a log line or a terminal as it is.
//
// Owns: the token copy. Thread: the caller's (blocking calls). Must outlive it: the http_client and the
// rate_limit_tracker.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "ingest/xapi/http_client.hpp"
#include "ingest/xapi/rate_limits.hpp"

namespace spillway::ingest {

// One streaming connection as X lists it; absent fields are empty.
struct stream_connection {
  std::string id;  // the uuid the DELETE calls take
  std::string endpoint_name;
  std::string client_ip;
  std::string connected_at;  // ISO 8601, as X sends it
  std::string disconnected_at;
  std::string disconnect_reason;
};

enum class connection_status : std::uint8_t { active, inactive, all };
[[nodiscard]] std::string_view to_string(connection_status s) noexcept;

struct kill_report {
  struct item {
    std::string uuid;
    bool success = false;
    std::string error_message;
  };
  std::uint64_t successful = 0;
  std::uint64_t failed = 0;
  std::vector<item> results;
};

// The bodies, parsed (pure; exposed for tests). False when `body` is not a JSON object.
[[nodiscard]] bool parse_connections(std::string_view body, std::vector<stream_connection>& out);
[[nodiscard]] bool parse_kill_report(std::string_view body, kill_report& out);

// One control-plane call (the Connections and usage endpoints share it): sends, records the rate-limit
// headers under "METHOD path", and turns a non-2xx answer into an error as described above.
[[nodiscard]] common::result<http_response> send_control_call(http_client& client, rate_limit_tracker& limits,
                                                              const std::string& bearer, const std::string& method,
                                                              const std::string& target, std::string_view path,
                                                              const std::string& body = {});

class connections_api {
 public:
  connections_api(http_client& client, rate_limit_tracker& limits, std::string bearer);

  [[nodiscard]] common::result<std::vector<stream_connection>> list(connection_status status);
  [[nodiscard]] common::result<kill_report> kill_all();
  // endpoint_id: X's name of a streaming endpoint, e.g. "filtered_stream".
  [[nodiscard]] common::result<kill_report> kill_endpoint(std::string_view endpoint_id);
  [[nodiscard]] common::result<kill_report> kill(const std::vector<std::string>& uuids);

 private:
  common::result<kill_report> kill_call(const std::string& target, std::string_view path, const std::string& body);

  http_client& client_;
  rate_limit_tracker& limits_;
  std::string bearer_;
};

// "2 active connections:\n  <id>  filtered_stream  from 1.2.3.4  connected 2026-..  [closed .. (reason)]\n"
[[nodiscard]] std::string render_connections(const std::vector<stream_connection>& list, connection_status status);
// "closed 1 connection (0 failed)\n  <uuid>: closed | failed (message)\n"
[[nodiscard]] std::string render_kills(const kill_report& report);

}  // namespace spillway::ingest
