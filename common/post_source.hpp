#pragma once
// post_source: how a Post reached Spillway — the Kafka header `spillway_source` (issue 12) and the byte
// kept after received_at in the outbox, so a Post re-produced after a restart keeps its word.
//   stream    the live filtered stream
//   backfill  the live stream, re-sent by backfill_minutes after a reconnect (see classify_stream)
//   recovery  a Recovery connection (start_time/end_time) healing a gap
//   search    GET /2/tweets/search/recent healing a gap
// Pure values and functions; any thread, no allocation.
#include <cstdint>
#include <string_view>

namespace spillway::common {

enum class post_source : std::uint8_t { stream = 0, backfill = 1, recovery = 2, search = 3 };

[[nodiscard]] constexpr std::string_view to_string(post_source s) noexcept {
  switch (s) {
    case post_source::stream: return "stream";
    case post_source::backfill: return "backfill";
    case post_source::recovery: return "recovery";
    case post_source::search: return "search";
  }
  return "stream";
}

// A byte from the outbox; anything unknown reads as the live stream.
[[nodiscard]] constexpr post_source post_source_from_byte(std::uint8_t b) noexcept {
  return b <= static_cast<std::uint8_t>(post_source::search) ? static_cast<post_source>(b) : post_source::stream;
}

// The live stream delivers a Post within seconds of its creation; only backfill_minutes re-sends Posts
// older than this. A stream line whose id (a snowflake: creation time in ms) is older than its receive
// time by more than this is counted as backfill. Clock skew between X and this host shifts it by the
// skew (NTP keeps that far below a minute).
inline constexpr std::int64_t backfill_age_ms = 60'000;

// Snowflake ids carry their creation time: (id >> 22) ms after 2010-11-04T01:42:54.657Z.
inline constexpr std::int64_t snowflake_epoch_ms = 1288834974657;

[[nodiscard]] constexpr post_source classify_stream(std::uint64_t id, std::int64_t received_ms) noexcept {
  const auto created_ms = static_cast<std::int64_t>(id >> 22) + snowflake_epoch_ms;
  return received_ms - created_ms > backfill_age_ms ? post_source::backfill : post_source::stream;
}

}  // namespace spillway::common
