// record_ledger: an outbox record is finished exactly when it is sealed and none of its Posts is in flight,
// whatever order records finish in.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <random>
#include <vector>

#include "sinks/kafka/record_ledger.hpp"

using spillway::sinks::kafka::record_ledger;

TEST_CASE("record ledger: a record finishes when sealed and its last Post leaves flight", "[kafka][ledger]") {
  record_ledger ledger;
  ledger.open(7);
  ledger.hold(7);
  ledger.hold(7);
  CHECK(ledger.unfinished() == 1);
  CHECK_FALSE(ledger.release(7));  // one Post still in flight, and not sealed
  CHECK_FALSE(ledger.seal(7));     // sealed, one in flight
  CHECK(ledger.release(7));        // the last one: finished, once
  CHECK(ledger.unfinished() == 0);
  CHECK_FALSE(ledger.release(7));  // a finished record is never finished twice
  ledger.hold(7);                  // nor held again
  CHECK_FALSE(ledger.release(7));
}

TEST_CASE("record ledger: a record none of whose Posts entered flight finishes at its seal", "[kafka][ledger]") {
  record_ledger ledger;
  ledger.open(1);
  CHECK(ledger.seal(1));
  CHECK(ledger.unfinished() == 0);
}

TEST_CASE("record ledger: reports served before the seal cannot finish a record early", "[kafka][ledger]") {
  record_ledger ledger;
  ledger.open(3);
  ledger.hold(3);
  CHECK_FALSE(ledger.release(3));  // delivered while the record's other Posts are still being handed over
  ledger.hold(3);
  CHECK_FALSE(ledger.seal(3));
  CHECK(ledger.release(3));
}

TEST_CASE("record ledger: records finish in any order, skipped numbers and unknown records are ignored",
          "[kafka][ledger]") {
  record_ledger ledger;
  ledger.open(10);
  ledger.open(12);  // 11 was never opened (a record this sink never saw)
  for (const std::uint64_t r : {10u, 12u}) {
    ledger.hold(r);
    CHECK_FALSE(ledger.seal(r));
  }
  CHECK_FALSE(ledger.release(11));
  CHECK_FALSE(ledger.release(9));
  CHECK_FALSE(ledger.release(99));
  CHECK(ledger.release(12));  // the newer one first
  CHECK(ledger.unfinished() == 1);
  CHECK(ledger.release(10));
  CHECK(ledger.unfinished() == 0);
  ledger.open(5);  // older than what was opened: ignored
  CHECK(ledger.unfinished() == 0);
  ledger.open(13);
  CHECK(ledger.seal(13));
}

TEST_CASE("record ledger agrees with a model under random hand-overs and reports", "[kafka][ledger]") {
  record_ledger ledger;
  std::map<std::uint64_t, int> in_flight;  // model: open records → Posts in flight
  std::vector<std::uint64_t> flying;       // one entry per Post in flight (its record)
  std::mt19937_64 rng(2026);
  std::uint64_t next = 1;
  std::size_t finished = 0;
  for (int step = 0; step < 20000; ++step) {
    if (rng() % 3 == 0 || flying.empty()) {
      // A commit: a record with 0–8 Posts handed over, then sealed.
      const auto record = next;
      next += 1 + rng() % 2;  // sometimes a number is skipped
      ledger.open(record);
      const int posts = static_cast<int>(rng() % 9);
      for (int i = 0; i < posts; ++i) {
        ledger.hold(record);
        flying.push_back(record);
      }
      in_flight[record] = posts;
      const bool done = ledger.seal(record);
      CHECK(done == (posts == 0));
      if (done) {
        in_flight.erase(record);
        ++finished;
      }
    } else {
      // A report for a random Post in flight.
      const auto at = rng() % flying.size();
      const auto record = flying[at];
      flying[at] = flying.back();
      flying.pop_back();
      const bool done = ledger.release(record);
      CHECK(done == (--in_flight[record] == 0));
      if (done) {
        in_flight.erase(record);
        ++finished;
      }
    }
    REQUIRE(ledger.unfinished() == in_flight.size());
  }
  CHECK(finished > 1000);
}

TEST_CASE("record ledger: the oldest unfinished record's receive time, and abandoning what is unfinished",
          "[kafka][ledger]") {
  constexpr std::int64_t none = 1LL << 62;
  record_ledger ledger;
  CHECK(ledger.oldest_received_ms(none) == none);
  ledger.open(1, 500);
  ledger.hold(1);
  CHECK_FALSE(ledger.seal(1));
  ledger.open(2, 700);
  ledger.hold(2);
  CHECK_FALSE(ledger.seal(2));
  ledger.open(3, 900);
  CHECK(ledger.seal(3));  // nothing in flight: finished, and not the oldest any more
  CHECK(ledger.oldest_received_ms(none) == 500);
  CHECK(ledger.release(1));
  CHECK(ledger.oldest_received_ms(none) == 700);

  ledger.open(4, 950);
  ledger.hold(4);
  CHECK_FALSE(ledger.seal(4));
  std::vector<std::uint64_t> abandoned;
  ledger.abandon([&](std::uint64_t r) { abandoned.push_back(r); });
  CHECK(abandoned == std::vector<std::uint64_t>{2, 4});
  CHECK(ledger.unfinished() == 0);
  CHECK(ledger.oldest_received_ms(none) == none);
  CHECK_FALSE(ledger.release(2));  // a late report of an abandoned record finishes nothing
  ledger.open(5, 1000);            // numbering goes on after it
  CHECK(ledger.seal(5));
}

TEST_CASE("record_ledger: the receive time a record was opened with, while it is unfinished", "[kafka]") {
  record_ledger ledger;
  CHECK_FALSE(ledger.opened_ms(7).has_value());
  ledger.open(7, 1'000);
  ledger.open(9, 2'000);
  ledger.hold(7);
  CHECK(ledger.opened_ms(7) == std::optional<std::int64_t>(1'000));
  CHECK(ledger.opened_ms(9) == std::optional<std::int64_t>(2'000));
  CHECK_FALSE(ledger.opened_ms(8).has_value());  // skipped: never opened
  CHECK_FALSE(ledger.seal(7));                   // one Post still in flight
  CHECK(ledger.opened_ms(7) == std::optional<std::int64_t>(1'000));
  CHECK(ledger.release(7));
  CHECK_FALSE(ledger.opened_ms(7).has_value());  // finished
  CHECK(ledger.opened_ms(9) == std::optional<std::int64_t>(2'000));
}
