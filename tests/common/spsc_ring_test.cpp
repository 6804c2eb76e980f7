#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/spsc_ring.hpp"

using spillway::common::spsc_ring;

namespace {
// Counts live instances so the tests can prove every constructed element is destroyed exactly once.
struct counted {
  static inline std::atomic<int> live{0};
  std::uint64_t value = 0;
  counted() noexcept { ++live; }
  explicit counted(std::uint64_t v) noexcept : value(v) { ++live; }
  counted(const counted& o) noexcept : value(o.value) { ++live; }
  counted(counted&& o) noexcept : value(o.value) { ++live; }
  counted& operator=(const counted&) noexcept = default;
  counted& operator=(counted&&) noexcept = default;
  ~counted() { --live; }
};
}  // namespace

TEST_CASE("ring rejects capacities that are not powers of two", "[ring]") {
  CHECK_THROWS_AS(spsc_ring<int>(0), std::invalid_argument);
  CHECK_THROWS_AS(spsc_ring<int>(3), std::invalid_argument);
  CHECK_NOTHROW(spsc_ring<int>(4));
}

TEST_CASE("ring full and empty edges", "[ring]") {
  spsc_ring<int> ring(4);
  CHECK(ring.empty());
  CHECK(ring.front() == nullptr);
  for (int i = 0; i < 4; ++i) CHECK(ring.try_push(i));
  CHECK_FALSE(ring.try_push(99));  // full: the value is not taken
  CHECK(ring.size() == 4);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(ring.front() != nullptr);
    CHECK(*ring.front() == i);
    ring.pop();
  }
  CHECK(ring.front() == nullptr);
  CHECK(ring.try_push(5));  // wraps around
  CHECK(*ring.front() == 5);
}

TEST_CASE("ring batch push and pop take what fits", "[ring]") {
  spsc_ring<int> ring(8);
  std::vector<int> in{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(ring.push_batch(std::span(in)) == 8);
  std::vector<int> out(5);
  CHECK(ring.pop_batch(std::span(out)) == 5);
  CHECK(out == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(ring.push_batch(std::span(in).subspan(8)) == 2);
  out.assign(10, 0);
  CHECK(ring.pop_batch(std::span(out)) == 5);
  CHECK(std::vector<int>(out.begin(), out.begin() + 5) == std::vector<int>{6, 7, 8, 9, 10});
  CHECK(ring.pop_batch(std::span(out)) == 0);
}

TEST_CASE("ring destroys every element exactly once", "[ring]") {
  counted::live = 0;
  {
    spsc_ring<counted> ring(16);
    for (int i = 0; i < 10; ++i) REQUIRE(ring.try_push(counted(static_cast<std::uint64_t>(i))));
    CHECK(counted::live == 10);
    ring.pop();
    ring.pop();
    CHECK(counted::live == 8);
    std::vector<counted> out(3);
    CHECK(ring.pop_batch(std::span(out)) == 3);
    CHECK(counted::live == 5 + 3);  // 5 left in the ring, 3 moved out
  }
  // The ring's destructor destroyed the 5 it still held; only `out`'s went with the vector.
  CHECK(counted::live == 0);
}

TEST_CASE("ring threaded fuzz keeps order and checksum", "[ring]") {
  constexpr std::uint64_t total = 2'000'000;
  spsc_ring<std::uint64_t> ring(1024);
  std::uint64_t produced_sum = 0;
  std::thread producer([&] {
    std::vector<std::uint64_t> batch;
    std::uint64_t next = 1;
    while (next <= total) {
      // Mix single and batch pushes of varying sizes.
      if (next % 7 == 0) {
        batch.clear();
        for (std::uint64_t k = 0; k < 1 + next % 61 && next + k <= total; ++k) batch.push_back(next + k);
        std::size_t done = 0;
        while (done < batch.size()) done += ring.push_batch(std::span(batch).subspan(done));
        for (auto v : batch) produced_sum += v * 2654435761u;
        next += batch.size();
      } else {
        while (!ring.try_push(next)) std::this_thread::yield();
        produced_sum += next * 2654435761u;
        ++next;
      }
    }
  });
  std::uint64_t expected = 1;
  std::uint64_t consumed_sum = 0;
  bool in_order = true;
  std::vector<std::uint64_t> out(97);
  while (expected <= total) {
    if (expected % 3 == 0) {
      const auto n = ring.pop_batch(std::span(out));
      for (std::size_t i = 0; i < n; ++i) {
        in_order = in_order && out[i] == expected;
        consumed_sum += out[i] * 2654435761u;
        ++expected;
      }
    } else if (auto* v = ring.front()) {
      in_order = in_order && *v == expected;
      consumed_sum += *v * 2654435761u;
      ring.pop();
      ++expected;
    }
  }
  producer.join();
  CHECK(in_order);
  CHECK(consumed_sum == produced_sum);
  CHECK(ring.empty());
}
