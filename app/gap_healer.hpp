#pragma once
// gap_healer: heals the gaps in the ledger (issue 12 item 2). One pass loads the ledger and its heal
// records (meta_heal_ledger), plans (reconnect::plan_healing: backfilled, unrecoverable and why, or heal
// over which window), logs each plan line — the estimated Posts and cost — before anything is spent, then
// for each gap to heal reads its Posts again and hands them to the pipeline through the heal inbox, so
// they are stored (and sent to Kafka) exactly like streamed ones: dedup by id, one batch, one outbox.
//   - stream: a Recovery connection per ≤ 2 h slice (start_time/end_time), oldest first. It needs a free
//     connection slot: when X answers 429 (the live stream — or two redundant ones — use them all) the gap
//     stays open and is tried again at the next pass; with recovery.mode = auto it is healed by search.
//   - search: the live rules (their ids tag the results), one search per rule per ≤ 10 min slice, every
//     page; a slice's results are merged (one line per Post, every rule that found it) and committed before
//     the next slice. Rules with an operator search lacks, or longer than a query may be, are named: the
//     gap ends partially recovered with their names.
// Both stop at recovery.max_posts_per_gap (partially recovered, "capped"). After every committed batch the
// heal record (state open, in progress, posts, requests, resume point) is written to meta, so a restart
// resumes where the last commit left off instead of reading — and paying for — the same Posts again.
//
// Owns: its rate-limit tracker and counters. Thread: the caller's — `spillway gaps heal` (main) or the
// service's heal_runner thread. Must outlive it: the store, the inbox (and the pipeline draining it), the
// stop source, and the bearer function's state.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/error.hpp"
#include "common/heal_inbox.hpp"
#include "config/settings.hpp"
#include "ingest/reconnect/heal_planner.hpp"
#include "ingest/xapi/rate_limits.hpp"
#include "ingest/xapi/stop_source.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

// Posts per second over the newest stored Posts (their ids carry their creation time); 0 when fewer than 2.
[[nodiscard]] double stored_rate(const sinks::store& db);

// The planner's policy from the settings (recovery.*, stream.backfill) and the stored Posts' rate.
[[nodiscard]] reconnect::heal_policy heal_policy_from(const config::settings& cfg, const sinks::store& db);

struct heal_totals {
  std::size_t gaps_healed = 0;       // reached recovered or partially recovered in this pass
  std::size_t gaps_left = 0;         // still to heal after this pass (no slot, a failure, a stop)
  std::uint64_t posts = 0;           // Posts read in this pass (Recovery lines, unique search results)
  std::uint64_t requests = 0;        // HTTP requests spent in this pass (connects, search pages, rules)
  double seconds = 0;                // wall time spent healing
  bool failed = false;               // a heal failed (logged); its gap stays open
};

class gap_healer {
 public:
  gap_healer(const config::settings& cfg, sinks::store& db, common::heal_inbox& inbox,
             std::function<std::string()> bearer, ingest::stop_source& stop);

  // One pass over the ledger at `now`. Never throws; failures are logged and counted.
  heal_totals heal_pass(std::chrono::system_clock::time_point now);

 private:
  struct outcome {
    reconnect::heal_state state = reconnect::heal_state::open;
    std::string detail;
    bool fall_back_to_search = false;  // no connection slot for Recovery (auto mode)
  };
  outcome heal_by_stream(const reconnect::heal_step& step, reconnect::heal_record& rec);
  outcome heal_by_search(const reconnect::heal_step& step, reconnect::heal_record& rec);
  // Hands lines to the pipeline and waits for their commit; false when the service is stopping.
  bool commit(std::vector<std::string>& lines, common::post_source source);
  void save(const reconnect::gap_record& gap, const reconnect::heal_record& rec);

  const config::settings& cfg_;
  sinks::store& db_;
  common::heal_inbox& inbox_;
  std::function<std::string()> bearer_;
  ingest::stop_source& stop_;
  ingest::rate_limit_tracker limits_;
  std::uint64_t pass_requests_ = 0;
};

}  // namespace spillway::app
