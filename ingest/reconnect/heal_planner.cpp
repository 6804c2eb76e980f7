#include "ingest/reconnect/heal_planner.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ingest/reconnect/policy.hpp"

namespace spillway::reconnect {
namespace {
using std::chrono::milliseconds;

bool final_state(heal_state s) noexcept { return s != heal_state::open; }
}  // namespace

heal_method resolve_heal_mode(std::string_view mode, bool backfill) noexcept {
  if (mode == "stream") return heal_method::stream;
  if (mode == "search") return heal_method::search;
  if (mode == "auto") return backfill ? heal_method::stream : heal_method::search;
  return heal_method::none;
}

std::vector<heal_step> plan_healing(const std::vector<ledger_entry>& ledger, const heal_policy& policy,
                                    wall_clock::time_point now) {
  std::vector<heal_step> plan;
  plan.reserve(ledger.size());
  for (const auto& entry : ledger) {
    heal_step step;
    step.gap = entry.gap;
    if (!entry.gap.resumed_at) {
      plan.push_back(std::move(step));
      continue;
    }
    if (entry.heal && final_state(entry.heal->state)) {
      step.action = heal_action::done;
      plan.push_back(std::move(step));
      continue;
    }
    const auto m = measure_gap(entry.gap.stopped_at, *entry.gap.resumed_at);
    // Backfill re-sent the last backfill_minutes before the resume; what precedes is the hole.
    const milliseconds covered = policy.backfill ? milliseconds(std::chrono::minutes(m.backfill_minutes)) : milliseconds(0);
    if (m.gap <= covered) {
      step.action = heal_action::backfilled;
      plan.push_back(std::move(step));
      continue;
    }
    step.window = {entry.gap.stopped_at, *entry.gap.resumed_at - covered};
    if (policy.method == heal_method::none) {
      step.action = heal_action::unrecoverable;
      step.reason = "recovery.mode = off";
    } else if (now - entry.gap.stopped_at > policy.max_age) {
      step.action = heal_action::unrecoverable;
      step.reason = fmt::format("began {} ago, beyond recovery.max_age {}",
                                format_wait(std::chrono::duration_cast<milliseconds>(now - entry.gap.stopped_at)),
                                format_wait(policy.max_age));
    } else {
      step.action = heal_action::heal;
      step.method = policy.method;
      step.resume = entry.heal && entry.heal->in_progress;
      if (policy.method == heal_method::stream) {
        for (auto from = step.window.from; from < step.window.to; from += recovery_slice)
          step.slices.push_back({from, std::min(step.window.to, from + recovery_slice)});
      } else {
        step.slices.push_back(step.window);
      }
      const double seconds = std::chrono::duration<double>(step.window.to - step.window.from).count();
      const auto estimate = std::uint64_t(std::ceil(seconds * std::max(0.0, policy.posts_per_second)));
      step.capped = estimate >= policy.max_posts_per_gap;
      step.estimated_posts = std::min(estimate, policy.max_posts_per_gap);
      step.usd_per_post = policy.usd_per_post;
      step.estimated_usd = double(step.estimated_posts) * policy.usd_per_post;
    }
    plan.push_back(std::move(step));
  }
  return plan;
}

std::string describe(const heal_step& s) {
  const std::string gap = fmt::format("gap {} .. {}", format_utc(s.gap.stopped_at),
                                      s.gap.resumed_at ? format_utc(*s.gap.resumed_at) : std::string("(open)"));
  switch (s.action) {
    case heal_action::still_open: return gap + ": still open, healed once it ends";
    case heal_action::done: return gap + ": already healed";
    case heal_action::backfilled: return gap + ": backfilled (within backfill_minutes)";
    case heal_action::unrecoverable: return gap + ": unrecoverable (" + s.reason + ")";
    case heal_action::heal: break;
  }
  return fmt::format("{}: {} {} over {} .. {} ({} slice{}), about {} Posts{} ≈ ${:.2f} at ${} per Post read{}", gap,
                     s.resume ? "resume" : "heal by", to_string(s.method), format_utc(s.window.from),
                     format_utc(s.window.to), s.slices.size(), s.slices.size() == 1 ? "" : "s", s.estimated_posts,
                     s.capped ? " (capped by recovery.max_posts_per_gap)" : "", s.estimated_usd, s.usd_per_post,
                     s.estimated_posts == 0 ? " (no delivery rate known yet: the estimate is a floor)" : "");
}

}  // namespace spillway::reconnect
