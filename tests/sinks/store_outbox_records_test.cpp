// store: outbox batch records — one record per commit lists its Posts; cursors see each Post once, the
// relay's scope sees single entries only, sequence numbers survive a reopen, and a previous run's records
// unpack into single entries.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "sinks/rocksdb/store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using spillway::common::post_source;
using spillway::testing::temp_dir;

namespace {

// id → (received_ms, source, record) as the cursor reports them.
using listing = std::map<std::uint64_t, std::tuple<std::int64_t, post_source, std::uint64_t>>;

listing outbox_of(const sinks::store& db, sinks::outbox_scope scope = sinks::outbox_scope::all,
                  std::uint64_t from = 0) {
  listing out;
  auto entry = db.outbox(from, scope);
  for (; entry.valid(); entry.next()) {
    INFO("id " << entry.id() << " listed twice");
    CHECK(out.emplace(entry.id(), std::tuple{entry.received_ms(), entry.source(), entry.record()}).second);
  }
  REQUIRE(entry.status().has_value());
  return out;
}

void commit(sinks::store& db, sinks::commit_batch& batch) {
  const auto written = db.commit(batch);
  INFO((written ? std::string() : written.error().message));
  REQUIRE(written.has_value());
  batch.clear();
}

// Posts first..last (ids) stored with one record listing them; returns the record's number.
std::uint64_t commit_with_record(sinks::store& db, std::uint64_t first, std::uint64_t last,
                                 post_source source = post_source::stream) {
  sinks::commit_batch batch(db);
  for (auto id = first; id <= last; ++id) {
    batch.put_post(id, "p" + std::to_string(id));
    batch.add_to_outbox_record(id, static_cast<std::int64_t>(1000 + id), source);
  }
  const auto record = db.next_outbox_record();
  batch.put_outbox_record(record);
  CHECK(batch.operations() == last - first + 2);  // the Posts and one record
  commit(db, batch);
  return record;
}

}  // namespace

TEST_CASE("store: an outbox record lists its Posts; the relay's scope sees only single entries", "[store][records]") {
  temp_dir dir;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  const auto r1 = commit_with_record(db, 100, 102);
  const auto r2 = commit_with_record(db, 50, 51, post_source::recovery);
  CHECK(r2 == r1 + 1);
  sinks::commit_batch batch(db);
  batch.put_outbox(7, 70);  // a single entry: sorts before every record
  commit(db, batch);

  CHECK(outbox_of(db) == listing{{7, {70, post_source::stream, 0}},
                                 {100, {1100, post_source::stream, r1}},
                                 {101, {1101, post_source::stream, r1}},
                                 {102, {1102, post_source::stream, r1}},
                                 {50, {1050, post_source::recovery, r2}},
                                 {51, {1051, post_source::recovery, r2}}});
  CHECK(outbox_of(db, sinks::outbox_scope::singles) == listing{{7, {70, post_source::stream, 0}}});
  // from_id applies to the Posts inside records too.
  CHECK(outbox_of(db, sinks::outbox_scope::all, 101).size() == 2);

  const auto s = db.stats();
  REQUIRE(s.has_value());
  CHECK(s->outbox.count == 6);

  // A finished record leaves with one delete; its Posts stay stored.
  batch.delete_outbox_record(r1);
  commit(db, batch);
  CHECK(outbox_of(db).size() == 3);
  CHECK(db.posts().valid());
  sinks::pinned_line line;
  CHECK(db.read_post(101, line));
}

TEST_CASE("store: a Post moved from its record to a single entry is listed once, as the single entry",
          "[store][records]") {
  temp_dir dir;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  const auto r = commit_with_record(db, 10, 12);
  sinks::commit_batch batch(db);
  batch.put_outbox(11, 1011);  // its delivery failed while 10 and 12 were in flight
  commit(db, batch);
  CHECK(outbox_of(db) == listing{{11, {1011, post_source::stream, 0}},
                                 {10, {1010, post_source::stream, r}},
                                 {12, {1012, post_source::stream, r}}});
  CHECK(outbox_of(db, sinks::outbox_scope::singles).size() == 1);
}

TEST_CASE("store: record numbers continue after a reopen, and unpacking turns records into single entries",
          "[store][records]") {
  temp_dir dir;
  const auto path = dir.str("db");
  std::uint64_t last = 0;
  {
    sinks::store db(path, sinks::open_mode::read_write);
    CHECK(db.next_outbox_record() == 1);
    commit_with_record(db, 1, 3);
    last = commit_with_record(db, 4, 5, post_source::search);
    sinks::commit_batch batch(db);
    batch.put_outbox(3, 1003);  // also a single entry already (moved before the crash)
    commit(db, batch);
  }
  sinks::store db(path, sinks::open_mode::read_write);
  CHECK(db.next_outbox_record() == last + 1);
  const auto before = outbox_of(db);
  CHECK(before.size() == 5);
  const auto moved = db.unpack_outbox_records();
  REQUIRE(moved.has_value());
  CHECK(*moved == 5);
  const auto after = outbox_of(db);
  const auto singles = outbox_of(db, sinks::outbox_scope::singles);
  CHECK(after == singles);  // no record left
  CHECK(singles == listing{{1, {1001, post_source::stream, 0}},
                           {2, {1002, post_source::stream, 0}},
                           {3, {1003, post_source::stream, 0}},
                           {4, {1004, post_source::search, 0}},
                           {5, {1005, post_source::search, 0}}});
  const auto again = db.unpack_outbox_records();
  REQUIRE(again.has_value());
  CHECK(*again == 0);
}

TEST_CASE("store: a record with no Posts added is not written", "[store][records]") {
  temp_dir dir;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  sinks::commit_batch batch(db);
  batch.put_outbox_record(db.next_outbox_record());
  CHECK(batch.empty());
}
