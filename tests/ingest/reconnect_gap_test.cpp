// ingest/reconnect/gap_ledger.hpp: backfill minutes for gaps of many sizes, unrecovered time, and the
// record bytes kept in RocksDB `meta`.
#include "ingest/reconnect/gap_ledger.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace spillway::reconnect;
using ms = std::chrono::milliseconds;
using tp = std::chrono::system_clock::time_point;

TEST_CASE("backfill_minutes = min(5, ceil(gap minutes)), 0 for no gap", "[reconnect][gap]") {
  struct row {
    ms gap;
    std::uint32_t minutes;
    ms unrecovered;
  };
  const row rows[] = {
      {0ms, 0, 0ms},  {-5s, 0, 0ms},        {1ms, 1, 0ms},         {30s, 1, 0ms},
      {60s, 1, 0ms},  {60001ms, 2, 0ms},    {150s, 3, 0ms},        {4min + 59s, 5, 0ms},
      {5min, 5, 0ms}, {5min + 1ms, 5, 1ms}, {7min + 30s, 5, 150s}, {24h, 5, 24h - 5min},
  };
  for (const auto& r : rows) {
    INFO("gap " << r.gap.count() << " ms");
    CHECK(backfill_minutes_for(r.gap) == r.minutes);
    CHECK(unrecovered_for(r.gap) == r.unrecovered);
  }
}

TEST_CASE("measure_gap between wall-clock instants", "[reconnect][gap]") {
  const tp stopped{std::chrono::seconds{1'795'953'600}};
  const auto m = measure_gap(stopped, stopped + 7min + 30s);
  CHECK(m.gap == 450s);
  CHECK(m.backfill_minutes == 5);
  CHECK(m.unrecovered == 150s);
  CHECK(m.unrecovered_seconds() == Approx(150.0));

  const auto sub = measure_gap(stopped, stopped + std::chrono::microseconds{1500});
  CHECK(sub.gap == 2ms);  // rounded up: a partial millisecond is still a gap
  CHECK(sub.backfill_minutes == 1);

  const auto backwards = measure_gap(stopped, stopped - 10s);  // wall clock stepped back
  CHECK(backwards.gap == 0ms);
  CHECK(backwards.backfill_minutes == 0);
  CHECK(backwards.unrecovered == 0ms);
}

TEST_CASE("gap record bytes round-trip, open and closed", "[reconnect][gap]") {
  const tp stopped{1'795'953'600'123ms};
  const gap_record open{stopped, std::nullopt};
  const gap_record closed{stopped, stopped + 42s};
  for (const auto& record : {open, closed}) {
    const std::string bytes = serialize(record);
    REQUIRE(bytes.size() == gap_record_size);
    const auto back = deserialize_gap_record(bytes);
    REQUIRE(back.has_value());
    CHECK(*back == record);
  }
  // Big-endian times: the bytes of a later stop sort after an earlier one.
  CHECK(serialize(open) < serialize(gap_record{stopped + 1ms, std::nullopt}));
  CHECK(serialize(open)[0] == '\x01');
  CHECK(serialize(closed)[1] == '\x01');
  CHECK(serialize(open)[1] == '\x00');
}

TEST_CASE("gap record: the reason disk_low round-trips in flag bit 1 - older records read as stream",
          "[reconnect][gap]") {
  const tp stopped{1'795'953'600'123ms};
  const gap_record open{stopped, std::nullopt, gap_reason::disk_low};
  const gap_record closed{stopped, stopped + 42s, gap_reason::disk_low};
  CHECK(serialize(open)[1] == '\x02');
  CHECK(serialize(closed)[1] == '\x03');
  for (const auto& record : {open, closed}) {
    const auto back = deserialize_gap_record(serialize(record));
    REQUIRE(back.has_value());
    CHECK(back->reason == gap_reason::disk_low);
    CHECK(*back == record);
  }
  // A record as written before the reason existed (flags 0 or 1) is a `stream` gap.
  const auto old = deserialize_gap_record(serialize(gap_record{stopped, stopped + 1s}));
  REQUIRE(old.has_value());
  CHECK(old->reason == gap_reason::stream);
  CHECK(to_string(gap_reason::disk_low) == "disk_low");
  CHECK(to_string(gap_reason::stream) == "stream");
}

TEST_CASE("gap record: malformed bytes are refused", "[reconnect][gap]") {
  const tp stopped{1'795'953'600'000ms};
  const std::string good = serialize(gap_record{stopped, stopped + 1s});
  std::string wrong_version = good;
  wrong_version[0] = '\x02';
  std::string wrong_flags = good;
  wrong_flags[1] = '\x04';  // bits 0 (resumed) and 1 (disk_low) are the only flags
  const std::string reversed = serialize(gap_record{stopped + 1s, std::nullopt}).substr(0, 10) +
                               serialize(gap_record{stopped, std::nullopt}).substr(2, 8);
  std::string closed_reversed = reversed;
  closed_reversed[1] = '\x01';
  // Found by tests/fuzz/keys_fuzz: an open record (flag clear) with bytes in the resumed_at slot was
  // accepted, though serialize() never writes it (two encodings of one record); and a stored time beyond
  // the wall clock's nanosecond range overflowed converting to a time_point (UBSan: signed overflow).
  const std::string open_with_stray_resume = reversed;
  const std::string far_future = std::string("\x01\x00", 2) + std::string("\x7f") + std::string(7, '\xff') +
                                 std::string(8, '\0');
  const std::string far_past = std::string("\x01\x00", 2) + std::string("\x80") + std::string(7, '\0') +
                               std::string(8, '\0');
  std::string resumed_far_future = good;
  resumed_far_future.replace(10, 8, std::string("\x7f") + std::string(7, '\xff'));
  for (const std::string& bad : {std::string{}, good.substr(0, 17), good + "x", wrong_version, wrong_flags,
                                 closed_reversed, open_with_stray_resume, far_future, far_past, resumed_far_future}) {
    const auto r = deserialize_gap_record(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == boost::system::errc::bad_message);
  }
  // The edges of the wall clock's range still read back.
  using std::chrono::system_clock;
  const tp latest{std::chrono::floor<std::chrono::milliseconds>(system_clock::time_point::max().time_since_epoch())};
  const tp earliest{std::chrono::ceil<std::chrono::milliseconds>(system_clock::time_point::min().time_since_epoch())};
  for (const gap_record& edge : {gap_record{latest, std::nullopt}, gap_record{earliest, latest}}) {
    const auto back = deserialize_gap_record(serialize(edge));
    REQUIRE(back.has_value());
    CHECK(*back == edge);
  }
}
