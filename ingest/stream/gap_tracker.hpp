#pragma once
// gap_tracker: the gap ledger of the running service. Knows when the stream stopped delivering and when
// it came back, keeps each gap as a record in a gap_ledger_store (in the service: RocksDB `meta`, so an
// open gap survives a restart, kill -9 included), and sizes `backfill_minutes` for the next connect.
//
// Owns: the open gap (if any), the time of the last delivery, the gap metrics.
// Thread: the reader thread only (run_policy calls it); its writes are rare small records, never per Post.
// Must outlive it: the ledger store and the metrics registry.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/metrics.hpp"
#include "ingest/reconnect/gap_ledger.hpp"
#include "ingest/reconnect/gap_ledger_store.hpp"

namespace spillway::ingest {

using wall_time = std::chrono::system_clock::time_point;

// X snowflake ids carry their creation time: (id >> 22) + 1288834974657 = Unix ms.
[[nodiscard]] wall_time snowflake_time(std::uint64_t id) noexcept;

// What run_policy tells the gap ledger about one connection: gap_tracker itself (one connection), or a
// redundant_gaps member (stream.connections = 2: a gap only while every connection is down).
class gap_sink {
 public:
  virtual ~gap_sink() = default;
  virtual void on_delivered(wall_time at) = 0;
  virtual void on_stopped(wall_time now, reconnect::gap_reason reason) = 0;
  [[nodiscard]] virtual std::uint32_t backfill_minutes(wall_time now) = 0;
};

class gap_tracker final : public gap_sink {
 public:
  // Reads the ledger: an open gap continues; otherwise the later of the last resume and
  // `newest_post_time` (a lower bound on when delivery stopped before a kill -9) opens one at `now`.
  // Nothing is opened on an empty database: there is nothing to recover.
  gap_tracker(reconnect::gap_ledger_store& ledger, bool backfill,
              std::optional<wall_time> newest_post_time, common::metrics_registry& metrics);

  // The stream delivered lines at `at` (sampled by the reader's tick): closes an open gap.
  void on_delivered(wall_time at) override;
  // A session ended: delivery stopped at the last delivery seen (opens a gap if none is open and
  // anything was ever delivered). `reason` is recorded with the gap it opens (an open gap keeps its own).
  void on_stopped(wall_time now, reconnect::gap_reason reason) override;
  void on_stopped(wall_time now) { on_stopped(now, reconnect::gap_reason::stream); }
  // backfill_minutes for the connect about to start (0 = none: backfill off, or no gap).
  [[nodiscard]] std::uint32_t backfill_minutes(wall_time now) override;

  [[nodiscard]] std::optional<wall_time> open_since() const noexcept { return open_; }

 private:
  void put(const reconnect::gap_record& record);

  reconnect::gap_ledger_store& ledger_;
  bool backfill_;
  std::optional<wall_time> open_;           // stopped_at of the open gap
  reconnect::gap_reason open_reason_ = reconnect::gap_reason::stream;
  std::optional<wall_time> last_delivery_;  // last time lines were seen
  bool warned_long_ = false;                // the open gap's "longer than 5 min" warning was logged
  bool write_failed_logged_ = false;
  std::int64_t recovered_ms_ = 0;
  std::int64_t unrecovered_ms_ = 0;
  common::metric_cell& recovered_seconds_;
  common::metric_cell& unrecovered_seconds_;
  common::metric_cell& backfill_requests_;
  common::metric_cell& gaps_;
  common::metric_cell& open_gap_since_;
};

}  // namespace spillway::ingest
