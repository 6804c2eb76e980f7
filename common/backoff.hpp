#pragma once
// Backoff schedules and jitter, pure and header-only.
//
// A schedule maps the attempt number (1, 2, 3, ...) to a nominal wait:
//   linear      base * n           capped   (X: network errors, +250 ms per attempt up to 16 s)
//   exponential base * 2^(n-1)     capped   (X: HTTP errors from 5 s to 320 s; 429 from 60 s)
// Jitter turns the nominal wait into the wait actually used, so a fleet of clients that lost the same
// server does not come back in lockstep (the kinds are the ones of the AWS Architecture Blog post
// "Exponential Backoff And Jitter"):
//   none          nominal
//   full          uniform [0, nominal]
//   equal         nominal/2 + uniform [0, nominal/2]
//   decorrelated  min(cap, uniform [base, 3 * previous wait]); previous starts at base. It ignores the
//                 schedule's shape: it grows by itself, and only base and cap matter.
//
// The random draw is ours, not std::uniform_int_distribution's, whose algorithm differs between standard
// libraries: with a fake generator a test gets exact waits (generator min() → low end, max() → high end).
//
// backoff<Rng> keeps the attempt count and previous wait of one schedule. It is not thread-safe: one
// owner (the supervisor, on the reader's strand). The generator it references must outlive it.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace spillway::common {

using backoff_duration = std::chrono::milliseconds;

enum class growth : std::uint8_t { linear, exponential };

struct schedule {
  growth shape = growth::exponential;
  backoff_duration base{0};
  backoff_duration cap{0};

  // The nominal wait before attempt `attempt` (1-based; 0 gives 0). Never overflows, never exceeds cap.
  [[nodiscard]] constexpr backoff_duration nominal(std::uint32_t attempt) const noexcept {
    if (attempt == 0 || base.count() <= 0) return backoff_duration{0};
    const auto b = base.count();
    const auto c = std::max(cap.count(), b);
    if (shape == growth::linear) {
      // b * attempt > c  ⇔  attempt > c / b (integer division is exact enough: both sides are whole ms).
      return backoff_duration{attempt > c / b ? c : b * attempt};
    }
    auto wait = b;
    for (std::uint32_t i = 1; i < attempt && wait < c; ++i) wait = wait > c / 2 ? c : wait * 2;
    return backoff_duration{std::min(wait, c)};
  }
};

[[nodiscard]] constexpr schedule linear_schedule(backoff_duration step, backoff_duration cap) noexcept {
  return {growth::linear, step, cap};
}
[[nodiscard]] constexpr schedule exponential_schedule(backoff_duration base, backoff_duration cap) noexcept {
  return {growth::exponential, base, cap};
}

enum class jitter : std::uint8_t { none, full, equal, decorrelated };

[[nodiscard]] constexpr std::string_view to_string(jitter j) noexcept {
  switch (j) {
    case jitter::none:
      return "none";
    case jitter::full:
      return "full";
    case jitter::equal:
      return "equal";
    case jitter::decorrelated:
      return "decorrelated";
  }
  return "unknown";
}

// For the `reconnect.jitter` config key: "none", "full", "equal", "decorrelated"; nullopt otherwise.
[[nodiscard]] constexpr std::optional<jitter> parse_jitter(std::string_view text) noexcept {
  for (auto j : {jitter::none, jitter::full, jitter::equal, jitter::decorrelated}) {
    if (text == to_string(j)) return j;
  }
  return std::nullopt;
}

// A duration in [lo, hi] (inclusive) from one draw of rng, scaled linearly over the generator's range.
template <std::uniform_random_bit_generator Rng>
[[nodiscard]] backoff_duration uniform_between(backoff_duration lo, backoff_duration hi, Rng& rng) {
  if (hi <= lo) return lo;
  using u128 = unsigned __int128;
  const u128 range = static_cast<u128>(Rng::max() - Rng::min());
  const u128 draw = static_cast<u128>(rng() - Rng::min());
  const u128 span = static_cast<u128>(hi.count() - lo.count());
  // range is at least 1 for any valid generator; span * draw fits: both are below 2^64.
  return lo + backoff_duration{static_cast<backoff_duration::rep>(span * draw / range)};
}

// The wait to use for a nominal wait under jitter kind `kind`. `previous` and `s` matter only for
// decorrelated jitter.
template <std::uniform_random_bit_generator Rng>
[[nodiscard]] backoff_duration apply_jitter(jitter kind, backoff_duration nominal, backoff_duration previous,
                                            const schedule& s, Rng& rng) {
  switch (kind) {
    case jitter::none:
      return nominal;
    case jitter::full:
      return uniform_between(backoff_duration{0}, nominal, rng);
    case jitter::equal:
      return nominal / 2 + uniform_between(backoff_duration{0}, nominal - nominal / 2, rng);
    case jitter::decorrelated: {
      const auto prev = std::max(previous, s.base);
      const auto high = prev > s.cap / 3 ? std::max(s.cap, s.base) : prev * 3;
      return std::min(uniform_between(s.base, high, rng), std::max(s.cap, s.base));
    }
  }
  return nominal;
}

template <std::uniform_random_bit_generator Rng>
class backoff {
 public:
  backoff(schedule s, jitter kind, Rng& rng) noexcept : schedule_(s), jitter_(kind), rng_(&rng) {}

  // Counts one more attempt and returns the jittered wait before it.
  [[nodiscard]] backoff_duration next() {
    ++attempts_;
    previous_ = apply_jitter(jitter_, schedule_.nominal(attempts_), previous_, schedule_, *rng_);
    return previous_;
  }

  // After a good connection: the next call to next() starts the schedule again.
  void reset() noexcept {
    attempts_ = 0;
    previous_ = backoff_duration{0};
  }

  [[nodiscard]] std::uint32_t attempts() const noexcept { return attempts_; }
  [[nodiscard]] backoff_duration previous() const noexcept { return previous_; }
  [[nodiscard]] const schedule& shape() const noexcept { return schedule_; }

 private:
  schedule schedule_;
  jitter jitter_;
  Rng* rng_;
  std::uint32_t attempts_ = 0;
  backoff_duration previous_{0};
};

}  // namespace spillway::common
