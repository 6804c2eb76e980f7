// StreamSession's slow-reader mode (--slow-reader-bytes with --rate > 0), kept apart from the
// normal streaming path. Posts fall due on the emulator's clock at the configured rate whether or not
// the client reads, as on X, which does not wait for a slow client. The client's backlog is the bytes of
// the write in the socket that it has not accepted yet, plus the Posts that fell due while a write
// waited on a socket without room (at the pool's mean size), no more than the Posts due and not yet
// taken: writing pays the emulator's own lag first. Posts that fall due while the socket has room and
// the emulator is merely late (an overslept pace timer, a stall fault, waiting for a CPU it shares with
// its client on a 2-core machine) are its own lag, never the client's. Once the backlog has stayed past
// the threshold for kSlowReaderPersist while a write waits on the socket, the write is cancelled, every
// Post due at that moment is spent (as on X, only backfill brings them back), the SlowReader notice is
// offered for a short grace period, and the connection closes.
// Earlier models, and why they went: counting only the Posts due since the current write began forgave
// a slow client at every new write (capped at --write-kb), so it was never cut; holding the client to
// the schedule delayed by the emulator's lag at its last pace-timer wake counted the lag it took while
// waiting for a CPU against a prompt client, which was then cut (perf sched, 2026-12-03: the reader
// slept on an empty socket while the emulator waited runnable for 140-360 ms of a 1 s stream).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <poll.h>

#include "bench/emu/stream_session.hpp"
#include "bench/emu/x_responses.hpp"

namespace spillway::emu {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr auto kSlowCheckEvery = 20ms;
// A client that reads promptly can still miss a few scheduler slices (at 30 MB/s, 256 KiB is 9 ms):
// it catches up at once, so the backlog must stay past the threshold this long before the cut.
constexpr auto kSlowReaderPersist = 100ms;
// How long the notice (after the cut write's rest) may take to drain before the socket just closes.
constexpr auto kSlowReaderGrace = 2000ms;
}  // namespace

template <class Stream>
void StreamSession<Stream>::start_slow_watch() {
  slow_watch_ = true;
  mean_post_bytes_ = st_->pool.mean_bytes() + 2;  // + "\r\n"
  arm_slow_check();
}

template <class Stream>
asio::awaitable<bool> StreamSession<Stream>::write_tracked(const std::string& bytes) {
  // write_some, not async_write: each completion tells how far the client has drained us.
  accepted_ = 0;
  in_flight_left_ = bytes.size();
  // What was taken for this write paid the emulator's own lag first: the client owes no more than is
  // still due and not taken.
  client_owed_ = std::min(client_owed_, double(posts_due(Clock::now())));
  auto& sock = boost::beast::get_lowest_layer(stream_);
  while (in_flight_left_ > 0 && !slow_tripped_) {
    if (!socket_has_room()) {
      // The client is the limit now: what falls due until the socket has room again is its backlog.
      blocked_since_ = Clock::now();
      auto [wec] = co_await sock.async_wait(asio::socket_base::wait_write, asio::as_tuple(asio::use_awaitable));
      client_owed_ += due_between(*blocked_since_, Clock::now());
      blocked_since_.reset();
      if (wec || slow_tripped_) break;
    }
    auto [ec, n] = co_await stream_.async_write_some(asio::buffer(bytes.data() + accepted_, in_flight_left_),
                                                     asio::as_tuple(asio::use_awaitable));
    accepted_ += n;
    in_flight_left_ -= n;
    if (ec) break;
  }
  const bool ok = in_flight_left_ == 0 && !slow_tripped_;
  in_flight_left_ = 0;
  co_return ok;
}

template <class Stream>
void StreamSession<Stream>::arm_slow_check() {
  slow_check_.expires_after(kSlowCheckEvery);
  slow_check_.async_wait([w = this->weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = w.lock()) self->on_slow_check();
  });
}

template <class Stream>
bool StreamSession<Stream>::socket_has_room() {
  // POLLOUT: the kernel would take a write now (its send buffer is at most two-thirds full). The client
  // holds up the stream only when it is not set.
  pollfd p{.fd = boost::beast::get_lowest_layer(stream_).native_handle(), .events = POLLOUT, .revents = 0};
  return ::poll(&p, 1, 0) != 0;  // an error or a hang-up also ends the wait: the write then reports it
}

template <class Stream>
double StreamSession<Stream>::due_between(Clock::time_point from, Clock::time_point to) const {
  const auto a = clock_ticks(from), b = clock_ticks(to);
  return b > a ? double(b - a) : 0.0;
}

template <class Stream>
void StreamSession<Stream>::on_slow_check() {
  if (!slow_watch_) return;
  const auto now = Clock::now();
  bool over = false;
  // Between writes nothing waits on the client: the emulator is idle until the next Post falls due.
  if (in_flight_left_ > 0) {
    const auto left = st_->feed.count() == 0 ? UINT64_MAX : st_->feed.count() - st_->feed.taken();
    const auto due = std::min<std::uint64_t>(posts_due(now), left);  // due on the clock, not yet written
    // The client's share: what fell due while the socket had no room, the current wait included.
    const double owed =
        std::min(client_owed_ + (blocked_since_ ? due_between(*blocked_since_, now) : 0.0), double(due));
    over = double(in_flight_left_) + owed * mean_post_bytes_ > double(st_->config.slow_reader_bytes);
    due_at_cut_ = std::size_t(due);
  }
  if (!over) {
    over_since_.reset();
  } else if (!over_since_) {
    over_since_ = now;
  } else if (now - *over_since_ >= kSlowReaderPersist) {
    slow_tripped_ = true;
    boost::system::error_code ec;
    boost::beast::get_lowest_layer(stream_).cancel(ec);  // the write completes with operation_aborted
    return;
  }
  arm_slow_check();
}

template <class Stream>
asio::awaitable<void> StreamSession<Stream>::finish_slow_reader(std::string& pending, std::size_t used,
                                                                const std::string& out) {
  slow_watch_ = false;
  slow_check_.cancel();
  rec_.outcome = "slow_reader";
  if (due_at_cut_ > 0) {
    rec_.lost = st_->feed.spend(due_at_cut_, feed_now_ms());
  }
  bool notice_sent = false;
  if constexpr (!kIsTlsStream<Stream>) {
    // The rest of the cut write first (the client is mid-chunk), then the notice and the end of body.
    std::string tail = out.substr(std::min(accepted_, out.size()));
    std::string notice = disconnect_notice("SlowReader");
    notice += "\r\n";
    ChunkFramer::append_chunk(notice, tail);
    ChunkFramer::append_last_chunk(tail);
    arm_watchdog(std::chrono::duration_cast<std::chrono::milliseconds>(kSlowReaderGrace));
    notice_sent = co_await write_all(tail);
    watchdog_.cancel();
    if (notice_sent) dump_consumed(std::string_view(pending).substr(0, used));
  }
  // (TLS: a cancelled SSL write leaves a partial record behind, so nothing more can be sent.)
  rec_.ended = notice_sent ? "slow_reader_notice" : "slow_reader_cut";
  if (st_->feed.exhausted() && st_->on_count_done) st_->on_count_done();
  boost::system::error_code ec;
  auto& sock = boost::beast::get_lowest_layer(stream_);
  sock.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

template void PlainSession::start_slow_watch();
template void TlsSession::start_slow_watch();
template asio::awaitable<bool> PlainSession::write_tracked(const std::string&);
template asio::awaitable<bool> TlsSession::write_tracked(const std::string&);
template void PlainSession::arm_slow_check();
template void TlsSession::arm_slow_check();
template bool PlainSession::socket_has_room();
template bool TlsSession::socket_has_room();
template double PlainSession::due_between(Clock::time_point, Clock::time_point) const;
template double TlsSession::due_between(Clock::time_point, Clock::time_point) const;
template void PlainSession::on_slow_check();
template void TlsSession::on_slow_check();
template asio::awaitable<void> PlainSession::finish_slow_reader(std::string&, std::size_t, const std::string&);
template asio::awaitable<void> TlsSession::finish_slow_reader(std::string&, std::size_t, const std::string&);

}  // namespace spillway::emu
