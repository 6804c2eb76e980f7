#pragma once
// redundant_gaps: one gap ledger shared by the service's stream connections (stream.connections = 1 | 2).
// Each connection's run_policy reports to its own member (a gap_sink); the ledger hears of a stop only
// when every connection is down (reconnect::delivery_set), so the gap it opens starts at the last line any
// connection delivered, and the first connection delivering again closes it. While one connection
// delivers, the other's reconnects ask for no backfill (no gap is open): its copy was not needed.
//
// Owns: the delivery_set, the members, the mutex that serialises them.
// Thread: each member is called from its connection's reader thread; the mutex is taken only at session
// ends, connects and on the readers' 200 ms ticks when lines moved — never per line, never by the pipeline.
// Must outlive it: the gap_tracker.
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "ingest/reconnect/delivery_set.hpp"
#include "ingest/stream/gap_tracker.hpp"

namespace spillway::ingest {

class redundant_gaps {
 public:
  redundant_gaps(gap_tracker& tracker, std::size_t connections);
  redundant_gaps(const redundant_gaps&) = delete;
  redundant_gaps& operator=(const redundant_gaps&) = delete;

  // Connection `index` (0-based; < connections): what its run_policy reports to.
  [[nodiscard]] gap_sink& connection(std::size_t index) { return *members_.at(index); }
  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }

 private:
  class member final : public gap_sink {
   public:
    member(redundant_gaps& owner, std::size_t index) : owner_(owner), index_(index) {}
    void on_delivered(wall_time at) override;
    void on_stopped(wall_time now, reconnect::gap_reason reason) override;
    [[nodiscard]] std::uint32_t backfill_minutes(wall_time now) override;

   private:
    redundant_gaps& owner_;
    std::size_t index_;
  };

  gap_tracker& tracker_;
  std::mutex mutex_;
  reconnect::delivery_set delivering_;
  std::vector<std::unique_ptr<member>> members_;
};

}  // namespace spillway::ingest
