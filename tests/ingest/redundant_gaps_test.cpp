// Redundant connections and the gap ledger (ingest/reconnect/delivery_set.hpp, ingest/stream/redundant_gaps):
// a gap is recorded only while every connection is down, it starts at the last delivery on any connection
// and ends when the first connection delivers again; backfill is asked only while a gap is open. Wall-clock
// instants are passed in (the injected clock); the ledger is an in-memory store.
#include <chrono>
#include <optional>
#include <vector>

#include <catch2/catch.hpp>

#include "common/metrics.hpp"
#include "ingest/reconnect/delivery_set.hpp"
#include "ingest/stream/gap_tracker.hpp"
#include "ingest/stream/redundant_gaps.hpp"

using namespace std::chrono_literals;
using namespace spillway;
using ingest::wall_time;

namespace {

// Records by stopped_at, as RocksDB `meta` keeps them (put replaces the record with the same stopped_at).
class memory_ledger final : public reconnect::gap_ledger_store {
 public:
  std::optional<reconnect::gap_record> newest() override {
    if (records.empty()) return std::nullopt;
    return records.back();
  }
  common::result<void> put(const reconnect::gap_record& record) override {
    for (auto& r : records) {
      if (r.stopped_at == record.stopped_at) {
        r = record;
        return {};
      }
    }
    records.push_back(record);
    return {};
  }
  std::vector<reconnect::gap_record> records;
};

const wall_time t0{std::chrono::seconds{1'795'953'600}};

std::int64_t metric(common::metrics_registry& m, const common::metric::counter_def& def) {
  return m.find(std::string(def.name))->get();
}

// The service's arrangement: one tracker over the ledger, one redundant_gaps over the tracker.
struct shared_ledger {
  shared_ledger(bool backfill, std::size_t connections)
      : tracker(ledger, backfill, std::nullopt, metrics), gaps(tracker, connections) {}
  memory_ledger ledger;
  common::metrics_registry metrics;
  ingest::gap_tracker tracker;
  ingest::redundant_gaps gaps;
};

}  // namespace

TEST_CASE("delivery_set: stopped is true only for the last connection delivering", "[reconnect][redundant]") {
  reconnect::delivery_set set(2);
  CHECK_FALSE(set.any());
  CHECK(set.delivered(0));        // nothing was delivering: delivery resumes
  CHECK_FALSE(set.delivered(1));  // the other already delivers
  CHECK_FALSE(set.stopped(0));    // 1 still delivers
  CHECK(set.delivering(1));
  CHECK(set.stopped(1));          // the last one: delivery stopped
  CHECK_FALSE(set.any());
  CHECK(set.stopped(0));          // a refused connect while everything is down: still all down
  CHECK(set.delivered(1));
  reconnect::delivery_set one(1);
  CHECK(one.delivered(0));
  CHECK(one.stopped(0));  // one connection: every stop is a stop
}

TEST_CASE("redundant_gaps: one connection down while the other delivers records no gap", "[reconnect][redundant]") {
  shared_ledger s(true, 2);
  auto& [ledger, metrics, tracker, gaps] = s;
  auto& c1 = gaps.connection(0);
  auto& c2 = gaps.connection(1);

  c1.on_delivered(t0);
  c2.on_delivered(t0 + 100ms);
  // Connection 1 drops and stays down for a minute while connection 2 delivers.
  c1.on_stopped(t0 + 1s, reconnect::gap_reason::stream);
  CHECK_FALSE(tracker.open_since());
  CHECK(c1.backfill_minutes(t0 + 5s) == 0);  // its reconnect asks for nothing: connection 2 has the Posts
  c2.on_delivered(t0 + 30s);
  c1.on_stopped(t0 + 40s, reconnect::gap_reason::stream);  // a refused reconnect
  c1.on_delivered(t0 + 60s);
  // Then connection 2 drops while connection 1 is back.
  c2.on_stopped(t0 + 61s, reconnect::gap_reason::stream);
  c2.on_delivered(t0 + 65s);
  CHECK(ledger.records.empty());
  CHECK_FALSE(tracker.open_since());
  CHECK(metric(metrics, common::metric::stream_gaps) == 0);
  CHECK(metric(metrics, common::metric::backfill_requests) == 0);
}

TEST_CASE("redundant_gaps: both down opens a gap at the last delivery of either - the first back closes it",
          "[reconnect][redundant]") {
  shared_ledger s(true, 2);
  auto& [ledger, metrics, tracker, gaps] = s;
  auto& c1 = gaps.connection(0);
  auto& c2 = gaps.connection(1);

  c1.on_delivered(t0);
  c2.on_delivered(t0 + 10s);  // connection 2's last delivery is the later one
  c1.on_stopped(t0 + 12s, reconnect::gap_reason::stream);
  CHECK_FALSE(tracker.open_since());
  c2.on_stopped(t0 + 15s, reconnect::gap_reason::stream);
  REQUIRE(tracker.open_since());
  CHECK(*tracker.open_since() == t0 + 10s);
  REQUIRE(ledger.records.size() == 1);
  CHECK_FALSE(ledger.records[0].resumed_at);
  // Both reconnect while the gap is open: each may ask for backfill (duplicates are dropped by id).
  CHECK(c1.backfill_minutes(t0 + 40s) == 1);
  CHECK(c2.backfill_minutes(t0 + 41s) == 1);
  // Connection 2 delivers first: the gap closes there; connection 1 arriving later changes nothing.
  c2.on_delivered(t0 + 45s);
  REQUIRE(ledger.records.size() == 1);
  REQUIRE(ledger.records[0].resumed_at);
  CHECK(*ledger.records[0].resumed_at == t0 + 45s);
  CHECK(ledger.records[0].stopped_at == t0 + 10s);
  c1.on_delivered(t0 + 50s);
  CHECK(ledger.records.size() == 1);
  CHECK(metric(metrics, common::metric::stream_gaps) == 1);
  CHECK(c1.backfill_minutes(t0 + 60s) == 0);
}

TEST_CASE("redundant_gaps: the reason of the stop that took the last connection down is recorded",
          "[reconnect][redundant]") {
  shared_ledger s(false, 2);
  auto& [ledger, metrics, tracker, gaps] = s;
  gaps.connection(0).on_delivered(t0);
  gaps.connection(1).on_delivered(t0);
  gaps.connection(0).on_stopped(t0 + 1s, reconnect::gap_reason::disk_low);  // the disk guard holds both
  CHECK(ledger.records.empty());
  gaps.connection(1).on_stopped(t0 + 1s, reconnect::gap_reason::disk_low);
  REQUIRE(ledger.records.size() == 1);
  CHECK(ledger.records[0].reason == reconnect::gap_reason::disk_low);
  CHECK(gaps.connection(0).backfill_minutes(t0 + 2min) == 0);  // backfill off: never asked
}

TEST_CASE("redundant_gaps with one connection is the gap tracker itself", "[reconnect][redundant]") {
  shared_ledger s(true, 1);
  auto& [ledger, metrics, tracker, gaps] = s;
  gaps.connection(0).on_delivered(t0);
  gaps.connection(0).on_stopped(t0 + 2s, reconnect::gap_reason::stream);
  REQUIRE(tracker.open_since());
  CHECK(*tracker.open_since() == t0);
  gaps.connection(0).on_delivered(t0 + 3s);
  REQUIRE(ledger.records.size() == 1);
  CHECK(*ledger.records[0].resumed_at == t0 + 3s);
}
