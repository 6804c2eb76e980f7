#include "ingest/xapi/http_client.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>

#include "ingest/xapi/connector.hpp"

namespace spillway::ingest {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// The answer head: Beast's default, set here so that the error can name it.
constexpr std::uint32_t kMaxHeader = 8 * 1024;

common::error transport(std::string message) { return {common::errc::network, std::move(message)}; }

// An answer that does not fit its ceiling is not the X API's: retrying would read it again.
common::error oversized(const connection& conn, std::string what) {
  return {common::errc::protocol, "the answer from " + conn.where() + " has " + std::move(what) +
                                      ": not the X API; check stream.base_url"};
}

// The answer-size errors of a read, or nullopt for any other.
std::optional<common::error> ceiling_error(const beast::error_code& ec, const connection& conn) {
  if (ec == http::error::header_limit)
    return oversized(conn, "a head longer than " + std::to_string(kMaxHeader / 1024) + " KiB");
  if (ec == http::error::body_limit)
    return oversized(conn, "a body larger than " + std::to_string(http_client::max_body_bytes >> 20) + " MiB");
  if (ec == http::error::buffer_overflow)
    return oversized(conn, "a chunk header (chunk-size line, extension or trailer) longer than " +
                               std::to_string(http_client::max_read_buffer_bytes / 1024) + " KiB");
  return std::nullopt;
}

// A 200 body handed to `sink` piece by piece as it arrives (http_request_extra::on_body): no body limit,
// memory bounded by one read.
template <typename Stream>
asio::awaitable<common::result<void>> read_body_pieces(Stream& stream, beast::flat_buffer& buf,
                                                       http::response_parser<http::string_body>& parser,
                                                       const connection& conn,
                                                       const std::function<bool(std::string_view)>& sink) {
  parser.body_limit(boost::none);
  while (!parser.is_done()) {
    auto [ec, n] = co_await http::async_read_some(stream, buf, parser, use_tuple);
    (void)n;
    auto& body = parser.get().body();
    if (!body.empty()) {
      if (!sink(body)) co_return transport("stopped by the caller while reading from " + conn.where());
      body.clear();
    }
    if (ec == http::error::need_buffer) continue;
    if (auto too_big = ceiling_error(ec, conn)) co_return *too_big;
    if (ec && !parser.is_done())
      co_return transport("reading the body from " + conn.where() + " failed before its end: " + ec.message() +
                          "; retry, and check the network");
    if (ec) break;
  }
  co_return common::result<void>();
}

// Writes the request on the open connection and reads the answer into `out`.
template <typename Stream>
asio::awaitable<common::result<void>> exchange(Stream& stream, connection& conn, const http_request& req,
                                               const http_request_extra& extra, http_response& out) {
  auto msg = x_request<http::string_body>(http::string_to_verb(req.method), req.target, conn.peer(),
                                          extra.authorization.empty() ? std::string_view(req.bearer) : "");
  msg.set(http::field::connection, "close");
  if (!extra.authorization.empty()) msg.set(http::field::authorization, extra.authorization);
  if (!req.body.empty()) {
    msg.set(http::field::content_type, extra.content_type.empty() ? "application/json" : extra.content_type);
    msg.body() = req.body;
  }
  msg.prepare_payload();
  if (auto written = co_await conn.write(msg); !written) co_return written.error();
  // Bounded: it holds the unparsed head and chunk headers, which no Beast limit covers.
  beast::flat_buffer buf(http_client::max_read_buffer_bytes);
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeader);
  parser.body_limit(http_client::max_body_bytes);
  auto [hec, hn] = co_await http::async_read_header(stream, buf, parser, use_tuple);
  (void)hn;
  if (auto too_big = ceiling_error(hec, conn)) co_return *too_big;
  if (hec)
    co_return transport("reading the answer of " + conn.where() + " failed: " + hec.message() +
                        "; check that stream.base_url points at the X API (or the emulator)");
  const auto& head = parser.get();
  out.status = static_cast<int>(head.result_int());
  out.content_type = std::string(head[http::field::content_type]);
  out.rate = parse_rate_limit_headers(head);
  if (req.header_only_on_200 && out.status == 200) co_return common::result<void>();
  if (extra.on_body && out.status == 200) co_return co_await read_body_pieces(stream, buf, parser, conn, extra.on_body);
  auto [bec, bn] = co_await http::async_read(stream, buf, parser, use_tuple);
  (void)bn;
  if (auto too_big = ceiling_error(bec, conn)) co_return *too_big;
  // A peer that closes without close_notify after the whole body is common and harmless.
  if (bec && bec != http::error::end_of_stream && bec != asio::ssl::error::stream_truncated)
    co_return transport("reading the body from " + conn.where() + " failed: " + bec.message() +
                        "; retry, and check the network");
  out.body = parser.get().body();
  co_return common::result<void>();
}

}  // namespace

http_client::http_client(endpoint ep, std::unique_ptr<asio::ssl::context> tls, std::chrono::milliseconds timeout)
    : ep_(std::move(ep)), tls_(std::move(tls)), timeout_(timeout) {}

common::result<http_client> http_client::create(endpoint ep, const tls_trust& trust, std::chrono::milliseconds timeout) {
  std::unique_ptr<asio::ssl::context> tls;
  if (ep.tls) {
    auto ctx = make_client_tls_context(trust);
    if (!ctx) return ctx.error();
    tls = std::make_unique<asio::ssl::context>(std::move(*ctx));
  }
  return http_client(std::move(ep), std::move(tls), timeout);
}

common::result<http_response> http_client::send(const http_request& request) {
  return send(request, http_request_extra{});
}

common::result<http_response> http_client::send(const http_request& request, const http_request_extra& extra) {
  asio::io_context io;
  http_response out;
  std::optional<common::error> failed;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  bool stopped = false;
  bool finished = false;
  connection conn(io, ep_, tls_.get());
  asio::steady_timer poll(io);
  auto run = [&]() -> asio::awaitable<void> {
    auto done = co_await conn.open(deadline);
    if (done) done = co_await conn.with_stream([&](auto& s) { return exchange(s, conn, request, extra, out); });
    if (!done) failed = done.error();
    finished = true;
    poll.cancel();
  };
  // Looks at the stop source while the exchange runs; a stop closes the connection, which ends it.
  auto watch = [&]() -> asio::awaitable<void> {
    while (stop_ != nullptr && !finished) {
      if (stop_->stop_requested()) {
        stopped = true;
        conn.close();
        co_return;
      }
      poll.expires_after(stop_poll_interval);
      if (auto [ec] = co_await poll.async_wait(use_tuple); ec) co_return;
    }
  };
  asio::co_spawn(io, run(), asio::detached);
  asio::co_spawn(io, watch(), asio::detached);
  io.run();
  if (stopped)
    return transport("stopped (SIGINT/SIGTERM) during a call to " + ep_.host + ":" + ep_.port);
  if (!failed) return out;
  // The socket's expiry closes it at the deadline; its error then reads as "operation canceled".
  if (std::chrono::steady_clock::now() >= deadline)
    return transport("no complete answer from " + ep_.host + ":" + ep_.port + " within " +
                     std::to_string(timeout_.count()) +
                     " ms; check the network path and stream.base_url (stream.connect_timeout sets this limit)");
  return *failed;
}

std::chrono::milliseconds control_timeout(const config::settings& settings) {
  return std::max(settings.stream.connect_timeout, std::chrono::milliseconds(30000));
}

common::result<http_client> make_control_client(const config::settings& settings, std::chrono::milliseconds timeout,
                                                const stop_source* stop) {
  auto ep = parse_base_url(settings.stream.base_url);
  if (!ep) return common::error(common::errc::config, "stream.base_url: " + ep.error().message);
  auto client = http_client::create(std::move(*ep), tls_trust_from(settings), timeout);
  if (client) client->set_stop(stop);
  return client;
}

}  // namespace spillway::ingest
