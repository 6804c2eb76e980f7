// common/clock.hpp and common/backoff.hpp: schedules, jitter bounds and exact draws, manual clocks.
#include "common/backoff.hpp"
#include "common/clock.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace std::chrono_literals;
using spillway::common::apply_jitter;
using spillway::common::backoff;
using spillway::common::exponential_schedule;
using spillway::common::jitter;
using spillway::common::linear_schedule;
using ms = std::chrono::milliseconds;

namespace {

// A generator that returns a chosen point of its range: value/1000 of the way from min to max.
struct fixed_rng {
  using result_type = std::uint32_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return 1000; }
  result_type value = 0;
  result_type operator()() { return value; }
};

std::vector<ms> nominals(const spillway::common::schedule& s, std::uint32_t count) {
  std::vector<ms> out;
  for (std::uint32_t n = 1; n <= count; ++n) out.push_back(s.nominal(n));
  return out;
}

}  // namespace

TEST_CASE("linear schedule: +step per attempt up to the cap", "[backoff]") {
  const auto s = linear_schedule(250ms, 16s);
  CHECK(nominals(s, 4) == std::vector<ms>{250ms, 500ms, 750ms, 1000ms});
  CHECK(s.nominal(0) == 0ms);
  CHECK(s.nominal(63) == 15750ms);
  CHECK(s.nominal(64) == 16s);
  CHECK(s.nominal(65) == 16s);
  CHECK(s.nominal(UINT32_MAX) == 16s);  // no overflow
}

TEST_CASE("exponential schedule: doubling up to the cap", "[backoff]") {
  CHECK(nominals(exponential_schedule(5s, 320s), 8) == std::vector<ms>{5s, 10s, 20s, 40s, 80s, 160s, 320s, 320s});
  CHECK(nominals(exponential_schedule(60s, 900s), 6) == std::vector<ms>{60s, 120s, 240s, 480s, 900s, 900s});
  CHECK(exponential_schedule(5s, 320s).nominal(UINT32_MAX) == 320s);
  CHECK(exponential_schedule(1ms, ms::max()).nominal(200) == ms::max());  // saturates, no overflow
}

TEST_CASE("jitter kinds parse and print", "[backoff]") {
  for (auto j : {jitter::none, jitter::full, jitter::equal, jitter::decorrelated}) {
    CHECK(spillway::common::parse_jitter(spillway::common::to_string(j)) == j);
  }
  CHECK_FALSE(spillway::common::parse_jitter("Full").has_value());
  CHECK_FALSE(spillway::common::parse_jitter("").has_value());
}

TEST_CASE("jitter is exact under a fixed generator", "[backoff]") {
  const auto s = exponential_schedule(5s, 320s);
  fixed_rng lo{0}, mid{500}, hi{1000};
  CHECK(apply_jitter(jitter::none, 10s, 0ms, s, hi) == 10s);
  CHECK(apply_jitter(jitter::full, 10s, 0ms, s, lo) == 0ms);
  CHECK(apply_jitter(jitter::full, 10s, 0ms, s, mid) == 5s);
  CHECK(apply_jitter(jitter::full, 10s, 0ms, s, hi) == 10s);
  CHECK(apply_jitter(jitter::equal, 10s, 0ms, s, lo) == 5s);
  CHECK(apply_jitter(jitter::equal, 10s, 0ms, s, hi) == 10s);
  CHECK(apply_jitter(jitter::equal, 251ms, 0ms, s, hi) == 251ms);  // odd nominal: high end still reached
  // decorrelated: uniform [base, 3 * previous], previous starts at base, capped.
  CHECK(apply_jitter(jitter::decorrelated, 0ms, 0ms, s, hi) == 15s);
  CHECK(apply_jitter(jitter::decorrelated, 0ms, 20s, s, lo) == 5s);
  CHECK(apply_jitter(jitter::decorrelated, 0ms, 20s, s, hi) == 60s);
  CHECK(apply_jitter(jitter::decorrelated, 0ms, 200s, s, hi) == 320s);
}

TEST_CASE("jitter bounds over many draws of a real generator", "[backoff]") {
  const auto s = exponential_schedule(5s, 320s);
  std::mt19937_64 rng{42};
  for (auto kind : {jitter::none, jitter::full, jitter::equal, jitter::decorrelated}) {
    backoff<std::mt19937_64> b{s, kind, rng};
    for (int round = 0; round < 3; ++round) {
      ms previous{0};
      for (std::uint32_t n = 1; n <= 12; ++n) {
        const ms wait = b.next();
        const ms nominal = s.nominal(n);
        INFO("jitter " << spillway::common::to_string(kind) << " attempt " << n << " wait " << wait.count());
        switch (kind) {
          case jitter::none:
            CHECK(wait == nominal);
            break;
          case jitter::full:
            CHECK((wait >= 0ms && wait <= nominal));
            break;
          case jitter::equal:
            CHECK((wait >= nominal / 2 && wait <= nominal));
            break;
          case jitter::decorrelated:
            CHECK((wait >= s.base && wait <= std::min(s.cap, 3 * std::max(previous, s.base))));
            break;
        }
        previous = wait;
      }
      CHECK(b.attempts() == 12);
      b.reset();
      CHECK(b.attempts() == 0);
      CHECK(b.previous() == 0ms);
    }
  }
}

TEST_CASE("full jitter spreads: draws are not all equal", "[backoff]") {
  std::mt19937_64 rng{7};
  ms lowest = ms::max(), highest{0};
  for (int i = 0; i < 200; ++i) {
    const ms w = apply_jitter(jitter::full, 10s, 0ms, exponential_schedule(5s, 320s), rng);
    lowest = std::min(lowest, w);
    highest = std::max(highest, w);
  }
  CHECK(lowest < 2s);
  CHECK(highest > 8s);
}

TEST_CASE("manual clocks move only when told", "[clock]") {
  spillway::common::manual_clock steady;
  const auto t0 = steady.now();
  CHECK(steady.now() == t0);
  steady.advance(250ms);
  CHECK(steady.now() - t0 == 250ms);

  spillway::common::manual_wall_clock wall{std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}}};
  wall.advance(1500ms);
  CHECK(wall.now().time_since_epoch() == 1'700'000'001'500ms);
  wall.set(std::chrono::system_clock::time_point{std::chrono::seconds{5}});
  CHECK(wall.now().time_since_epoch() == 5s);

  const spillway::common::steady_clock_source real;
  const auto a = real.now();
  CHECK(real.now() >= a);
}
