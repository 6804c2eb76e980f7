#pragma once
// connector: how Spillway reaches the X API — the one resolve → connect → TLS (SNI, host-name check) →
// request sequence, shared by the stream session (ingest/stream) and the control-plane client
// (http_client). What happens after the request is written (an endless chunked body, or one JSON answer)
// is the caller's.
//
// - make_client_tls_context: the TLS client context (the system roots unless stream.trust_system_roots =
//   false, plus stream.ca_file when set; TLS 1.2+; peer verification on).
// - connection: owns the resolver and the socket (plain, or wrapped in TLS after the handshake) of one
//   attempt. Every failure is errc::network with one line naming the step, the peer and the fix; step()
//   says which step it was (the stream reports it as the failed layer).
// - x_request: the request head every call to X starts from.
//
// Thread: the context is built at start-up on the calling thread and is then read-only (asio's ssl context
// may be shared by streams on one thread); it must outlive every connection made with it. A connection
// runs its coroutines on one io_context thread, and close() must be called on that thread too.
// Must outlive a connection: the io_context and the TLS context.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/error.hpp"
#include "config/settings.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {

// The User-Agent of every request Spillway sends to X.
inline constexpr std::string_view user_agent = "spillway/0.1";

// Which certificate authorities verify the server.
struct tls_trust {
  std::string ca_file;        // PEM with one or more CA certificates; empty: none
  bool system_roots = true;   // also the system store (OpenSSL's default paths, SSL_CERT_FILE/SSL_CERT_DIR)
};
// stream.ca_file and stream.trust_system_roots.
[[nodiscard]] tls_trust tls_trust_from(const config::settings& settings);

// An SSL context that verifies the chain against what `trust` names. errc::config naming the file and the
// fix when ca_file cannot be loaded, or when nothing at all would be trusted (start-up only).
[[nodiscard]] common::result<boost::asio::ssl::context> make_client_tls_context(const tls_trust& trust);

// The step a connection is in, or failed in.
enum class connect_step : std::uint8_t { resolve, connect, tls, request };

class connection {
 public:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  // tls: the client context for an https peer (may be null for an http one).
  connection(boost::asio::io_context& io, endpoint peer, boost::asio::ssl::context* tls);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Resolve, connect and, for https, the TLS handshake with SNI and the host-name check; all by
  // `deadline` (the socket's expiry stays at it until the caller sets another).
  [[nodiscard]] boost::asio::awaitable<common::result<void>> open(std::chrono::steady_clock::time_point deadline);

  // Writes one request on the open connection (bounded by the socket's current expiry).
  template <typename Body>
  [[nodiscard]] boost::asio::awaitable<common::result<void>> write(boost::beast::http::request<Body>& request) {
    step_ = connect_step::request;
    auto [ec, bytes] = co_await with_stream([&](auto& s) {
      return boost::beast::http::async_write(s, request, boost::asio::as_tuple(boost::asio::use_awaitable));
    });
    (void)bytes;
    if (ec) co_return failure("sending the request to " + where() + " failed: " + ec.message() +
                              "; check the network path and stream.base_url");
    co_return common::result<void>();
  }

  // Calls f with the open stream: the TLS stream for https, the TCP stream for http. Both calls must
  // return the same type (e.g. an awaitable from a generic lambda).
  template <typename F>
  decltype(auto) with_stream(F&& f) {
    if (auto* s = std::get_if<tls_stream>(&stream_)) return std::forward<F>(f)(*s);
    return std::forward<F>(f)(std::get<boost::beast::tcp_stream>(stream_));
  }

  // The TCP layer (for expiries and socket options).
  [[nodiscard]] boost::beast::tcp_stream& lowest() noexcept;
  // Ends whatever step is pending (resolve, connect, handshake, read, write) with an error. Idempotent.
  void close() noexcept;

  [[nodiscard]] connect_step step() const noexcept { return step_; }
  [[nodiscard]] const endpoint& peer() const noexcept { return peer_; }
  [[nodiscard]] std::string where() const { return peer_.host + ":" + peer_.port; }  // "host:port"

 private:
  [[nodiscard]] static common::error failure(std::string message) {
    return {common::errc::network, std::move(message)};
  }

  boost::asio::ip::tcp::resolver resolver_;
  endpoint peer_;
  boost::asio::ssl::context* tls_;
  std::variant<boost::beast::tcp_stream, tls_stream> stream_;
  connect_step step_ = connect_step::resolve;
};

// The request head every call to X starts from: method and target, Host, User-Agent, Accept:
// application/json, and Authorization: Bearer <bearer> when bearer is not empty (the token goes there and
// nowhere else).
template <typename Body>
[[nodiscard]] boost::beast::http::request<Body> x_request(boost::beast::http::verb method, const std::string& target,
                                                          const endpoint& peer, std::string_view bearer) {
  namespace http = boost::beast::http;
  http::request<Body> request{method, target, 11};
  request.set(http::field::host, peer.host);
  request.set(http::field::user_agent, user_agent);
  request.set(http::field::accept, "application/json");
  if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + std::string(bearer));
  return request;
}

}  // namespace spillway::ingest
