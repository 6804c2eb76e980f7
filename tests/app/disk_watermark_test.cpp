// The disk guard's decision core (app/disk_watermark) on a manual clock: the mark, the resume margin
// (hysteresis), and the 30 s cadence of the "still low" error; and the option table's auto thresholds.
#include <catch2/catch.hpp>

#include "app/disk_watermark.hpp"
#include "common/clock.hpp"
#include "config/options.hpp"

using namespace spillway;
using namespace std::chrono_literals;
using app::disk_event;

namespace {

constexpr std::uint64_t mib = 1 << 20;
using watermark = app::basic_disk_watermark<common::manual_clock>;

}  // namespace

TEST_CASE("disk watermark: above the mark nothing happens - below it the stream closes once", "[disk]") {
  common::manual_clock clock;
  watermark w(100 * mib, 20 * mib, clock);
  CHECK(w.observe(500 * mib) == disk_event::none);
  CHECK(w.observe(100 * mib) == disk_event::none);  // exactly at the mark is enough
  CHECK_FALSE(w.low());
  CHECK(w.observe(100 * mib - 1) == disk_event::went_low);
  CHECK(w.low());
  clock.advance(1s);
  CHECK(w.observe(50 * mib) == disk_event::none);  // already closed: no second close, no log before 30 s
  CHECK(w.observe(0) == disk_event::none);
}

TEST_CASE("disk watermark: reconnects only above mark + margin (no flapping at the mark)", "[disk]") {
  common::manual_clock clock;
  watermark w(100 * mib, 20 * mib, clock);
  REQUIRE(w.observe(99 * mib) == disk_event::went_low);
  CHECK(w.resume_bytes() == 120 * mib);
  // Back above the mark but inside the margin: still closed.
  for (const auto free : {100 * mib, 110 * mib, 120 * mib - 1}) {
    clock.advance(1s);
    CHECK(w.observe(free) == disk_event::none);
    CHECK(w.low());
  }
  clock.advance(1s);
  CHECK(w.observe(120 * mib) == disk_event::recovered);
  CHECK_FALSE(w.low());
  // Hovering between the mark and the resume level after the recovery keeps the stream open.
  CHECK(w.observe(105 * mib) == disk_event::none);
  // A second fall closes it again.
  CHECK(w.observe(90 * mib) == disk_event::went_low);
}

TEST_CASE("disk watermark: the error repeats every 30 s while low, not per sample", "[disk]") {
  common::manual_clock clock;
  watermark w(100 * mib, 20 * mib, clock);
  REQUIRE(w.observe(10 * mib) == disk_event::went_low);
  int repeats = 0;
  // 95 s of one-second samples: lines at 30 s, 60 s and 90 s.
  for (int s = 1; s <= 95; ++s) {
    clock.advance(1s);
    const auto e = w.observe(10 * mib);
    CHECK((e == disk_event::none || e == disk_event::still_low));
    if (e == disk_event::still_low) {
      ++repeats;
      CHECK(s % 30 == 0);
    }
  }
  CHECK(repeats == 3);
  // After a long pause (a suspended machine) one line, then 30 s again.
  clock.advance(10min);
  CHECK(w.observe(10 * mib) == disk_event::still_low);
  clock.advance(29s);
  CHECK(w.observe(10 * mib) == disk_event::none);
  clock.advance(1s);
  CHECK(w.observe(10 * mib) == disk_event::still_low);
}

TEST_CASE("disk watermark: a recovery restarts the cadence - a custom cadence is honoured", "[disk]") {
  common::manual_clock clock;
  watermark w(100 * mib, 0, clock, 5s);
  REQUIRE(w.observe(1) == disk_event::went_low);
  clock.advance(5s);
  CHECK(w.observe(1) == disk_event::still_low);
  CHECK(w.observe(100 * mib) == disk_event::recovered);  // margin 0: the mark itself
  clock.advance(4s);
  REQUIRE(w.observe(1) == disk_event::went_low);
  clock.advance(4s);
  CHECK(w.observe(1) == disk_event::none);  // 4 s after this fall, not 9 s after the first one
  clock.advance(1s);
  CHECK(w.observe(1) == disk_event::still_low);
}

TEST_CASE("disk watermark: a margin that would overflow saturates", "[disk]") {
  common::manual_clock clock;
  watermark w(~std::uint64_t{0} - 5, 100, clock);
  CHECK(w.resume_bytes() == ~std::uint64_t{0});
}

TEST_CASE("min_free_bytes / free_margin_bytes: 0 is auto (1 GiB or 5%, 256 MiB or 1%) - a value is taken as is",
          "[disk]") {
  config::rocksdb_settings r;
  constexpr std::uint64_t gib = std::uint64_t{1} << 30;
  CHECK(r.min_free_bytes == 0);
  CHECK(r.free_margin_bytes == 0);
  CHECK(config::effective_min_free_bytes(r, 10 * gib) == gib);              // 5% = 0.5 GiB < 1 GiB
  CHECK(config::effective_min_free_bytes(r, 1000 * gib) == 50 * gib);       // 5% of 1000 GiB
  CHECK(config::effective_free_margin_bytes(r, 10 * gib) == 256 * mib);     // 1% = 102 MiB < 256 MiB
  CHECK(config::effective_free_margin_bytes(r, 1000 * gib) == 10 * gib);    // 1% of 1000 GiB
  r.min_free_bytes = 16 * mib;
  r.free_margin_bytes = 4 * mib;
  CHECK(config::effective_min_free_bytes(r, 1000 * gib) == 16 * mib);
  CHECK(config::effective_free_margin_bytes(r, 1000 * gib) == 4 * mib);
  const auto* spec = config::find_option("sinks.rocksdb.min_free_bytes");
  REQUIRE(spec != nullptr);
  CHECK(spec->help.find("0 = auto: the larger of 1 GiB and 5% of the filesystem") != std::string_view::npos);
}
