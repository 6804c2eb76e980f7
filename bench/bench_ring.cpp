// bench-ring: the SPSC ring between the reader and the pipeline thread, measured the way
// rigtorp/SPSCQueue reports its own: throughput (ops/ms) with one producer and one consumer thread, and
// round-trip latency (ns) of a ping-pong over two rings. Before timing, a checked run proves that every
// value arrives once and in order (the figure of a ring that loses or reorders items means nothing).
// Prints one JSON object.
//
//   bench-ring [--ops N] [--capacity C] [--rounds R] [--batch B]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <span>
#include <thread>
#include <vector>

#include "bench/bench_machine.hpp"
#include "bench/bench_stats.hpp"
#include "common/spsc_ring.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using spillway::common::spsc_ring;

// The producer pushes 1..ops (one at a time, or in batches of `batch`); the consumer pops and sums.
// Returns elapsed ns; `ok` is false when a value arrived out of order or the sum is wrong.
std::int64_t transfer(std::uint64_t ops, std::size_t capacity, std::size_t batch, bool& ok) {
  spsc_ring<std::uint64_t> ring(capacity);
  std::atomic<bool> go{false};
  bool in_order = true;
  std::uint64_t sum = 0;
  std::thread consumer([&] {
    while (!go.load(std::memory_order_acquire)) {
    }
    std::uint64_t expect = 1;
    std::vector<std::uint64_t> out(std::max<std::size_t>(batch, 1));
    while (expect <= ops) {
      if (batch <= 1) {
        auto* v = ring.front();
        if (!v) continue;
        in_order &= (*v == expect);
        sum += *v;
        ring.pop();
        ++expect;
      } else {
        const auto n = ring.pop_batch(std::span<std::uint64_t>(out));
        for (std::size_t i = 0; i < n; ++i) {
          in_order &= (out[i] == expect);
          sum += out[i];
          ++expect;
        }
      }
    }
  });
  const auto start = clock_type::now();
  go.store(true, std::memory_order_release);
  std::vector<std::uint64_t> chunk(std::max<std::size_t>(batch, 1));
  for (std::uint64_t i = 1; i <= ops;) {
    if (batch <= 1) {
      while (!ring.try_push(i)) {
      }
      ++i;
    } else {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, ops - i + 1));
      for (std::size_t k = 0; k < n; ++k) chunk[k] = i + k;
      std::size_t sent = 0;
      while (sent < n) sent += ring.push_batch(std::span<std::uint64_t>(chunk.data() + sent, n - sent));
      i += n;
    }
  }
  consumer.join();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - start).count();
  ok = in_order && sum == ops * (ops + 1) / 2;
  return ns;
}

// Ping-pong: the main thread sends i on one ring and waits for i back on the other. Returns ns per
// round trip; `ok` false when an answer differs from what was sent.
double round_trip(std::uint64_t trips, std::size_t capacity, bool& ok) {
  spsc_ring<std::uint64_t> ping(capacity), pong(capacity);
  std::thread echo([&] {
    for (std::uint64_t n = 0; n < trips; ++n) {
      std::uint64_t* v = nullptr;
      while (!(v = ping.front())) {
      }
      const auto value = *v;
      ping.pop();
      while (!pong.try_push(value)) {
      }
    }
  });
  ok = true;
  const auto start = clock_type::now();
  for (std::uint64_t i = 0; i < trips; ++i) {
    while (!ping.try_push(i)) {
    }
    std::uint64_t* v = nullptr;
    while (!(v = pong.front())) {
    }
    ok &= (*v == i);
    pong.pop();
  }
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - start).count();
  echo.join();
  return static_cast<double>(ns) / static_cast<double>(trips);
}

using spillway::bench::median;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench-ring: SPSC ring throughput (ops/ms) and round-trip latency (ns)"};
  std::uint64_t ops = 10'000'000;
  std::size_t capacity = 65536;
  int rounds = 5;
  std::size_t batch = 64;
  app.add_option("--ops", ops, "values sent per throughput round")->check(CLI::Range(std::uint64_t{1000}, std::uint64_t{1} << 40));
  app.add_option("--capacity", capacity, "ring capacity (a power of two; the service's default is pipeline.ring_capacity)");
  app.add_option("--rounds", rounds, "rounds per figure; the median is reported")->check(CLI::Range(1, 100));
  app.add_option("--batch", batch, "batch size for the batched figure (push_batch/pop_batch)")->check(CLI::Range(2, 4096));
  CLI11_PARSE(app, argc, argv);

  // Checked first: a short run of each mode must deliver every value once and in order.
  bool ok = false;
  (void)transfer(100'000, 1024, 1, ok);
  if (!ok) {
    std::fprintf(stderr, "bench-ring: single-item transfer lost or reordered values\n");
    return 1;
  }
  (void)transfer(100'000, 1024, batch, ok);
  if (!ok) {
    std::fprintf(stderr, "bench-ring: batched transfer lost or reordered values\n");
    return 1;
  }
  (void)round_trip(10'000, 1024, ok);
  if (!ok) {
    std::fprintf(stderr, "bench-ring: round trip returned a different value\n");
    return 1;
  }

  std::vector<double> single, batched, rtt;
  for (int r = 0; r < rounds; ++r) {
    const auto ns1 = transfer(ops, capacity, 1, ok);
    if (!ok) return 1;
    single.push_back(static_cast<double>(ops) / (static_cast<double>(ns1) / 1e6));
    const auto ns2 = transfer(ops, capacity, batch, ok);
    if (!ok) return 1;
    batched.push_back(static_cast<double>(ops) / (static_cast<double>(ns2) / 1e6));
    rtt.push_back(round_trip(std::max<std::uint64_t>(ops / 100, 10'000), capacity, ok));
    if (!ok) return 1;
  }
  std::printf("{\"bench\":\"ring\",\"cpu\":\"%s\",\"hardware_threads\":%u,\"ops\":%llu,\"capacity\":%zu,\"rounds\":%d,"
              "\"ops_per_ms\":%.0f,\"batch\":%zu,\"batched_ops_per_ms\":%.0f,\"round_trip_ns\":%.1f}\n",
              spillway::bench::cpu_model().c_str(), std::thread::hardware_concurrency(),
              static_cast<unsigned long long>(ops), capacity, rounds, median(single), batch, median(batched),
              median(rtt));
  return 0;
}
