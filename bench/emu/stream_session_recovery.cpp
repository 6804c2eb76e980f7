// StreamSession's Recovery mode (recovery_window.hpp): the Posts remembered in the window, oldest
// first, at full speed in the usual chunked framing, then a clean end of body. Kept apart from the
// live streaming path; a recovery connection never takes live Posts from the feed.
#include <algorithm>

#include "bench/emu/stream_session.hpp"
#include "bench/emu/x_responses.hpp"

namespace spillway::emu {
namespace asio = boost::asio;

template <class Stream>
asio::awaitable<void> StreamSession<Stream>::stream_recovery(const RateLimitInfo& rl, const RecoveryWindow& w) {
  rec_.status = 200;
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const bool head_written = co_await write_all(stream_response_head(now_s, rl, rec_.connection));
  if (!head_written) {
    rec_.ended = "client_closed";
    co_return;
  }
  const auto& h = st_->feed.history();
  std::string pending, out;
  const std::size_t batch = st_->config.write_bytes;
  char created[kCreatedAtWidth];
  // Resumed by id after every write: live connections append to the history meanwhile, and a full
  // history drops its oldest entries (either invalidates a deque iterator held across co_await).
  std::uint64_t after_id = 0;
  bool any = false;
  for (bool last = false; !last;) {
    auto it = std::partition_point(h.begin(), h.end(), [&](const PostFeed::Sent& s) {
      return any ? s.id <= after_id : snowflake_ms(s.id) < w.start_ms;
    });
    for (; it != h.end() && pending.size() < batch; ++it) {
      const std::int64_t ms = snowflake_ms(it->id);
      if (ms >= w.end_ms) break;
      format_created_at(ms, created);
      st_->pool.render(it->tmpl, it->id, created, pending);
      after_id = it->id;
      any = true;
      ++rec_.posts;
    }
    last = it == h.end() || snowflake_ms(it->id) >= w.end_ms;
    out.clear();
    const std::size_t used = framer_.frame(pending, true, out);
    if (last) ChunkFramer::append_last_chunk(out);
    const bool written = co_await write_and_consume(pending, used, out);
    if (!written) co_return;
  }
  rec_.ended = "recovery_done";
  co_await close_gracefully();
}

template asio::awaitable<void> PlainSession::stream_recovery(const RateLimitInfo&, const RecoveryWindow&);
template asio::awaitable<void> TlsSession::stream_recovery(const RateLimitInfo&, const RecoveryWindow&);

}  // namespace spillway::emu
