#include "bench/emu/stream_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <algorithm>
#include <cmath>

#include "bench/emu/api_router.hpp"
#include "bench/emu/x_responses.hpp"

namespace spillway::emu {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// The pacing grid at rates above 1,000 Posts/s (see next_post_time).
constexpr auto kPaceQuantum = std::chrono::milliseconds(1);

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
// backfill_minutes=N from the query (X accepts 1-5; out-of-range values are clamped here).
int backfill_minutes(std::string_view query) {
  constexpr std::string_view key = "backfill_minutes=";
  for (std::size_t p = 0; p < query.size();) {
    const auto amp = std::min(query.find('&', p), query.size());
    const auto kv = query.substr(p, amp - p);
    if (kv.substr(0, key.size()) == key) {
      int n = 0;
      for (char c : kv.substr(key.size())) {
        if (c < '0' || c > '9') return 0;
        n = std::min(n * 10 + (c - '0'), 5);
      }
      return n;
    }
    p = amp + 1;
  }
  return 0;
}
std::int64_t mono_ms() { return feed_now_ms(); }
}  // namespace

template <class Stream>
StreamSession<Stream>::StreamSession(std::shared_ptr<ServerState> state, Stream stream, std::uint64_t no)
    : st_(std::move(state)),
      stream_(std::move(stream)),
      watchdog_(stream_.get_executor()),
      pace_(stream_.get_executor()),
      slow_check_(stream_.get_executor()),
      framer_(st_->config.seed ^ (no * 0x9E3779B97F4A7C15ULL)) {
  rec_.connection = no;
}

template <class Stream>
void StreamSession<Stream>::abort() {
  boost::system::error_code ec;
  boost::beast::get_lowest_layer(stream_).close(ec);
  watchdog_.cancel();
  pace_.cancel();
  slow_check_.cancel();
}

template <class Stream>
void StreamSession<Stream>::arm_watchdog(std::chrono::milliseconds d) {
  watchdog_.expires_after(d);
  watchdog_.async_wait([w = this->weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = w.lock()) self->abort();
  });
}

template <class Stream>
asio::awaitable<void> StreamSession<Stream>::run() {
  auto self = this->shared_from_this();
  rec_.start_unix_ms = unix_ms();
  st_->live.emplace(rec_.connection, [w = this->weak_from_this()] {
    if (auto s = w.lock()) s->abort();
  });
  // A client that connects and says nothing must not hold a connection forever.
  arm_watchdog(10s);
  bool ok = true;
  if constexpr (kIsTlsStream<Stream>) {
    auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (ec) rec_.outcome = "tls_handshake_failed", ok = false;
  }
  bool have_request = false;
  if (ok) have_request = co_await read_request();
  if (have_request) {
    watchdog_.cancel();
    co_await route();
  } else if (ok) {
    rec_.outcome = rec_.outcome.empty() ? "no_request" : rec_.outcome;
  }
  watchdog_.cancel();
  pace_.cancel();
  slow_watch_ = false;
  slow_check_.cancel();
  if (!dump_stage_.empty() && st_->dump) {
    // A line cut by a fault: keep it, but end it so the next connection's lines stay separate.
    dump_stage_ += '\n';
    std::fwrite(dump_stage_.data(), 1, dump_stage_.size(), st_->dump.get());
  }
  rec_.end_unix_ms = unix_ms();
  if (rec_.ended.empty()) rec_.ended = st_->stopping ? "server_stopped" : "closed";
  st_->log.write(rec_);
  st_->live.erase(rec_.connection);
}

template <class Stream>
asio::awaitable<void> StreamSession<Stream>::route() {
  const ApiRequest req{method_, rec_.path, rec_.query, authorization_, body_};
  auto answer = route_request(*st_, req, RouteClock{unix_ms(), mono_ms(), ms_since_start(Clock::now())});
  rec_.outcome = std::move(answer.outcome);
  rec_.status = answer.status;
  if (!answer.stream) {
    const bool ok = co_await write_all(answer.response);
    rec_.ended = ok ? "responded" : "client_closed";
    co_await close_gracefully();
    co_return;
  }
  open_in_table();
  // The lowest lane no live stream holds: a reconnecting stream takes the lane its predecessor freed.
  while (lane_ < 63 && (st_->lanes_held >> lane_) & 1U) ++lane_;
  st_->lanes_held |= std::uint64_t{1} << lane_;
  ++lane_;
  if (answer.recovery) co_await stream_recovery(answer.rl, *answer.recovery);
  else co_await stream_posts(answer.rl);
  if (killed_) rec_.ended = "killed";
  st_->lanes_held &= ~(std::uint64_t{1} << (lane_ - 1));
  const bool dropped = rec_.ended == "client_closed";
  if (!slot_released_) st_->slots.release(mono_ms(), dropped, rec_.connection);
  slot_released_ = true;
  st_->connections.close(rec_.connection, rec_.ended, unix_ms(), dropped ? st_->slots.reap_ms() : 0);
}

template <class Stream>
void StreamSession<Stream>::open_in_table() {
  boost::system::error_code ec;
  const auto peer = boost::beast::get_lowest_layer(stream_).remote_endpoint(ec);
  st_->connections.open(rec_.connection, "filtered_stream", ec ? std::string() : peer.address().to_string(), unix_ms(),
                        [w = this->weak_from_this()] {
                          if (auto s = w.lock()) s->kill_by_api();
                        });
}

template <class Stream>
void StreamSession<Stream>::kill_by_api() {
  // Closed and its slot free before the DELETE is answered: the next connect finds the slot open.
  killed_ = true;
  if (!slot_released_) st_->slots.release(mono_ms(), false, rec_.connection);
  slot_released_ = true;
  st_->connections.close(rec_.connection, "killed", unix_ms(), 0);
  abort();
}

template <class Stream>
asio::awaitable<bool> StreamSession<Stream>::read_request() {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  auto [ec, n] = co_await http::async_read(stream_, read_buf_, parser, kTuple);
  (void)n;
  if (ec) {
    rec_.outcome = "bad_request";
    co_return false;
  }
  const auto& req = parser.get();
  const std::string_view target(req.target().data(), req.target().size());
  const auto q = target.find('?');
  rec_.path = std::string(target.substr(0, q));
  rec_.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  method_ = std::string(req.method_string());
  if (auto it = req.find(http::field::authorization); it != req.end()) authorization_ = std::string(it->value());
  body_ = req.body();
  co_return true;
}

template <class Stream>
asio::awaitable<bool> StreamSession<Stream>::write_all(const std::string& bytes) {
  if (slow_watch_) co_return co_await write_tracked(bytes);
  auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(bytes), kTuple);
  (void)n;
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> StreamSession<Stream>::close_gracefully() {
  if constexpr (kIsTlsStream<Stream>) {
    // close_notify, but never wait long for the peer's answer.
    arm_watchdog(500ms);
    co_await stream_.async_shutdown(kTuple);
    watchdog_.cancel();
  }
  boost::system::error_code ec;
  auto& sock = boost::beast::get_lowest_layer(stream_);
  sock.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

template <class Stream>
void StreamSession<Stream>::dump_consumed(std::string_view bytes) {
  if (!st_->dump || bytes.empty()) return;
  // Lines go out with "\r\n"; the dump has "\n". JSON never holds a raw CR, so dropping every CR
  // is exact. Only whole lines are written, so concurrent connections never interleave mid-line.
  for (char c : bytes)
    if (c != '\r') dump_stage_.push_back(c);
  const auto last_nl = dump_stage_.rfind('\n');
  if (last_nl == std::string::npos) return;
  std::fwrite(dump_stage_.data(), 1, last_nl + 1, st_->dump.get());
  dump_stage_.erase(0, last_nl + 1);
}

template <class Stream>
std::uint64_t StreamSession<Stream>::clock_ticks(Clock::time_point t) const {
  const double elapsed = std::max(0.0, std::chrono::duration<double>(t - stream_start_).count());
  return std::uint64_t(std::floor(elapsed * st_->config.rate));
}

template <class Stream>
std::size_t StreamSession<Stream>::posts_due(Clock::time_point now) const {
  if (st_->config.rate <= 0) return SIZE_MAX;
  const auto allowed = clock_ticks(now) + 1;  // the first goes at once
  return allowed > paced_posts_ ? std::size_t(allowed - paced_posts_) : 0;
}

template <class Stream>
StreamSession<Stream>::Clock::time_point StreamSession<Stream>::next_post_time() const {
  double at = double(paced_posts_) / st_->config.rate;  // s after the stream start
  // Above one Post per quantum, wake on the quantum's grid and write every Post due by then at once:
  // at 50,000/s one write of 50 Posts a millisecond instead of 50 timer wake-ups and writes of one Post,
  // whose system time (measured 3-6x this way's) is taken from the client on a 2-core machine.
  constexpr double q = std::chrono::duration<double>(kPaceQuantum).count();
  if (st_->config.rate * q > 1) at = std::ceil(at / q - 1e-9) * q;
  return stream_start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at));
}

template <class Stream>
std::int64_t StreamSession<Stream>::ms_since_start(Clock::time_point t) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - st_->started).count();
}

template <class Stream>
asio::awaitable<bool> StreamSession<Stream>::write_and_consume(std::string& pending, std::size_t used,
                                                               const std::string& out) {
  // (Bound to a variable first: GCC 12 miscompiles some co_await inside an if condition.)
  const bool written = co_await write_all(out);
  if (slow_tripped_) {
    co_await finish_slow_reader(pending, used, out);
    co_return false;
  }
  if (!written) {
    rec_.ended = st_->stopping ? "server_stopped" : "client_closed";
    co_return false;
  }
  dump_consumed(std::string_view(pending).substr(0, used));
  pending.erase(0, used);
  co_return true;
}

template <class Stream>
asio::awaitable<void> StreamSession<Stream>::stream_posts(const RateLimitInfo& rl) {
  rec_.status = 200;
  stream_start_ = Clock::now();
  const bool head_written = co_await write_all(stream_response_head(unix_ms() / 1000, rl, rec_.connection));
  if (!head_written) {
    rec_.ended = "client_closed";
    co_return;
  }
  const auto& cfg = st_->config;
  heartbeat_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.heartbeat_s));
  next_heartbeat_ = stream_start_ + heartbeat_;
  std::string pending, out;
  pending.reserve(cfg.write_bytes + 8 * 1024);
  out.reserve(cfg.write_bytes + 80 * 1024);
  if (cfg.rate > 0 && cfg.slow_reader_bytes > 0) start_slow_watch();
  // Pro and pay-per-use ignore backfill_minutes (X: an Enterprise feature).
  if (const int minutes = st_->caps.backfill ? backfill_minutes(rec_.query) : 0; minutes > 0) {
    // X re-sends what matched in the last N minutes, oldest first, duplicates and all.
    rec_.backfilled = st_->feed.replay_since(mono_ms() - std::int64_t(minutes) * 60000, pending);
    rec_.posts += rec_.backfilled;
    st_->usage.add(rec_.backfilled, unix_ms());  // X bills backfilled Posts like new ones
  }
  copy_cursor_ = st_->feed.newest_id();  // --full-copies: a new stream starts at the live point
  for (;;) {
    out.clear();
    const auto now = Clock::now();
    if (auto fault = st_->faults.take_due(st_->feed.taken(), ms_since_start(now), lane_)) {
      const bool go_on = co_await apply_fault(*fault, pending, out);
      if (!go_on) co_return;
      continue;
    }
    bool finish = false;
    bool capped = st_->usage.capped() && pending.empty();  // another connection used the cap up
    // --full-copies: a stream behind the others still gets what they were sent, after --count too.
    const bool behind = cfg.full_copies && st_->feed.newest_id() > copy_cursor_;
    if ((!st_->feed.exhausted() || behind) && !capped) {
      const std::size_t due = std::size_t(std::min({posts_due(now), st_->faults.posts_until_next(st_->feed.taken(), lane_),
                                                     st_->usage.remaining()}));
      if (due > 0) {
        const std::size_t n = cfg.full_copies ? st_->feed.take_copy(copy_cursor_, pending, due, cfg.write_bytes, mono_ms())
                                              : st_->feed.take(pending, due, cfg.write_bytes, mono_ms());
        rec_.posts += n;
        paced_posts_ += n;
        st_->usage.add(n, unix_ms());
        // The connection that took the last Post ends its body cleanly; others idle on heartbeats.
        // With --full-copies every stream stays open after --count (each gets every Post; none ends first).
        finish = n > 0 && st_->feed.exhausted() && !cfg.full_copies;
        // At the project's cap X stops delivering: this body ends after what was taken.
        capped = n > 0 && st_->usage.capped();
      }
    }
    if (capped) finish = true;
    std::size_t used = 0;
    if (now >= next_heartbeat_) {
      used = framer_.frame(pending, true, out);  // a heartbeat goes between lines, never inside one
      ChunkFramer::append_chunk("\r\n", out);
      next_heartbeat_ = now + heartbeat_;
    } else {
      // Paced streams flush every write (latency matters there); at --rate 0 a tail shorter than the
      // next chunk waits for the next batch, so chunks span writes as well as messages.
      used = framer_.frame(pending, finish || cfg.rate > 0, out);
    }
    if (finish) ChunkFramer::append_last_chunk(out);
    if (out.empty()) {
      auto wake = next_heartbeat_;
      if (cfg.rate > 0 && !st_->feed.exhausted()) wake = std::min(wake, next_post_time());
      if (const auto fault_ms = st_->faults.next_ms(lane_); fault_ms != INT64_MAX)
        wake = std::min(wake, st_->started + std::chrono::milliseconds(fault_ms));
      pace_.expires_at(wake);
      auto [ec] = co_await pace_.async_wait(kTuple);
      if (ec || st_->stopping) {
        rec_.ended = "server_stopped";
        co_return;
      }
      continue;
    }
    const bool written = co_await write_and_consume(pending, used, out);
    if (!written) co_return;
    if (finish) {
      rec_.ended = capped ? "usage_capped" : "count_reached";
      co_await close_gracefully();
      if (!capped && st_->on_count_done) st_->on_count_done();
      co_return;
    }
  }
}

// apply_fault is defined and instantiated in stream_session_faults.cpp.
template class StreamSession<asio::ip::tcp::socket>;
template class StreamSession<asio::ssl::stream<asio::ip::tcp::socket>>;

}  // namespace spillway::emu
