#pragma once
// stream_session: one connection to the filtered stream: connect (xapi/connector: resolve → connect → TLS)
// → GET → read the endless chunked body into the line publisher until it ends. Returns a session_result;
// never throws.
//
// Owns: the connection (socket and TLS stream) of the current attempt.
// Thread: runs as a coroutine on the reader's io_context (one thread, so no strand is needed);
// cancel() must be called on that same thread (e.g. from a signal_set handler on the io_context).
// Must outlive it: the io_context, the SSL context and the line publisher.
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "config/settings.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "ingest/stream/session_result.hpp"
#include "ingest/xapi/connector.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {

// Both come from the config (session_options_from); there is no default here.
struct session_options {
  std::chrono::milliseconds connect_timeout;  // stream.connect_timeout: connect + TLS, then the request and answer head
  std::chrono::milliseconds stall_timeout;    // reconnect.stall_timeout: no complete line (heartbeats count) for this long
};

[[nodiscard]] session_options session_options_from(const config::settings& settings);

class stream_session {
 public:
  stream_session(boost::asio::io_context& io, boost::asio::ssl::context& tls, endpoint ep,
                 session_options options, line_publisher& publisher);

  // bearer: the token itself; it goes into the Authorization header and nowhere else.
  boost::asio::awaitable<session_result> run(std::string target, std::string bearer);

  // Called once per attempt when a 200 stream is established (the supervisor times stable sessions).
  void set_on_established(std::function<void(const rate_limit_headers&)> f) { on_established_ = std::move(f); }

  // Ends the current attempt with kind::shutdown.
  void cancel();

 private:
  template <typename Stream>
  boost::asio::awaitable<void> exchange(Stream& stream, connection& conn, const std::string& target,
                                        const std::string& bearer, session_result& result);

  boost::asio::io_context& io_;
  boost::asio::ssl::context& tls_;
  endpoint ep_;
  session_options options_;
  line_publisher& publisher_;
  bool cancelled_ = false;
  std::function<void()> close_current_;
  std::function<void(const rate_limit_headers&)> on_established_;
};

}  // namespace spillway::ingest
