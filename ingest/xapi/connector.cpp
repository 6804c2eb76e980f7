#include "ingest/xapi/connector.hpp"

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/ssl.h>

namespace spillway::ingest {
namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// What went wrong in a step: the system's words, or that the deadline passed (the resolver is cancelled
// and the socket closed at the deadline, which would otherwise read as "Operation canceled").
std::string why(const boost::system::error_code& ec, std::chrono::steady_clock::time_point deadline) {
  if (ec == beast::error::timeout || std::chrono::steady_clock::now() >= deadline)
    return "no answer before the deadline (stream.connect_timeout)";
  return ec.message();
}

}  // namespace

tls_trust tls_trust_from(const config::settings& settings) {
  return {settings.stream.ca_file, settings.stream.trust_system_roots};
}

common::result<asio::ssl::context> make_client_tls_context(const tls_trust& trust) {
  if (!trust.system_roots && trust.ca_file.empty())
    return common::error(common::errc::config,
                         "stream.trust_system_roots = false and stream.ca_file is empty: no certificate authority "
                         "would be trusted; set stream.ca_file to the CA's PEM, or trust_system_roots = true");
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  // Without set_default_verify_paths the context's store holds only what load_verify_file adds.
  if (trust.system_roots) ctx.set_default_verify_paths();
  if (!trust.ca_file.empty()) {
    boost::system::error_code ec;
    ctx.load_verify_file(trust.ca_file, ec);
    if (ec) {
      return common::error(common::errc::config,
                           "cannot load stream.ca_file '" + trust.ca_file + "': " + ec.message() +
                               "; point it at a readable PEM file with the CA certificate(s), or remove the key");
    }
  }
  ctx.set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

connection::connection(asio::io_context& io, endpoint peer, asio::ssl::context* tls)
    : resolver_(io), peer_(std::move(peer)), tls_(tls), stream_(std::in_place_type<beast::tcp_stream>, io) {}

beast::tcp_stream& connection::lowest() noexcept {
  if (auto* s = std::get_if<tls_stream>(&stream_)) return beast::get_lowest_layer(*s);
  return std::get<beast::tcp_stream>(stream_);
}

void connection::close() noexcept {
  resolver_.cancel();
  boost::system::error_code ignored;
  lowest().socket().close(ignored);
}

asio::awaitable<common::result<void>> connection::open(std::chrono::steady_clock::time_point deadline) {
  step_ = connect_step::resolve;
  asio::steady_timer resolve_deadline(co_await asio::this_coro::executor, deadline);
  resolve_deadline.async_wait([this](boost::system::error_code ec) {
    if (!ec) resolver_.cancel();
  });
  auto [rec, results] = co_await resolver_.async_resolve(peer_.host, peer_.port, use_tuple);
  resolve_deadline.cancel();
  if (rec) co_return failure("cannot resolve host '" + peer_.host + "': " + why(rec, deadline) + "; check stream.base_url and DNS");

  step_ = connect_step::connect;
  auto& tcp = std::get<beast::tcp_stream>(stream_);
  tcp.expires_at(deadline);
  auto [cec, connected_to] = co_await tcp.async_connect(results, use_tuple);
  (void)connected_to;
  if (cec)
    co_return failure("cannot connect to " + where() + ": " + why(cec, deadline) +
                      "; check stream.base_url, the network and any proxy/firewall");
  if (!peer_.tls) co_return common::result<void>();

  step_ = connect_step::tls;
  if (tls_ == nullptr) co_return failure("no TLS context for https://" + where() + "; use an http:// stream.base_url");
  // The connected TCP stream moves into the TLS stream. Creating the SSL object can only fail when
  // OpenSSL is out of memory; the variant then holds a fresh closed socket, never no stream at all.
  const auto executor = tcp.get_executor();
  beast::tcp_stream connected(std::move(tcp));
  try {
    stream_.emplace<tls_stream>(std::move(connected), *tls_);
  } catch (const std::exception& e) {
    stream_.emplace<beast::tcp_stream>(executor);
    co_return failure("cannot start TLS with " + where() + ": " + e.what());
  }
  auto& tls = std::get<tls_stream>(stream_);
  if (!SSL_set_tlsext_host_name(tls.native_handle(), peer_.host.c_str()))
    co_return failure("cannot set TLS SNI for host '" + peer_.host + "'; check stream.base_url");
  tls.set_verify_callback(asio::ssl::host_name_verification(peer_.host));
  beast::get_lowest_layer(tls).expires_at(deadline);
  auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec)
    co_return failure("TLS handshake with " + where() + " failed: " + why(hec, deadline) +
                      "; if the server uses a private CA, set stream.ca_file to its PEM; if it speaks plain HTTP, "
                      "use an http:// stream.base_url");
  co_return common::result<void>();
}

}  // namespace spillway::ingest
