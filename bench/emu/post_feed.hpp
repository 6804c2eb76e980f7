#pragma once
// PostFeed: the emulator's single source of Posts, shared by all connections. It enforces --count
// over the emulator's lifetime, stamps each Post with the next snowflake id (strictly increasing in
// the order Posts are taken) and picks templates by a seeded hash of the Post number, so the same
// seed and start time give byte-identical Posts.
// It also keeps a bounded history (id, template) of Posts handed out, so backfill, recovery windows
// and search can re-render them exactly; prefill() puts in the Posts of a span before the emulator
// started (--clock-offset-s). Owned by the server state; used only on the emulator's io thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>

#include "bench/emu/post_pool.hpp"
#include "bench/emu/snowflake.hpp"

namespace spillway::emu {

// The monotonic clock (ms) that take() callers pass as now_ms; backfill windows are measured on it.
inline std::int64_t feed_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class PostFeed {
 public:
  // count: total Posts for the feed's lifetime; 0 = unlimited. The pool must outlive the feed.
  PostFeed(const PostPool& pool, std::uint64_t seed, std::int64_t start_ms, double rate, std::uint64_t count,
           std::size_t history_limit);

  // Appends whole Posts ("...\r\n") to `out` until `max_posts` were added, `out` reaches
  // `max_bytes`, or the count is used up. Returns how many were added. now_ms: a monotonic clock
  // reading, remembered with each Post for backfill.
  std::size_t take(std::string& out, std::size_t max_posts, std::size_t max_bytes, std::int64_t now_ms);

  // --full-copies: every connection gets every Post (X's redundant Enterprise connections each carry a
  // full copy). `cursor` is the newest id this connection has written (start it at newest_id() when the
  // stream opens: a new connection starts at the live point). Renders the remembered Posts after the
  // cursor first (taken by another connection), then takes new ones like take(); advances the cursor.
  std::size_t take_copy(std::uint64_t& cursor, std::string& out, std::size_t max_posts, std::size_t max_bytes,
                        std::int64_t now_ms);
  // The newest remembered id (0 when none).
  std::uint64_t newest_id() const { return history_.empty() ? 0 : history_.back().id; }

  // Hands out up to `max_posts` Posts without rendering them: ids are used up and remembered for
  // backfill exactly as take() would, but no bytes are made (a slow-reader cut spends the Posts due
  // at the cut, which may be tens of MB at high rates). Returns how many.
  std::size_t spend(std::size_t max_posts, std::int64_t now_ms);

  bool exhausted() const { return count_ != 0 && taken_ >= count_; }
  std::uint64_t taken() const { return taken_; }
  std::uint64_t count() const { return count_; }

  // Re-renders every remembered Post taken at now_ms >= since_ms, oldest first, into `out`.
  // Returns how many. (Backfill: X re-sends them without de-duplication.)
  std::size_t replay_since(std::int64_t since_ms, std::string& out) const;

  // Generates `n` Posts on the feed's own clock as if they had been matched while no client was
  // connected: remembered (taken_ms back-dated from unix_now_ms by their age) but not counted
  // against --count nor by taken(), so scripted faults keep their Post numbers. Returns how many.
  std::size_t prefill(std::size_t n, std::int64_t mono_now_ms, std::int64_t unix_now_ms);

  struct Sent {
    std::uint64_t id;      // the Post's snowflake: its created_at is snowflake_ms(id)
    std::uint32_t tmpl;    // its template in the pool
    std::int64_t taken_ms; // feed_now_ms() when it was handed out
  };
  // Remembered Posts, oldest first (ids strictly increasing), at most history_limit of them.
  const std::deque<Sent>& history() const { return history_; }

 private:
  void remember(const Sent& s);
  void render(std::uint64_t id, std::int64_t ms, std::size_t tmpl, std::string& out);
  // The next Post: its stamp and template, counted and remembered.
  std::pair<PostStamp, std::size_t> next_post(std::int64_t now_ms);

  const PostPool& pool_;
  std::uint64_t seed_;
  IdClock clock_;
  std::uint64_t count_;
  std::uint64_t taken_ = 0;
  std::size_t history_limit_;
  std::deque<Sent> history_;
  // created_at changes only in its last 3 digits within a second: format the rest once per second.
  std::int64_t cached_second_ = -1;
  char created_at_[kCreatedAtWidth] = {};
};

}  // namespace spillway::emu
