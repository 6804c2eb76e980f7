#pragma once
// StreamSession: one client connection, from TLS handshake (when Stream is an ssl::stream) through
// the request and its answer (decided by route_request, api_router.hpp) to the endless chunked
// stream: backfill first, then Posts from the shared PostFeed, framed by a per-connection
// ChunkFramer, written in large writes, heartbeats on a timer, stream faults when due
// (stream_session_faults.cpp), slow-reader detection (stream_session_slow.cpp), a clean end of body
// after --count. Logs one record when done.
// Runs as one coroutine on the emulator's single io thread; holds the ServerState by shared_ptr
// and keeps itself alive (shared_from_this) for the life of run().

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "bench/emu/chunk_framer.hpp"
#include "bench/emu/connection_log.hpp"
#include "bench/emu/fault_plan.hpp"
#include "bench/emu/recovery_window.hpp"
#include "bench/emu/server_state.hpp"

namespace spillway::emu {

template <class S>
inline constexpr bool kIsTlsStream = !std::is_same_v<S, boost::asio::ip::tcp::socket>;

template <class Stream>
class StreamSession : public std::enable_shared_from_this<StreamSession<Stream>> {
 public:
  StreamSession(std::shared_ptr<ServerState> state, Stream stream, std::uint64_t connection_no);
  boost::asio::awaitable<void> run();
  // Closes the socket and cancels timers; the coroutine then ends on its own.
  void abort();
  // The Connections API killed this stream: its slot is freed and its table entry closed now, then abort().
  void kill_by_api();

 private:
  using Clock = std::chrono::steady_clock;
  boost::asio::awaitable<bool> read_request();
  boost::asio::awaitable<void> route();  // after the request: which answer, then give it
  boost::asio::awaitable<void> stream_posts(const RateLimitInfo& rl);
  // Recovery (stream_session_recovery.cpp): the remembered Posts of the window, then the end of body.
  boost::asio::awaitable<void> stream_recovery(const RateLimitInfo& rl, const RecoveryWindow& w);
  void open_in_table();  // the stream is listed by GET /2/connections from here on
  boost::asio::awaitable<bool> write_all(const std::string& bytes);
  // Slow-reader mode (stream_session_slow.cpp): writes that report progress, a periodic check that
  // cancels a write the client has stopped draining, and the notice-and-close that follows.
  void start_slow_watch();
  boost::asio::awaitable<bool> write_tracked(const std::string& bytes);
  void arm_slow_check();
  void on_slow_check();
  // Whether the kernel would take a write on the stream's socket now (poll POLLOUT, no wait).
  bool socket_has_room();
  // Posts that fall due on the emulator's clock in [from, to).
  double due_between(Clock::time_point from, Clock::time_point to) const;
  boost::asio::awaitable<void> finish_slow_reader(std::string& pending, std::size_t used, const std::string& out);
  // Applies a stream fault (stream_session_faults.cpp). Returns true when streaming goes on.
  boost::asio::awaitable<bool> apply_fault(const Fault& f, std::string& pending, std::string& out);
  // Writes `out`, then dumps and drops the first `used` bytes of `pending`. False if the peer is gone.
  boost::asio::awaitable<bool> write_and_consume(std::string& pending, std::size_t used, const std::string& out);
  std::int64_t ms_since_start(Clock::time_point t) const;
  boost::asio::awaitable<void> close_gracefully();
  void arm_watchdog(std::chrono::milliseconds d);
  void dump_consumed(std::string_view bytes);
  std::size_t posts_due(Clock::time_point now) const;
  // Posts fallen due on the emulator's clock by `t` after the first (--rate > 0): the one schedule that
  // posts_due and the slow-reader accounting both read.
  std::uint64_t clock_ticks(Clock::time_point t) const;
  // When to wake for the next Post: when it falls due, on a kPaceQuantum grid at high rates.
  Clock::time_point next_post_time() const;

  std::shared_ptr<ServerState> st_;
  Stream stream_;
  boost::asio::steady_timer watchdog_;
  boost::asio::steady_timer pace_;
  boost::asio::steady_timer slow_check_;
  boost::beast::flat_buffer read_buf_;
  std::string method_, authorization_, body_;
  ChunkFramer framer_;
  ConnectionRecord rec_;
  Clock::time_point stream_start_{};
  Clock::duration heartbeat_{};
  Clock::time_point next_heartbeat_{};
  std::uint64_t paced_posts_ = 0;  // new Posts on this connection (backfill excluded), for --rate
  std::string dump_stage_;
  // Slow-reader state, all on the io thread: the check runs between the write's completions.
  bool slow_watch_ = false;          // checking (a paced stream with --slow-reader-bytes)
  bool slow_tripped_ = false;        // the check cancelled the write: notice and close
  std::size_t in_flight_left_ = 0;   // bytes of the current write the socket has not taken yet
  std::size_t accepted_ = 0;         // bytes of the current write it has taken
  // Posts that fell due while a write waited on a socket without room, less what writing paid off
  // beyond the emulator's own lag: the client's backlog in Posts. blocked_since_: such a wait under way.
  double client_owed_ = 0;
  std::optional<Clock::time_point> blocked_since_;
  std::size_t due_at_cut_ = 0;       // Posts due on the clock and not written at the last check (spent at the cut)
  std::optional<Clock::time_point> over_since_;  // since when the backlog has been past the threshold
  double mean_post_bytes_ = 0;
  bool killed_ = false;         // by the Connections API
  bool slot_released_ = false;  // the stream's ConnectionSlots slot was given back
  int lane_ = 0;                // FaultPlan lane held while streaming (0: none yet)
  std::uint64_t copy_cursor_ = 0;  // --full-copies: the newest id written on this stream
};

using PlainSession = StreamSession<boost::asio::ip::tcp::socket>;
using TlsSession = StreamSession<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>;

}  // namespace spillway::emu
