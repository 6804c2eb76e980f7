#include "ingest/xapi/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include "ingest/xapi/connector.hpp"

namespace spillway::ingest {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxBody = 8 * 1024 * 1024;  // a full page of 1,000 rules is ~1.2 MB

std::string where(const endpoint& ep) { return ep.host + ":" + ep.port; }

std::string header(const http::response_parser<http::string_body>& p, std::string_view name) {
  const auto& msg = p.get();
  const auto it = msg.find(beast::string_view(name.data(), name.size()));
  return it == msg.end() ? std::string() : std::string(it->value());
}

template <typename Stream>
asio::awaitable<void> exchange(Stream& stream, const endpoint& ep, const http_request& req,
                               const http_request_extra& extra, http_response& out) {
  http::request<http::string_body> msg{http::string_to_verb(req.method), req.target, 11};
  msg.set(http::field::host, ep.host);
  msg.set(http::field::user_agent, "spillway/0.1");
  msg.set(http::field::accept, "application/json");
  msg.set(http::field::connection, "close");
  if (!extra.authorization.empty()) msg.set(http::field::authorization, extra.authorization);
  else if (!req.bearer.empty()) msg.set(http::field::authorization, "Bearer " + req.bearer);
  if (!req.body.empty()) {
    msg.set(http::field::content_type, extra.content_type.empty() ? "application/json" : extra.content_type);
    msg.body() = req.body;
  }
  msg.prepare_payload();
  auto [wec, wn] = co_await http::async_write(stream, msg, use_tuple);
  (void)wn;
  if (wec) {
    out.error = "sending the request to " + where(ep) + " failed: " + wec.message() +
                "; check the network path and stream.base_url";
    co_return;
  }
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  auto [hec, hn] = co_await http::async_read_header(stream, buf, parser, use_tuple);
  (void)hn;
  if (hec) {
    out.error = "reading the answer of " + where(ep) + " failed: " + hec.message() +
                "; check that stream.base_url points at the X API (or the emulator)";
    co_return;
  }
  out.status = static_cast<int>(parser.get().result_int());
  out.content_type = header(parser, "content-type");
  out.rate = parse_rate_limit_headers(header(parser, "x-rate-limit-limit"), header(parser, "x-rate-limit-remaining"),
                                      header(parser, "x-rate-limit-reset"));
  if (req.header_only_on_200 && out.status == 200) co_return;
  auto [bec, bn] = co_await http::async_read(stream, buf, parser, use_tuple);
  (void)bn;
  // A peer that closes without close_notify after the whole body is common and harmless.
  if (bec && bec != http::error::end_of_stream && bec != asio::ssl::error::stream_truncated) {
    out.error = "reading the body from " + where(ep) + " failed: " + bec.message() + "; retry, and check the network";
    co_return;
  }
  out.body = parser.get().body();
}

}  // namespace

http_client::http_client(endpoint ep, const std::string& ca_file, std::chrono::milliseconds timeout)
    : ep_(std::move(ep)), timeout_(timeout) {
  if (ep_.tls) tls_ = std::make_unique<asio::ssl::context>(make_client_tls_context(ca_file));
}

http_response http_client::send(const http_request& request) { return send(request, http_request_extra{}); }

http_response http_client::send(const http_request& request, const http_request_extra& extra) {
  asio::io_context io;
  http_response out;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  auto run = [&]() -> asio::awaitable<void> {
    tcp::resolver resolver(io);
    asio::steady_timer resolve_timer(io, deadline);
    resolve_timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) resolver.cancel();
    });
    auto [rec, results] = co_await resolver.async_resolve(ep_.host, ep_.port, use_tuple);
    resolve_timer.cancel();
    if (rec) {
      out.error = "cannot resolve host '" + ep_.host + "': " + rec.message() + "; check stream.base_url and DNS";
      co_return;
    }
    beast::tcp_stream tcp_stream(io);
    tcp_stream.expires_at(deadline);
    auto [cec, cep] = co_await tcp_stream.async_connect(results, use_tuple);
    (void)cep;
    if (cec) {
      out.error = "cannot connect to " + where(ep_) + ": " + cec.message() +
                  "; check stream.base_url, the network and any proxy/firewall";
      co_return;
    }
    if (!ep_.tls) {
      co_await exchange(tcp_stream, ep_, request, extra, out);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream), *tls_);
    if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), ep_.host.c_str())) {
      out.error = "cannot set TLS SNI for host '" + ep_.host + "'; check stream.base_url";
      co_return;
    }
    tls_stream.set_verify_callback(asio::ssl::host_name_verification(ep_.host));
    auto [hec] = co_await tls_stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) {
      out.error = "TLS handshake with " + where(ep_) + " failed: " + hec.message() +
                  "; if the server uses a private CA, set stream.ca_file to its PEM";
      co_return;
    }
    co_await exchange(tls_stream, ep_, request, extra, out);
  };
  asio::co_spawn(io, run(), asio::detached);
  io.run();
  // tcp_stream's expiry closes the socket at the deadline; its error then reads as "operation canceled".
  if (!out.error.empty() && std::chrono::steady_clock::now() >= deadline)
    out.error = "no complete answer from " + where(ep_) + " within " + std::to_string(timeout_.count()) +
                " ms; check the network path and stream.base_url (stream.connect_timeout sets this limit)";
  return out;
}

std::unique_ptr<http_client> make_control_client(const config::settings& settings, std::chrono::milliseconds timeout,
                                                 std::string& error) {
  auto ep = parse_base_url(settings.stream.base_url, error);
  if (!ep) {
    error = "stream.base_url: " + error;
    return nullptr;
  }
  try {
    return std::make_unique<http_client>(std::move(*ep), settings.stream.ca_file, timeout);
  } catch (const std::exception& e) {
    error = e.what();
    return nullptr;
  }
}

}  // namespace spillway::ingest
