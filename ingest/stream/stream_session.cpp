#include "ingest/stream/stream_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <functional>
#include <memory>

#include "common/clock.hpp"
#include "common/log.hpp"

namespace spillway::ingest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::uint64_t max_error_body_bytes = 64 * 1024;
// Header text from the server (reason phrase, content-type) is data: escaped and capped before it
// reaches a message (a reason phrase may be 8 KiB long).
constexpr std::size_t max_header_text_bytes = 128;
// The read buffer holds only what the parser has not consumed yet: the response head (Beast's own
// header_limit, 8 KiB, ends a longer one), and then at most one read (64 KiB) plus an incomplete
// chunk-size line, chunk extension or trailer, which no Beast limit covers. Bounding the buffer bounds
// those: a chunk header that never ends fails with buffer_overflow once it fills this, instead of growing
// the process without limit (issue 10: 2 GiB in 9 s). X's chunk headers are a few bytes.
constexpr std::size_t read_buffer_bytes = 256 * 1024;
// The response head: X's is about 1 KiB. Beast's default, set here so that the error can name it.
constexpr std::uint32_t max_header_bytes = 8 * 1024;
constexpr std::size_t max_read_buffer_bytes = 512 * 1024;

// Runs `f` when the scope ends, however it ends (co_return on any path, the frame destroyed on shutdown).
template <typename F>
struct at_scope_exit {
  F f;
  ~at_scope_exit() { f(); }
};
template <typename F>
at_scope_exit(F) -> at_scope_exit<F>;

// Ends a stream whose last complete line is older than reconnect.stall_timeout. One timer for the whole
// body rather than a deadline on every read: beast's per-read expiry armed a timerfd, an epoll round and
// an allocation each read, 0.05-0.09 us of CPU per Post on the receive path (bench-receive, three
// interleaved pairs). Its handler holds it by shared_ptr, so a wake-up already queued when the body ends
// finds `finished` instead of a destroyed frame.
class stall_watchdog : public std::enable_shared_from_this<stall_watchdog> {
 public:
  stall_watchdog(asio::io_context& io, std::chrono::milliseconds timeout, std::function<void()> on_stall)
      : timer_(io), timeout_(timeout), on_stall_(std::move(on_stall)) {}

  // Called by the read loop whenever the clock moves: a complete line arrived, or the reader waited for
  // its own pipeline (that time is not the peer's).
  std::chrono::steady_clock::time_point last_line = std::chrono::steady_clock::now();

  void start() { arm(); }
  [[nodiscard]] bool stalled() const noexcept { return stalled_; }
  // Before the connection it closes goes away.
  void finish() noexcept {
    finished_ = true;
    timer_.cancel();
  }

 private:
  void arm() {
    timer_.expires_at(last_line + timeout_);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) { self->woke(ec); });
  }
  void woke(const boost::system::error_code& ec) {
    if (finished_ || ec == asio::error::operation_aborted) return;
    // Lines came in since the timer was set: sleep until the newest one is stall_timeout old.
    if (std::chrono::steady_clock::now() < last_line + timeout_) return arm();
    stalled_ = true;
    on_stall_();  // closes the connection; the pending read ends and the loop reports the stall
  }

  asio::steady_timer timer_;
  std::chrono::milliseconds timeout_;
  std::function<void()> on_stall_;
  bool stalled_ = false;
  bool finished_ = false;
};

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
    fail(r, session_result::kind::stall,
         "no complete line from " + peer + " within reconnect.stall_timeout (heartbeats count; bytes that never "
         "end a line do not); reconnecting");
  } else if (ec == http::error::buffer_overflow) {
    r.failed_layer = session_result::layer::http;
    fail(r, session_result::kind::protocol_error,
         "the stream from " + peer + " sent a chunk header (chunk-size line, extension or trailer) longer than " +
             std::to_string(max_read_buffer_bytes / 1024) +
             " KiB without ending it: not the X API's chunked encoding; check stream.base_url");
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
  at_scope_exit clear{[this] { close_current_ = nullptr; }};

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

  beast::flat_buffer buffer(max_read_buffer_bytes);
  // Beast sizes each read by the buffer's spare capacity (at most 64 KiB): without this reserve a fresh
  // buffer reads ~1 KiB at a time, one syscall per Post.
  buffer.reserve(read_buffer_bytes);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // the stream body never ends
  parser.header_limit(max_header_bytes);
  auto [hec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
  if (hec) {
    if (cancelled_) co_return;
    result.failed_layer = session_result::layer::http;
    if (hec == beast::error::timeout) {
      fail(result, session_result::kind::network_error, "no HTTP response from " + conn.where() + " within stream.connect_timeout");
    } else if (hec == http::error::header_limit || hec == http::error::buffer_overflow) {
      fail(result, session_result::kind::protocol_error,
           "the response head from " + conn.where() + " is longer than " + std::to_string(max_header_bytes) +
               " bytes (header limit exceeded): not the X API; check stream.base_url");
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
    // Taken before the parser (and with it `header`) moves into the error parser.
    const auto reason = common::log_sample({header.reason().data(), header.reason().size()}, max_header_text_bytes);
    http::response_parser<http::string_body> error_parser(std::move(parser));
    error_parser.body_limit(max_error_body_bytes);
    lowest.expires_after(options_.connect_timeout);
    // A failed or cut-off body still leaves what arrived in the parser; the status alone decides.
    [[maybe_unused]] auto [bec, body_bytes] = co_await http::async_read(stream, buffer, error_parser, use_tuple);
    result.body = error_parser.get().body();  // what arrived, even when the read failed part-way
    fail(result, session_result::kind::http_status,
         "the stream answered HTTP " + std::to_string(result.status) + " " + reason);
    co_return;
  }
  const auto content_type = header[http::field::content_type];
  if (!parser.chunked() || content_type.find("json") == std::string_view::npos) {
    result.failed_layer = session_result::layer::http;
    fail(result, session_result::kind::protocol_error,
         "expected a chunked application/json stream from " + conn.where() + " but got content-type '" +
             common::log_sample({content_type.data(), content_type.size()}, max_header_text_bytes) + "'" +
             (parser.chunked() ? "" : " without chunked transfer-encoding") +
             "; check that stream.base_url points at the X API");
    co_return;
  }

  result.connected = true;
  if (on_established_) on_established_(result.rate_limit);
  // The stall clock runs from the last complete line (heartbeats count), not from the last byte: a peer
  // that trickles bytes without ever ending a line is as dead as a silent one. Time the reader spends
  // waiting for its own pipeline (ring or slab space, in writable()) is not the peer's and moves the clock.
  lowest.expires_never();  // the watchdog keeps the stall clock from here on
  const auto watchdog = std::make_shared<stall_watchdog>(io_, options_.stall_timeout, [&conn] { conn.close(); });
  at_scope_exit finish{[&w = *watchdog] { w.finish(); }};
  watchdog->start();
  auto frames = publisher_.frames();
  for (;;) {
    const auto asked = std::chrono::steady_clock::now();
    const auto room = publisher_.writable();
    watchdog->last_line += std::chrono::steady_clock::now() - asked;
    auto& body = parser.get().body();
    body.data = room.data();
    body.size = room.size();
    body.more = true;
    auto [rec, n] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
    const auto got = room.size() - body.size;
    if (got != 0) publisher_.commit(got, common::unix_ms_now());
    if (publisher_.frames() != frames) {
      frames = publisher_.frames();
      watchdog->last_line = std::chrono::steady_clock::now();
    }
    if (rec == http::error::need_buffer) rec = {};
    if (watchdog->stalled()) rec = beast::error::timeout;  // the watchdog closed the connection
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
  publisher_.end_of_body(common::unix_ms_now());
}

}  // namespace spillway::ingest
