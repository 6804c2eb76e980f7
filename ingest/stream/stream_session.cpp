#include "ingest/stream/stream_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>

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

session_result shutdown_result() {
  session_result r;
  r.what = session_result::kind::shutdown;
  return r;
}

session_result::layer layer_of(connect_step step) {
  switch (step) {
    case connect_step::resolve: return session_result::layer::dns;
    case connect_step::tls: return session_result::layer::tls;
    case connect_step::connect:
    case connect_step::request: break;
  }
  return session_result::layer::tcp;
}

void fail(session_result& r, session_result::kind k, std::string detail) {
  r.what = k;
  r.detail = std::move(detail);
}

// Classifies a read error once the stream is established.
void classify_stream_error(const beast::error_code& ec, const std::string& peer, session_result& r) {
  if (ec == beast::error::timeout) {
    fail(r, session_result::kind::stall, "no byte from " + peer + " within the stall timeout (heartbeats count); reconnecting");
  } else if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
             ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated) {
    fail(r, session_result::kind::stream_ended, "the server closed the stream (" + ec.message() + ")");
  } else if (ec.category() == http::make_error_code(http::error::bad_version).category() || ec == http::error::body_limit) {
    fail(r, session_result::kind::protocol_error,
         "the stream body from " + peer + " is not valid HTTP/1.1 chunked encoding (" + ec.message() + ")");
  } else {
    fail(r, session_result::kind::stream_ended, "the stream from " + peer + " broke: " + ec.message());
  }
}

}  // namespace

session_options session_options_from(const config::settings& settings) {
  return {settings.stream.connect_timeout, settings.reconnect.stall_timeout};
}

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
  connection conn(io_, ep_, &tls_);
  close_current_ = [&] { conn.close(); };
  struct clear_on_exit {
    std::function<void()>& f;
    ~clear_on_exit() { f = nullptr; }
  } clear{close_current_};

  auto opened = co_await conn.open(std::chrono::steady_clock::now() + options_.connect_timeout);
  if (cancelled_) co_return shutdown_result();
  if (!opened) {
    result.failed_layer = layer_of(conn.step());
    fail(result, session_result::kind::network_error, opened.error().message);
    co_return result;
  }
  auto& socket = conn.lowest().socket();
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  // Large kernel buffers absorb X's bursts while the reader is busy framing (XAPI.md: bursts of 5–10×).
  socket.set_option(asio::socket_base::receive_buffer_size(4 << 20), ignored);

  co_await conn.with_stream([&](auto& stream) { return exchange(stream, conn, target, bearer, result); });
  if (cancelled_) result.what = session_result::kind::shutdown;
  co_return result;
}

template <typename Stream>
asio::awaitable<void> stream_session::exchange(Stream& stream, connection& conn, const std::string& target,
                                               const std::string& bearer, session_result& result) {
  auto& lowest = conn.lowest();
  auto request = x_request<http::empty_body>(http::verb::get, target, ep_, bearer);
  lowest.expires_after(options_.connect_timeout);
  auto written = co_await conn.write(request);
  if (!written) {
    if (!cancelled_) fail(result, session_result::kind::network_error, written.error().message);
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
      fail(result, session_result::kind::network_error, "no HTTP response from " + conn.where() + " within stream.connect_timeout");
    } else if (hec == http::error::end_of_stream || hec == asio::error::eof || hec == asio::error::connection_reset) {
      fail(result, session_result::kind::network_error, conn.where() + " closed the connection before answering (" + hec.message() + ")");
    } else {
      fail(result, session_result::kind::protocol_error,
           conn.where() + " did not answer with HTTP/1.1 (" + hec.message() +
               "); check that stream.base_url has the right scheme (https vs http) and port");
    }
    co_return;
  }
  const auto& header = parser.get();
  result.rate_limit = parse_rate_limit_headers(header);
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
         "expected a chunked application/json stream from " + conn.where() + " but got content-type '" +
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
      classify_stream_error(rec, conn.where(), result);
      break;
    }
  }
  result.lines = publisher_.lines_in_body();
  result.notice = publisher_.take_notice();
  publisher_.end_of_body(unix_ms_now());
}

}  // namespace spillway::ingest
