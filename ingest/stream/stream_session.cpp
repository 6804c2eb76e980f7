#include "ingest/stream/stream_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include <charconv>
#include <chrono>
#include <stdexcept>

namespace spillway::ingest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::uint64_t max_error_body_bytes = 64 * 1024;

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::int64_t> header_int(const http::fields& fields, std::string_view name) {
  const auto it = fields.find(name);
  if (it == fields.end()) return std::nullopt;
  std::int64_t v = 0;
  const auto text = it->value();
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size()) return std::nullopt;
  return v;
}

void read_rate_limits(const http::fields& fields, rate_limit_headers& out) {
  out.limit = header_int(fields, "x-rate-limit-limit");
  out.remaining = header_int(fields, "x-rate-limit-remaining");
  out.reset = header_int(fields, "x-rate-limit-reset");
}

std::string where(const endpoint& ep) { return ep.host + ":" + ep.port; }

session_result shutdown_result() {
  session_result r;
  r.what = session_result::kind::shutdown;
  return r;
}

void fail(session_result& r, session_result::kind k, std::string detail) {
  r.what = k;
  r.detail = std::move(detail);
}

// Classifies a read error once the stream is established.
void classify_stream_error(const beast::error_code& ec, const endpoint& ep, session_result& r) {
  if (ec == beast::error::timeout) {
    fail(r, session_result::kind::stall, "no byte from " + where(ep) + " within the stall timeout (heartbeats count); reconnecting");
  } else if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
             ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated) {
    fail(r, session_result::kind::stream_ended, "the server closed the stream (" + ec.message() + ")");
  } else if (ec.category() == http::make_error_code(http::error::bad_version).category() || ec == http::error::body_limit) {
    fail(r, session_result::kind::protocol_error,
         "the stream body from " + where(ep) + " is not valid HTTP/1.1 chunked encoding (" + ec.message() + ")");
  } else {
    fail(r, session_result::kind::stream_ended, "the stream from " + where(ep) + " broke: " + ec.message());
  }
}

}  // namespace

stream_session::stream_session(asio::io_context& io, asio::ssl::context& tls, endpoint ep, session_options options,
                               line_publisher& publisher)
    : io_(io), tls_(tls), ep_(std::move(ep)), options_(std::move(options)), publisher_(publisher) {}

void stream_session::cancel() {
  cancelled_ = true;
  if (close_current_) close_current_();
}

asio::awaitable<session_result> stream_session::run(std::string target, std::string bearer) {
  session_result result;
  cancelled_ = false;
  tcp::resolver resolver(io_);
  beast::tcp_stream tcp_stream(io_);
  close_current_ = [&] {
    resolver.cancel();
    beast::error_code ignored;
    tcp_stream.socket().close(ignored);
  };
  struct clear_on_exit {
    std::function<void()>& f;
    ~clear_on_exit() { f = nullptr; }
  } clear{close_current_};

  auto [rec, endpoints] = co_await resolver.async_resolve(ep_.host, ep_.port, use_tuple);
  if (cancelled_) co_return shutdown_result();
  if (rec) {
    result.failed_layer = session_result::layer::dns;
    fail(result, session_result::kind::network_error,
         "cannot resolve host '" + ep_.host + "': " + rec.message());
    co_return result;
  }
  tcp_stream.expires_after(options_.connect_timeout);
  auto [cec, connected_to] = co_await tcp_stream.async_connect(endpoints, use_tuple);
  if (cancelled_) co_return shutdown_result();
  if (cec) {
    fail(result, session_result::kind::network_error,
         "cannot connect to " + where(ep_) + ": " + cec.message());
    co_return result;
  }
  tcp_stream.socket().set_option(tcp::no_delay(true));
  // Large kernel buffers absorb X's bursts while the reader is busy framing (XAPI.md: bursts of 5–10×).
  tcp_stream.socket().set_option(asio::socket_base::receive_buffer_size(4 << 20));

  if (!ep_.tls) {
    co_await exchange(tcp_stream, target, bearer, result);
  } else {
    beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream), tls_);
    close_current_ = [&] {
      beast::error_code ignored;
      beast::get_lowest_layer(tls_stream).socket().close(ignored);
    };
    if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), ep_.host.c_str())) {
      fail(result, session_result::kind::network_error, "cannot set TLS SNI for host '" + ep_.host + "'");
      co_return result;
    }
    tls_stream.set_verify_callback(asio::ssl::host_name_verification(ep_.host));
    beast::get_lowest_layer(tls_stream).expires_after(options_.connect_timeout);
    auto [hec] = co_await tls_stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (cancelled_) co_return shutdown_result();
    if (hec) {
      result.failed_layer = session_result::layer::tls;
      fail(result, session_result::kind::network_error,
           "TLS handshake with " + where(ep_) + " failed: " + hec.message() +
               " (if the server speaks plain HTTP, use an http:// stream.base_url)");
      co_return result;
    }
    co_await exchange(tls_stream, target, bearer, result);
  }
  if (cancelled_) result.what = session_result::kind::shutdown;
  co_return result;
}

template <typename Stream>
asio::awaitable<void> stream_session::exchange(Stream& stream, const std::string& target, const std::string& bearer,
                                               session_result& result) {
  auto& lowest = beast::get_lowest_layer(stream);
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, ep_.host);
  request.set(http::field::user_agent, options_.user_agent);
  request.set(http::field::accept, "application/json");
  if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + bearer);
  lowest.expires_after(options_.connect_timeout);
  auto [wec, written] = co_await http::async_write(stream, request, use_tuple);
  if (wec) {
    if (!cancelled_) fail(result, session_result::kind::network_error, "sending the request to " + where(ep_) + " failed: " + wec.message());
    co_return;
  }

  beast::flat_buffer buffer;
  // Beast sizes each read by the buffer's spare capacity (at most 64 KiB): without this reserve a fresh
  // buffer reads ~1 KiB at a time, one syscall per Post.
  buffer.reserve(256 * 1024);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // the stream body never ends
  auto [hec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
  if (hec) {
    if (cancelled_) co_return;
    result.failed_layer = session_result::layer::http;
    if (hec == beast::error::timeout) {
      fail(result, session_result::kind::network_error, "no HTTP response from " + where(ep_) + " within stream.connect_timeout");
    } else if (hec == http::error::end_of_stream || hec == asio::error::eof || hec == asio::error::connection_reset) {
      fail(result, session_result::kind::network_error, where(ep_) + " closed the connection before answering (" + hec.message() + ")");
    } else {
      fail(result, session_result::kind::protocol_error,
           where(ep_) + " did not answer with HTTP/1.1 (" + hec.message() +
               "); check that stream.base_url has the right scheme (https vs http) and port");
    }
    co_return;
  }
  const auto& header = parser.get();
  read_rate_limits(header, result.rate_limit);
  result.status = static_cast<int>(header.result_int());

  if (result.status != 200) {
    http::response_parser<http::string_body> error_parser(std::move(parser));
    error_parser.body_limit(max_error_body_bytes);
    lowest.expires_after(options_.connect_timeout);
    // A failed or cut-off body still leaves what arrived in the parser; the status alone decides.
    [[maybe_unused]] auto [bec, body_bytes] = co_await http::async_read(stream, buffer, error_parser, use_tuple);
    result.body = error_parser.get().body();  // what arrived, even when the read failed part-way
    fail(result, session_result::kind::http_status,
         "the stream answered HTTP " + std::to_string(result.status) + " " + std::string(header.reason()));
    co_return;
  }
  const auto content_type = header[http::field::content_type];
  if (!parser.chunked() || content_type.find("json") == std::string_view::npos) {
    result.failed_layer = session_result::layer::http;
    fail(result, session_result::kind::protocol_error,
         "expected a chunked application/json stream from " + where(ep_) + " but got content-type '" +
             std::string(content_type) + "'" + (parser.chunked() ? "" : " without chunked transfer-encoding") +
             "; check that stream.base_url points at the X API");
    co_return;
  }

  result.connected = true;
  if (on_established_) on_established_(result.rate_limit);
  for (;;) {
    const auto room = publisher_.writable();
    auto& body = parser.get().body();
    body.data = room.data();
    body.size = room.size();
    body.more = true;
    lowest.expires_after(options_.stall_timeout);
    auto [rec, n] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
    const auto got = room.size() - body.size;
    if (got != 0) publisher_.commit(got, unix_ms_now());
    if (rec == http::error::need_buffer) rec = {};
    if (cancelled_) break;
    if (parser.is_done()) {
      fail(result, session_result::kind::stream_ended, "the server ended the stream body cleanly");
      break;
    }
    if (rec) {
      classify_stream_error(rec, ep_, result);
      break;
    }
  }
  result.lines = publisher_.lines_in_body();
  result.notice = publisher_.take_notice();
  publisher_.end_of_body(unix_ms_now());
}

}  // namespace spillway::ingest
