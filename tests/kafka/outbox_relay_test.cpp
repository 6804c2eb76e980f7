// The outbox relay against a real RocksDB and a scripted target: order, bounds, stop/skip, orphans.
#include <catch2/catch.hpp>

#include <set>

#include "sinks/kafka/outbox_relay.hpp"
#include "tests/kafka/kafka_test_support.hpp"

using namespace spillway;
using namespace spillway::test;
using sinks::kafka::relay_verdict;

namespace {

struct scripted_target final : sinks::kafka::relay_target {
  std::set<std::uint64_t> in_flight_ids;
  std::set<std::uint64_t> refuse;
  std::size_t room = 1000000;
  std::vector<std::uint64_t> produced;
  std::vector<std::uint64_t> orphans;
  std::vector<std::string> lines;
  std::vector<std::size_t> rule_counts;

  bool in_flight(std::uint64_t id) const noexcept override { return in_flight_ids.count(id) == 1; }
  relay_verdict relay(std::uint64_t id, std::string_view line, const sinks::extracted_post& fields,
                      std::int64_t, spillway::common::post_source) noexcept override {
    if (refuse.count(id) == 1) return relay_verdict::skipped;
    if (room == 0) return relay_verdict::stop;
    --room;
    produced.push_back(id);
    lines.emplace_back(line);
    rule_counts.push_back(fields.rule_count);
    return relay_verdict::produced;
  }
  void orphan(std::uint64_t id) noexcept override { orphans.push_back(id); }
};

}  // namespace

TEST_CASE("outbox relay walks the outbox in id order with stored lines and re-extracted rules", "[kafka]") {
  temp_dir dir;
  sinks::store db(dir.str(), sinks::open_mode::read_write);
  const auto posts = make_posts(50);
  commit_posts(db, nullptr, posts, 0, posts.size());
  // As the sink does at start: the records a previous run left become single entries, which the relay walks.
  const auto unpacked = db.unpack_outbox_records();
  REQUIRE(unpacked.has_value());
  CHECK(*unpacked == 50);
  const auto totals = sinks::kafka::measure_outbox(db);
  CHECK(totals.posts == 50);
  std::uint64_t bytes = 0;
  for (const auto& p : posts) bytes += p->length;
  CHECK(totals.bytes == bytes);

  sinks::kafka::outbox_relay relay(db, 1 << 20);
  scripted_target target;
  std::vector<std::uint64_t> ids;
  for (const auto& p : posts) ids.push_back(p->id());
  std::sort(ids.begin(), ids.end());
  target.in_flight_ids = {ids[3], ids[4]};
  target.refuse = {ids[7]};
  target.room = 10;

  auto step = relay.step(100, target);  // stops when the target has no room
  CHECK_FALSE(step.wrapped);
  CHECK(step.produced == 10);
  REQUIRE(target.produced.size() == 10);
  CHECK(target.produced[0] == ids[0]);
  CHECK(target.produced[3] == ids[5]);   // 3 and 4 are in flight
  CHECK(target.produced[5] == ids[8]);   // 7 was refused and skipped, not a blocker
  CHECK(relay.cursor() == ids[13]);      // 0-2, 5, 6, 8-12 produced; stays on the entry that found no room

  target.room = 1000;
  step = relay.step(5, target);  // bounded by the budget
  CHECK(step.examined == 5);
  CHECK_FALSE(step.wrapped);
  step = relay.step(1000, target);
  CHECK(step.wrapped);
  CHECK(relay.cursor() == 0);
  CHECK(target.produced.size() == 50 - 3);
  for (std::size_t i = 1; i < target.produced.size(); ++i) CHECK(target.produced[i - 1] < target.produced[i]);

  // Lines come back byte for byte, with their rules extracted again.
  std::map<std::uint64_t, const test_post*> by_id;
  for (const auto& p : posts) by_id[p->id()] = p.get();
  for (std::size_t i = 0; i < target.produced.size(); ++i) {
    CHECK(target.lines[i] == by_id[target.produced[i]]->line());
    CHECK(target.rule_counts[i] == by_id[target.produced[i]]->fields.rule_count);
  }
}

TEST_CASE("outbox relay leaves the Posts of outbox records to the live sink", "[kafka]") {
  temp_dir dir;
  sinks::store db(dir.str(), sinks::open_mode::read_write);
  const auto posts = make_posts(6);
  commit_posts(db, nullptr, posts, 0, posts.size());  // one record, as the pipeline writes it
  sinks::commit_batch moved(db);
  moved.put_outbox(posts[4]->id(), posts[4]->received_ms);  // its delivery failed: moved to a single entry
  REQUIRE(db.commit(moved).has_value());
  sinks::kafka::outbox_relay relay(db, 1 << 20);
  scripted_target target;
  const auto step = relay.step(100, target);
  CHECK(step.wrapped);
  CHECK(target.produced == std::vector<std::uint64_t>{posts[4]->id()});
  CHECK(outbox_entries(db) == 6);
}

TEST_CASE("outbox relay reports entries whose Post is gone as orphans", "[kafka]") {
  temp_dir dir;
  sinks::store db(dir.str(), sinks::open_mode::read_write);
  const auto posts = make_posts(5);
  commit_posts(db, nullptr, posts, 0, 2);
  commit_posts(db, nullptr, posts, 3, posts.size());
  // posts[2] has an outbox entry but no stored line (as after retention removed it).
  sinks::commit_batch outbox_only(db);
  outbox_only.put_outbox(posts[2]->id(), posts[2]->received_ms);
  REQUIRE(db.commit(outbox_only).has_value());
  REQUIRE(db.unpack_outbox_records().has_value());
  sinks::kafka::outbox_relay relay(db, 1 << 20);
  scripted_target target;
  const auto step = relay.step(100, target);
  CHECK(step.wrapped);
  CHECK(target.produced.size() == 4);
  REQUIRE(target.orphans.size() == 1);
  CHECK(target.orphans[0] == posts[2]->id());
}
