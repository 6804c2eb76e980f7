#pragma once
// http_client: one-shot HTTP/1.1 requests (JSON in, JSON out) to the X API's control endpoints — the rules
// endpoints, token grants and checks, and a brief look at the stream's status line for `diagnose`. One
// connection per request (`connection: close`): these calls are rare, so there is nothing to pool.
// The connection is the stream's (connector): same TLS checks (tls_trust, SNI and host-name check), same
// error texts.
//
// Every answer is bounded: the head by Beast's header limit (8 KiB), the body by max_body_bytes, and the
// read buffer (chunk-size lines, extensions, trailers, which no Beast limit covers) by
// max_read_buffer_bytes; a larger answer is errc::protocol. A stop_source, when set, ends an exchange
// within stop_poll_interval of a stop request (errc::network, "stopped").
//
// Owns: the SSL context (when the endpoint is https). Thread: send() runs its own io_context on the
// calling thread and returns when the exchange ends, the deadline passes or a stop is requested; one
// caller at a time. Never throws. Must outlive it: the stop_source, when set.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "common/error.hpp"
#include "config/settings.hpp"
#include "ingest/xapi/connector.hpp"
#include "ingest/xapi/rate_limits.hpp"
#include "ingest/xapi/stop_source.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {

struct http_request {
  std::string method = "GET";
  std::string target;  // path and query, e.g. "/2/tweets/search/stream/rules?max_results=1000"
  std::string body;    // sent as application/json when non-empty
  std::string bearer;  // goes into the Authorization header and nowhere else
  // For the stream: stop after the header when the status is 200 (the body never ends).
  bool header_only_on_200 = false;
};

// Header overrides for the token endpoints, kept apart from http_request so that its existing aggregate
// initialisations stay valid: a full Authorization value (e.g. "Basic ...") that replaces the Bearer,
// and the body's content type (e.g. form-encoded) instead of application/json.
struct http_request_extra {
  std::string authorization;  // never logged, never in an error
  std::string content_type;
  // A body that ends but may be large (a Recovery stream's window): when set and the status is 200, the
  // body is handed over in pieces as it arrives, without max_body_bytes, and http_response::body stays
  // empty. Returning false ends the exchange (errc::network, "stopped by the caller").
  std::function<bool(std::string_view)> on_body;
};

// An answer with a status line (any status: refusals are the caller's to classify).
struct http_response {
  int status = 0;
  std::string body;
  std::string content_type;
  rate_limit_headers rate;
};

class http_client {
 public:
  // A full page of 1,000 rules is ~1.2 MB; nothing the control plane reads comes near this.
  static constexpr std::size_t max_body_bytes = 8 * 1024 * 1024;
  static constexpr std::size_t max_read_buffer_bytes = 256 * 1024;

  // timeout bounds one whole exchange (resolve, connect, handshake, write, read). errc::config when
  // trust cannot be set up (https only: ca_file unreadable, or nothing trusted).
  [[nodiscard]] static common::result<http_client> create(endpoint ep, const tls_trust& trust,
                                                          std::chrono::milliseconds timeout);

  // errc::network when no complete answer arrived: the message names the step, the peer and the fix
  // (never the token).
  [[nodiscard]] common::result<http_response> send(const http_request& request);
  [[nodiscard]] common::result<http_response> send(const http_request& request, const http_request_extra& extra);
  [[nodiscard]] const endpoint& peer() const { return ep_; }
  // From now on, send() ends early (errc::network) once stop->stop_requested(); null: never.
  void set_stop(const stop_source* stop) noexcept { stop_ = stop; }

 private:
  http_client(endpoint ep, std::unique_ptr<boost::asio::ssl::context> tls, std::chrono::milliseconds timeout);

  endpoint ep_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::chrono::milliseconds timeout_;
  const stop_source* stop_ = nullptr;
};

// The deadline of one control-plane exchange (token grants, rules pages): stream.connect_timeout, but at
// least 30 s, since a page of 1,000 rules takes longer than a connect.
[[nodiscard]] std::chrono::milliseconds control_timeout(const config::settings& settings);

// The control-plane HTTP client for `settings` (stream.base_url, stream.ca_file,
// stream.trust_system_roots); errc::config when either is unusable. `stop` as in set_stop.
[[nodiscard]] common::result<http_client> make_control_client(const config::settings& settings,
                                                              std::chrono::milliseconds timeout,
                                                              const stop_source* stop = nullptr);

}  // namespace spillway::ingest
