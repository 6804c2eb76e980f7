#pragma once
// Gap ledger arithmetic: how long the stream delivered nothing, how much of that backfill can recover
// (X re-sends at most the last 5 minutes: `backfill_minutes` 1..5), what is lost beyond, and the record
// the lead keeps in RocksDB `meta` so a gap survives a restart (kill -9 included).
//
// Pure values and functions, any thread. Times are wall-clock (system_clock): a gap may span a restart,
// where no steady clock survives, and X's backfill window is measured in its wall time.

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spillway::reconnect {

inline constexpr std::uint32_t max_backfill_minutes = 5;

// backfill_minutes = min(5, ceil(gap in minutes)); 0 for a gap of 0 or less.
[[nodiscard]] std::uint32_t backfill_minutes_for(std::chrono::milliseconds gap) noexcept;

// The part of a gap that backfill cannot recover: gap − 5 min, at least 0.
[[nodiscard]] std::chrono::milliseconds unrecovered_for(std::chrono::milliseconds gap) noexcept;

struct gap_measure {
  std::chrono::milliseconds gap{0};  // 0 if the wall clock went backwards
  std::uint32_t backfill_minutes = 0;
  std::chrono::milliseconds unrecovered{0};
  [[nodiscard]] double unrecovered_seconds() const noexcept { return static_cast<double>(unrecovered.count()) / 1e3; }
};

// From the last delivery before the drop to the moment of measuring (the reconnect, for the
// backfill_minutes of its request; the first delivery after, for the ledger).
[[nodiscard]] gap_measure measure_gap(std::chrono::system_clock::time_point stopped,
                                      std::chrono::system_clock::time_point resumed) noexcept;

// Why delivery stopped. `stream`: the connection ended or failed (X, the network). `disk_low`: Spillway
// closed the stream on purpose because the database's filesystem fell below sinks.rocksdb.min_free_bytes.
enum class gap_reason : std::uint8_t { stream, disk_low };
[[nodiscard]] std::string_view to_string(gap_reason reason) noexcept;

struct gap_record {
  std::chrono::system_clock::time_point stopped_at;                 // last delivery before the drop
  std::optional<std::chrono::system_clock::time_point> resumed_at;  // nullopt while the gap is open
  gap_reason reason = gap_reason::stream;
  friend bool operator==(const gap_record&, const gap_record&) = default;
};

// 18 bytes: version (1) · flags (bit 0: resumed_at present; bit 1: reason disk_low) · stopped_at ·
// resumed_at, each time as signed milliseconds since the Unix epoch, big-endian (so records sort by
// stopped_at). Sub-millisecond parts are dropped. Records written before bit 1 existed read as `stream`.
inline constexpr std::size_t gap_record_size = 18;
[[nodiscard]] std::string serialize(const gap_record& record);

// errc::bad_message for a wrong size, unknown version or flags, resumed_at before stopped_at, a time the
// wall clock cannot hold (beyond ±292 years of 1970), or a non-zero resumed_at slot without its flag — so
// every accepted record is exactly what serialize() writes for it.
[[nodiscard]] boost::system::result<gap_record> deserialize_gap_record(std::string_view bytes);

}  // namespace spillway::reconnect
