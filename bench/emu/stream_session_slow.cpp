// StreamSession's slow-reader mode (--slow-reader-bytes with --rate > 0), kept apart from the
// normal streaming path. Posts fall due on the emulator's clock at the configured rate whether or not
// the client reads, as on X, which does not wait for a slow client. The client's backlog is measured
// against that clock: the bytes of the write in the socket that it has not accepted yet, plus every
// Post due and not yet written (at the pool's mean size) on the schedule delayed by the emulator's
// own lag (how far behind it was when it last woke from a wait of its own: an overslept pace timer on
// a loaded machine, a stall fault; back to ~0 once it has caught up and waits again). The emulator
// renders ~1.3 GB per CPU-second and writes up to --write-kb at a time, so at any rate a client can
// read it does not fall behind by itself. Once the backlog has stayed past the threshold for
// kSlowReaderPersist while a write waits on the socket, the write is cancelled, every Post due at that
// moment is spent (as on X, only backfill brings them back), the SlowReader notice is offered for a
// short grace period, and the connection closes.
// (An earlier model counted only the Posts due since the current write began: with writes capped at
// --write-kb, a client slower than the rate was forgiven its backlog at every new write and never
// cut, while the emulator followed it seconds behind its own schedule.)
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/stream_traits.hpp>

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
  while (in_flight_left_ > 0 && !slow_tripped_) {
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
void StreamSession<Stream>::forgive_own_lag() {
  if (!slow_watch_) return;
  const auto now = Clock::now();
  // When the oldest Post not yet written fell due (exactly, without the pacing grid).
  const auto oldest_due = stream_start_ + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(double(paced_posts_) / st_->config.rate));
  own_lag_ = now > oldest_due ? now - oldest_due : Clock::duration::zero();
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
    const auto owed = std::min<std::uint64_t>(posts_due(now - own_lag_), left);  // the client's share
    over = double(in_flight_left_) + double(owed) * mean_post_bytes_ > double(st_->config.slow_reader_bytes);
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
template void PlainSession::forgive_own_lag();
template void TlsSession::forgive_own_lag();
template void PlainSession::on_slow_check();
template void TlsSession::on_slow_check();
template asio::awaitable<void> PlainSession::finish_slow_reader(std::string&, std::size_t, const std::string&);
template asio::awaitable<void> TlsSession::finish_slow_reader(std::string&, std::size_t, const std::string&);

}  // namespace spillway::emu
