#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "sinks/kafka/delivery_tracker.hpp"

using spillway::sinks::kafka::delivery_tracker;

TEST_CASE("delivery tracker insert, duplicate, erase, capacity", "[kafka]") {
  delivery_tracker t(3);
  CHECK(t.insert(10, 100));
  CHECK_FALSE(t.insert(10, 200));  // already in flight
  CHECK(t.insert(20, 50));
  CHECK(t.insert(30, 70));
  CHECK(t.full());
  CHECK_FALSE(t.insert(40, 1));
  CHECK_FALSE(t.insert(0, 1));  // 0 is reserved
  CHECK(t.oldest_received_ms() == 50);
  std::int64_t at = 0;
  CHECK(t.erase(20, at));
  CHECK(at == 50);
  CHECK_FALSE(t.erase(20, at));
  CHECK_FALSE(t.contains(20));
  CHECK(t.contains(10));
  CHECK(t.contains(30));
  CHECK(t.size() == 2);
  CHECK(t.oldest_received_ms() == 70);
}

TEST_CASE("delivery tracker agrees with std::map under random operations", "[kafka]") {
  delivery_tracker t(1000);
  std::map<std::uint64_t, std::int64_t> model;
  std::mt19937_64 rng(12345);
  // Snowflake-like ids clustered in a narrow range make long probe runs: the hard case for deletion.
  const std::uint64_t base = 1800000000000000000ull;
  for (int step = 0; step < 200000; ++step) {
    const std::uint64_t id = base + (rng() % 3000) * 4096;
    const auto at = static_cast<std::int64_t>(rng() % 1000000);
    if (rng() % 2 == 0) {
      const bool expect = model.size() < 1000 && model.count(id) == 0;
      REQUIRE(t.insert(id, at) == expect);
      if (expect) model[id] = at;
    } else {
      std::int64_t got = 0;
      const bool present = model.count(id) == 1;
      REQUIRE(t.erase(id, got) == present);
      if (present) {
        REQUIRE(got == model[id]);
        model.erase(id);
      }
    }
    REQUIRE(t.size() == model.size());
  }
  for (const auto& [id, at] : model) REQUIRE(t.contains(id));
  std::int64_t oldest = delivery_tracker::none;
  for (const auto& [id, at] : model) oldest = std::min(oldest, at);
  CHECK(t.oldest_received_ms() == oldest);
}

TEST_CASE("delivery tracker try_insert tells present from full in one probe", "[kafka]") {
  using result = delivery_tracker::insert_result;
  delivery_tracker t(2);
  CHECK(t.try_insert(10, 1) == result::inserted);
  CHECK(t.try_insert(10, 2) == result::present);
  CHECK(t.try_insert(20, 3) == result::inserted);
  // Full: an id already tracked is still "present" (on its way), a new one is "full" (no room).
  CHECK(t.try_insert(10, 4) == result::present);
  CHECK(t.try_insert(30, 5) == result::full);
  CHECK(t.try_insert(0, 6) == result::full);  // reserved, never tracked
  std::int64_t at = 0;
  REQUIRE(t.erase(10, at));
  CHECK(at == 1);  // the first insert's time: a "present" answer changed nothing
  CHECK(t.try_insert(30, 7) == result::inserted);
  CHECK(t.size() == 2);
}
