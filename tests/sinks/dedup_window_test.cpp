#include <catch2/catch.hpp>

#include <random>
#include <unordered_set>
#include <deque>

#include "sinks/rocksdb/dedup_window.hpp"

using spillway::sinks::dedup_window;

TEST_CASE("dedup window remembers the last N ids and raises its floor on eviction", "[dedup]") {
  dedup_window w(3);
  w.insert(10);
  w.insert(11);
  w.insert(12);
  CHECK(w.contains(10));
  CHECK(w.floor() == 0);
  w.insert(13);  // evicts 10
  CHECK_FALSE(w.contains(10));
  CHECK(w.floor() == 10);
  CHECK(w.contains(11));
  CHECK(w.contains(13));
  CHECK(w.size() == 3);
}

TEST_CASE("dedup window matches a reference model under random ids", "[dedup]") {
  constexpr std::size_t cap = 1000;
  dedup_window w(cap);
  std::deque<std::uint64_t> order;
  std::unordered_set<std::uint64_t> model;
  std::mt19937_64 rng(7);
  std::uint64_t mismatches = 0;
  for (int i = 0; i < 200'000; ++i) {
    // Ids from a small space so that hits, misses and long probe chains all happen.
    const std::uint64_t id = 1 + rng() % 5000;
    const bool expected = model.count(id) != 0;
    if (w.contains(id) != expected) ++mismatches;
    if (!expected) {
      w.insert(id);
      order.push_back(id);
      model.insert(id);
      if (order.size() > cap) {
        model.erase(order.front());
        order.pop_front();
      }
    }
  }
  CHECK(mismatches == 0);
  CHECK(w.size() == cap);
}
