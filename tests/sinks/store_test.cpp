// store: the RocksDB API the rest of Spillway uses — commit batches, id-range cursors, point lookups,
// stats — against a real database in a temporary directory.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "sinks/rocksdb/store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using spillway::testing::temp_dir;

namespace {

std::map<std::uint64_t, std::string> posts_in(const sinks::store& db, std::uint64_t from = 0,
                                              std::uint64_t to = sinks::store::last_possible_id) {
  std::map<std::uint64_t, std::string> out;
  auto post = db.posts(from, to);
  for (; post.valid(); post.next()) out[post.id()] = std::string(post.line());
  REQUIRE(post.status().has_value());
  return out;
}

std::map<std::uint64_t, std::int64_t> outbox_in(const sinks::store& db, std::uint64_t from = 0) {
  std::map<std::uint64_t, std::int64_t> out;
  for (auto entry = db.outbox(from); entry.valid(); entry.next()) out[entry.id()] = entry.received_ms();
  return out;
}

void commit(sinks::store& db, sinks::commit_batch& batch, bool sync = false) {
  const auto written = db.commit(batch, sync);
  INFO((written ? std::string() : written.error().message));
  REQUIRE(written.has_value());
}

}  // namespace

TEST_CASE("store: a commit batch writes posts and outbox entries together, in id order", "[store]") {
  temp_dir dir;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  sinks::commit_batch batch(db);
  CHECK(batch.empty());
  // Out of order on purpose: keys are big-endian, so the store returns them by id.
  for (const std::uint64_t id : {300u, 5u, 70000u, 256u}) {
    batch.put_post(id, "{\"data\":{\"id\":\"" + std::to_string(id) + "\"}}");
    batch.put_outbox(id, static_cast<std::int64_t>(1700000000000 + id));
  }
  CHECK(batch.operations() == 8);
  CHECK(posts_in(db).empty());  // nothing is visible before the commit
  commit(db, batch);

  const auto posts = posts_in(db);
  REQUIRE(posts.size() == 4);
  std::vector<std::uint64_t> order;
  for (auto post = db.posts(); post.valid(); post.next()) order.push_back(post.id());
  CHECK(order == std::vector<std::uint64_t>{5, 256, 300, 70000});
  CHECK(posts.at(256) == R"({"data":{"id":"256"}})");
  CHECK(outbox_in(db) == std::map<std::uint64_t, std::int64_t>{
                             {5, 1700000000005}, {256, 1700000000256}, {300, 1700000000300}, {70000, 1700000070000}});

  // The same batch object, cleared, carries the deletes of delivered Posts.
  batch.clear();
  CHECK(batch.empty());
  batch.delete_outbox(256);
  batch.delete_outbox(5);
  commit(db, batch, true);
  CHECK(outbox_in(db) == std::map<std::uint64_t, std::int64_t>{{300, 1700000000300}, {70000, 1700000070000}});
  CHECK(posts_in(db).size() == 4);  // delivery never removes the stored Post
}

TEST_CASE("store: cursors walk an inclusive id range and start at the first id at or after from", "[store]") {
  temp_dir dir;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  sinks::commit_batch batch(db);
  for (std::uint64_t id = 10; id <= 100; id += 10) {
    batch.put_post(id, "p" + std::to_string(id));
    batch.put_outbox(id, static_cast<std::int64_t>(id));
  }
  commit(db, batch);

  const auto middle = posts_in(db, 25, 60);
  CHECK(middle == std::map<std::uint64_t, std::string>{{30, "p30"}, {40, "p40"}, {50, "p50"}, {60, "p60"}});
  CHECK(posts_in(db, 100, 100).size() == 1);
  CHECK(posts_in(db, 101).empty());
  CHECK(posts_in(db, 0, 9).empty());
  CHECK(posts_in(db, 0, sinks::store::last_possible_id).size() == 10);

  const auto tail = outbox_in(db, 71);
  CHECK(tail == std::map<std::uint64_t, std::int64_t>{{80, 80}, {90, 90}, {100, 100}});

  auto post = db.posts(95);
  REQUIRE(post.valid());
  CHECK(post.id() == 100);
  post.next();
  CHECK_FALSE(post.valid());
  post.next();  // past the end stays past the end
  CHECK_FALSE(post.valid());
  CHECK(post.status().has_value());
}

TEST_CASE("store: point lookups, newest ids and deadletter records", "[store]") {
  temp_dir dir;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  CHECK(db.next_deadletter_seq() == 1);
  sinks::commit_batch batch(db);
  batch.put_post(1800000000000000001ull, "first");
  batch.put_post(1800000000000000002ull, "second");
  batch.put_deadletter(db.next_deadletter_seq(), "missing_id", "no data.id", "{\"data\":{}}");
  batch.put_deadletter(2, "oversize", "line exceeds stream.max_line_bytes", std::string(3, '\0'));
  commit(db, batch);

  sinks::pinned_line line;
  REQUIRE(db.read_post(1800000000000000002ull, line));
  CHECK(line.view() == "second");
  CHECK_FALSE(db.read_post(1800000000000000003ull, line));
  CHECK(db.contains_post(1800000000000000001ull));
  CHECK_FALSE(db.contains_post(7));

  std::vector<std::uint64_t> newest;
  db.for_each_newest_id(5, [&](std::uint64_t id) { newest.push_back(id); });
  CHECK(newest == std::vector<std::uint64_t>{1800000000000000002ull, 1800000000000000001ull});

  std::map<std::uint64_t, std::string> dead;
  for (auto record = db.deadletters(); record.valid(); record.next()) dead[record.id()] = std::string(record.record());
  REQUIRE(dead.size() == 2);
  CHECK(dead.at(1) == "missing_id: no data.id\n{\"data\":{}}");
  CHECK(dead.at(2) == std::string("oversize: line exceeds stream.max_line_bytes\n") + std::string(3, '\0'));
  CHECK(db.next_deadletter_seq() == 3);
}

TEST_CASE("store: stats count each column family, its bytes and its id range", "[store]") {
  temp_dir dir;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  auto empty = db.stats();
  REQUIRE(empty.has_value());
  CHECK(empty->posts.count == 0);
  CHECK(empty->posts.first_id == 0);
  CHECK(empty->outbox.count == 0);

  sinks::commit_batch batch(db);
  batch.put_post(40, "four");
  batch.put_post(9, "nine!");
  batch.put_post(1000, "x");
  batch.put_outbox(9, 1);
  batch.put_deadletter(1, "truncated", "cut", "ab");
  commit(db, batch);
  const auto s = db.stats();
  REQUIRE(s.has_value());
  CHECK(s->posts.count == 3);
  CHECK(s->posts.value_bytes == 10);
  CHECK(s->posts.first_id == 9);
  CHECK(s->posts.last_id == 1000);
  CHECK(s->outbox.count == 1);
  CHECK(s->outbox.value_bytes == 8);  // received_at, 8-byte big-endian
  CHECK(s->deadletter.count == 1);
  CHECK(s->deadletter.value_bytes == std::string("truncated: cut\nab").size());
}

TEST_CASE("store: a read-only instance sees what was committed and refuses writes with the path and fix",
          "[store]") {
  temp_dir dir;
  const auto path = dir.str("db");
  {
    sinks::store db(path, sinks::open_mode::read_write);
    sinks::commit_batch batch(db);
    batch.put_post(42, "kept");
    commit(db, batch, true);
  }
  sinks::store ro(path, sinks::open_mode::read_only);
  CHECK(posts_in(ro) == std::map<std::uint64_t, std::string>{{42, "kept"}});
  sinks::commit_batch batch(ro);
  batch.put_post(43, "refused");
  const auto written = ro.commit(batch);
  REQUIRE_FALSE(written.has_value());
  CHECK(written.error().is(common::errc::storage));
  CHECK_THAT(written.error().message, Catch::Contains("RocksDB write failed at " + path));
  CHECK_THAT(written.error().message, Catch::Contains("check disk space and permissions"));
}
