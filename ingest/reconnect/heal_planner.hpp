#pragma once
// heal_planner: decides, for every gap in the ledger, what healing it gets — X's decision tree
// (XAPI.md "Healing longer gaps"): ≤ 5 min is backfill's (when backfill is on), up to 24 h back a
// Recovery stream (Enterprise) or search, older is unrecoverable. For each gap to heal it gives the
// window backfill did not cover, ≤ 2 h slices for Recovery (X's advice), and an estimate of the Posts
// it will read and what they cost, capped at max_posts_per_gap — logged before anything is spent.
// Pure: the time is a parameter (the caller's clock), nothing is read or written. Any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ingest/reconnect/gap_ledger.hpp"
#include "ingest/reconnect/heal_record.hpp"

namespace spillway::reconnect {

using wall_clock = std::chrono::system_clock;

struct heal_policy {
  heal_method method = heal_method::none;  // none: recovery.mode = off (auto already resolved by the caller)
  std::chrono::milliseconds max_age{24LL * 3600 * 1000};
  std::uint64_t max_posts_per_gap = 100000;
  bool backfill = false;                 // stream.backfill: the last 5 min before each resume came back
  double posts_per_second = 0;           // observed delivery rate, for the estimate (0: unknown)
  double usd_per_post = 0.005;           // X pay-per-use: each Post read, once per UTC day
};

// recovery.mode → method: auto is Recovery when backfill is on (both are Enterprise-only), else search.
[[nodiscard]] heal_method resolve_heal_mode(std::string_view mode, bool backfill) noexcept;

struct heal_window {
  wall_clock::time_point from, to;  // [from, to)
};

enum class heal_action : std::uint8_t {
  still_open,       // the gap has not ended: nothing to heal yet
  done,             // a final state is already recorded
  backfilled,       // backfill covered it: record the state, spend nothing
  unrecoverable,    // too old (or healing is off and it is past backfill): record why
  heal,             // run the healer over `window`
};

struct heal_step {
  gap_record gap;
  heal_action action = heal_action::still_open;
  heal_method method = heal_method::none;
  heal_window window{};
  std::vector<heal_window> slices;   // Recovery: ≤ 2 h each; search: the window once
  std::uint64_t estimated_posts = 0; // min(rate × window, max_posts_per_gap)
  bool capped = false;               // the estimate reached the cap: healing will stop there
  double estimated_usd = 0;
  double usd_per_post = 0;           // the price the estimate used
  bool resume = false;               // a heal was in progress (restart): the healer continues it
  std::string reason;                // unrecoverable: why
};

struct ledger_entry {
  gap_record gap;
  std::optional<heal_record> heal;
};

[[nodiscard]] std::vector<heal_step> plan_healing(const std::vector<ledger_entry>& ledger, const heal_policy& policy,
                                                  wall_clock::time_point now);

// One line for the log and `spillway gaps heal --dry-run`: the window, the method, the estimate and cost.
[[nodiscard]] std::string describe(const heal_step& step);

inline constexpr std::chrono::hours recovery_slice{2};

}  // namespace spillway::reconnect
