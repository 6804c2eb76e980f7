#include "bench/emu/post_feed.hpp"

#include <algorithm>

#include "bench/emu/rng.hpp"

namespace spillway::emu {
namespace {
// Nominal Posts per virtual second at --rate 0: spreads timestamps like a busy firehose.
constexpr double kNominalRate = 100000.0;
}  // namespace

PostFeed::PostFeed(const PostPool& pool, std::uint64_t seed, std::int64_t start_ms, double rate,
                   std::uint64_t count, std::size_t history_limit)
    : pool_(pool),
      seed_(seed),
      clock_(start_ms, unsigned(Rng::mix(seed) % 1024), rate > 0 ? rate : kNominalRate),
      count_(count),
      history_limit_(history_limit) {}

void PostFeed::render(std::uint64_t id, std::int64_t ms, std::size_t tmpl, std::string& out) {
  if (ms / 1000 != cached_second_) {
    cached_second_ = ms / 1000;
    format_created_at(ms, created_at_);
  }
  const unsigned milli = unsigned(ms % 1000);
  created_at_[20] = char('0' + milli / 100);
  created_at_[21] = char('0' + milli / 10 % 10);
  created_at_[22] = char('0' + milli % 10);
  pool_.render(tmpl, id, created_at_, out);
}

std::pair<PostStamp, std::size_t> PostFeed::next_post(std::int64_t now_ms) {
  const PostStamp stamp = clock_.next();
  const std::size_t tmpl = Rng::mix(seed_ ^ (taken_ * 0x2545F4914F6CDD1DULL)) % pool_.size();
  ++taken_;
  remember(Sent{stamp.id, std::uint32_t(tmpl), now_ms});
  return {stamp, tmpl};
}

void PostFeed::remember(const Sent& s) {
  if (history_limit_ == 0) return;
  if (history_.size() == history_limit_) history_.pop_front();
  history_.push_back(s);
}

std::size_t PostFeed::prefill(std::size_t n, std::int64_t mono_now_ms, std::int64_t unix_now_ms) {
  for (std::size_t i = 0; i < n; ++i) {
    const PostStamp stamp = clock_.next();
    // Its own template sequence (high bit set), so the live feed's Post k keeps the template it has
    // without a prefill: the same seed gives the same stream either way.
    const std::size_t tmpl = Rng::mix(seed_ ^ ((i | (1ULL << 63)) * 0x2545F4914F6CDD1DULL)) % pool_.size();
    remember(Sent{stamp.id, std::uint32_t(tmpl), mono_now_ms - std::max<std::int64_t>(0, unix_now_ms - stamp.ms)});
  }
  return n;
}

std::size_t PostFeed::take(std::string& out, std::size_t max_posts, std::size_t max_bytes, std::int64_t now_ms) {
  std::size_t n = 0;
  for (; n < max_posts && out.size() < max_bytes && !exhausted(); ++n) {
    const auto [stamp, tmpl] = next_post(now_ms);
    render(stamp.id, stamp.ms, tmpl, out);
  }
  return n;
}

std::size_t PostFeed::take_copy(std::uint64_t& cursor, std::string& out, std::size_t max_posts,
                                std::size_t max_bytes, std::int64_t now_ms) {
  // Ids are strictly increasing in the history: the Posts this connection has not written follow the cursor.
  auto it = std::partition_point(history_.begin(), history_.end(), [&](const Sent& s) { return s.id <= cursor; });
  std::size_t n = 0;
  for (; it != history_.end() && n < max_posts && out.size() < max_bytes; ++it, ++n) {
    render(it->id, std::int64_t(snowflake_ms(it->id)), it->tmpl, out);
    cursor = it->id;
  }
  const std::size_t fresh = take(out, max_posts - n, max_bytes, now_ms);
  if (fresh > 0) cursor = history_.empty() ? cursor : history_.back().id;
  return n + fresh;
}

std::size_t PostFeed::spend(std::size_t max_posts, std::int64_t now_ms) {
  std::size_t n = 0;
  for (; n < max_posts && !exhausted(); ++n) next_post(now_ms);
  return n;
}

std::size_t PostFeed::replay_since(std::int64_t since_ms, std::string& out) const {
  auto it = std::partition_point(history_.begin(), history_.end(),
                                 [&](const Sent& s) { return s.taken_ms < since_ms; });
  std::size_t n = 0;
  for (; it != history_.end(); ++it, ++n) {
    char created[kCreatedAtWidth];
    format_created_at(snowflake_ms(it->id), created);
    pool_.render(it->tmpl, it->id, created, out);
  }
  return n;
}

}  // namespace spillway::emu
