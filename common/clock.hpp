#pragma once
// Injectable clocks: code that waits, times out or timestamps takes a clock object instead of calling
// std::chrono::*::now() itself, so tests drive time by hand and never sleep (STYLE.md rule 5).
//
// - steady_clock_source / wall_clock_source: the real clocks (stateless, any thread).
// - manual_clock / manual_wall_clock: a clock that moves only when a test calls advance() or set().
//   now() and advance() are atomic, so a test may read it from one thread while advancing it from
//   another (TSan-clean); the test owns it and it must outlive every object that holds a reference.
//
// Steady time is for durations (backoff, stall); wall time is for instants that come from or go to the
// outside world (x-rate-limit-reset in Unix seconds, usage-cap period reset, the gap ledger that must
// survive a restart).

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>

namespace spillway::common {

// A clock object: something with now() returning a time point of a std::chrono clock.
template <class C>
concept clock_source = requires(const C& c) {
  typename C::clock;
  typename C::duration;
  typename C::time_point;
  requires std::same_as<typename C::time_point, typename C::clock::time_point>;
  { c.now() } -> std::same_as<typename C::time_point>;
};

// A clock object whose time never goes backwards: use for durations.
template <class C>
concept steady_clock_like = clock_source<C> && C::clock::is_steady;

// A clock object on the Unix epoch: use for instants exchanged with the world.
template <class C>
concept wall_clock_like = clock_source<C> && std::same_as<typename C::clock, std::chrono::system_clock>;

// The real clock Clock, as an object.
template <class Clock>
struct basic_clock_source {
  using clock = Clock;
  using duration = typename Clock::duration;
  using time_point = typename Clock::time_point;
  [[nodiscard]] time_point now() const noexcept { return Clock::now(); }
};

using steady_clock_source = basic_clock_source<std::chrono::steady_clock>;
using wall_clock_source = basic_clock_source<std::chrono::system_clock>;

// A clock that reports the time it was set to. It claims the is_steady-ness of Clock, so tests must not
// move a manual steady clock backwards: set() to an earlier time is allowed only on a manual wall clock.
template <class Clock>
class basic_manual_clock {
 public:
  using clock = Clock;
  using duration = typename Clock::duration;
  using time_point = typename Clock::time_point;

  basic_manual_clock() noexcept = default;
  explicit basic_manual_clock(time_point start) noexcept : ticks_(start.time_since_epoch().count()) {}
  basic_manual_clock(const basic_manual_clock&) = delete;
  basic_manual_clock& operator=(const basic_manual_clock&) = delete;

  [[nodiscard]] time_point now() const noexcept { return time_point(duration(ticks_.load(std::memory_order_acquire))); }

  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> by) noexcept {
    ticks_.fetch_add(std::chrono::duration_cast<duration>(by).count(), std::memory_order_acq_rel);
  }

  void set(time_point at) noexcept requires(!Clock::is_steady) {
    ticks_.store(at.time_since_epoch().count(), std::memory_order_release);
  }

 private:
  std::atomic<typename duration::rep> ticks_{0};
};

using manual_clock = basic_manual_clock<std::chrono::steady_clock>;
using manual_wall_clock = basic_manual_clock<std::chrono::system_clock>;

static_assert(steady_clock_like<steady_clock_source>);
static_assert(steady_clock_like<manual_clock>);
static_assert(wall_clock_like<wall_clock_source>);
static_assert(wall_clock_like<manual_wall_clock>);
static_assert(!steady_clock_like<manual_wall_clock>);

// Unix time in milliseconds from the real wall clock: the receive stamp of a read, and the commit, delivery
// and age readings compared with it. Hot loops read it once per read or per batch, not per Post.
[[nodiscard]] inline std::int64_t unix_ms_now() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace spillway::common
