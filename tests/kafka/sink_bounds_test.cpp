// What the sink promises about resources: no heap allocation of ours per Post on the hot path, and a
// bounded amount in flight whatever the outage length (the backlog is on disk).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <set>

#include "tests/kafka/kafka_test_support.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
}  // namespace

// Counts C++ allocations while `counting` is set. librdkafka allocates with malloc (its one copy of the
// line is what it "requires"), so what this sees is ours. Every plain form is replaced, so each
// allocation and its release go through the same malloc/free pair (sanitizers check that).
namespace {
void* counted_malloc(std::size_t size) noexcept {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

void* operator new(std::size_t size) {
  if (void* p = counted_malloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_malloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_malloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_malloc(size); }
// GCC sees malloc/free through the inlined replacement and warns; the pairing is the standard one.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace spillway;
using namespace spillway::test;
using namespace std::chrono_literals;

TEST_CASE("on_committed allocates nothing per Post in steady state", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(3000, {"x.posts:2"});
  auto& sink = rig.start();
  commit_posts(rig.db, &sink, rig.posts, 0, 1000);  // warm-up: topic handles, header buffers, first deliveries
  REQUIRE(rig.drained(20s));

  // Store the next 2000 the way the pipeline does, then count only the hand-off to the sink.
  commit_posts(rig.db, nullptr, rig.posts, 1000, 3000);
  std::vector<sinks::committed_post> committed;
  for (std::size_t i = 1000; i < 3000; ++i) {
    const auto& p = *rig.posts[i];
    committed.push_back({p.id(), p.line(), &p.fields, p.received_ms, p.source});
  }
  allocations = 0;
  counting = true;
  sink.on_committed(committed);
  counting = false;
  INFO("allocations for 2000 Posts: " << allocations.load());
  CHECK(allocations.load() < 20);  // a few amortised buffer growths at most, never one per Post
  REQUIRE(rig.drained(20s));
}

TEST_CASE("during an outage in-flight Posts stay bounded and the backlog lives in the outbox", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  // librdkafka's mock keeps ~5 MiB per partition (older records are dropped like retention): 8 partitions
  // hold these 20,000 Posts (~13 MB) with room to spare.
  kafka_rig rig(20000, {"x.posts:8"});
  REQUIRE(rig.broker.command("down 1") == "ok down 1");
  auto& sink = rig.start({{"queue.buffering.max.messages", "1000"}, {"message.timeout.ms", "1000"}});
  std::size_t max_in_flight = 0;
  std::int64_t max_queue = 0;
  for (std::size_t i = 0; i < rig.posts.size(); i += 500) {
    rig.commit(i, i + 500, 500);
    max_in_flight = std::max(max_in_flight, sink.in_flight());
    max_queue = std::max(max_queue, rig.gauge("spillway_kafka_queue_depth"));
  }
  poll_until(sink, [] { return false; }, 1500ms);  // let deliveries time out and go back to the outbox
  CHECK(max_in_flight <= 1000);
  CHECK(max_queue <= 1000);
  CHECK(sink.outbox_posts() == 20000);
  CHECK(outbox_entries(rig.db) == 20000);
  CHECK(rig.gauge("spillway_kafka_outbox_oldest_age_milliseconds") > 0);

  REQUIRE(rig.broker.command("up 1") == "ok up 1");
  REQUIRE(rig.drained(60s));
  CHECK(outbox_entries(rig.db) == 0);
  CHECK(sink.flush(5s) == 0);
  const auto records = read_with_kcat(rig.broker.bootstrap(), "x.posts");
  std::set<std::string> keys;
  for (const auto& r : records) keys.insert(r.key);
  INFO("records " << records.size());
  CHECK(keys.size() == 20000);
}
