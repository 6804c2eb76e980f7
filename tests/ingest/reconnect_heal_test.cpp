// Gap healing, the pure parts: the heal record kept in meta (round trip, refusals) and the planner
// (X's decision tree: backfill ≤ 5 min, Recovery/search up to max_age, else unrecoverable).
#include <catch2/catch.hpp>

#include "ingest/reconnect/heal_planner.hpp"
#include "ingest/reconnect/heal_record.hpp"

using namespace spillway::reconnect;
using namespace std::chrono_literals;

namespace {
const wall_clock::time_point t0 = wall_clock::time_point(std::chrono::milliseconds(1'796'000'000'000));

ledger_entry closed_gap(std::chrono::milliseconds start_offset, std::chrono::milliseconds length) {
  return ledger_entry{gap_record{t0 + start_offset, t0 + start_offset + length, gap_reason::stream}, std::nullopt};
}
}  // namespace

TEST_CASE("heal record: round trip, and bytes it did not write are refused", "[reconnect][heal]") {
  heal_record r{heal_state::partially_recovered, heal_method::search, true, 1234, 17, "bio_rule, sampled", "2:b3x9"};
  auto back = deserialize_heal_record(serialize(r));
  REQUIRE(back.has_value());
  CHECK(*back == r);
  heal_record empty;
  CHECK(*deserialize_heal_record(serialize(empty)) == empty);
  std::string bytes = serialize(r);
  CHECK_FALSE(deserialize_heal_record(bytes.substr(0, 20)).has_value());
  std::string wrong_version = bytes;
  wrong_version[0] = 9;
  CHECK_FALSE(deserialize_heal_record(wrong_version).has_value());
  std::string wrong_state = bytes;
  wrong_state[1] = 7;
  CHECK_FALSE(deserialize_heal_record(wrong_state).has_value());
  std::string long_detail = serialize(heal_record{});
  long_detail[27] = 5;  // detail length 5 with no bytes after the fixed part
  CHECK_FALSE(deserialize_heal_record(long_detail).has_value());
  CHECK(to_string(heal_state::partially_recovered) == "partially recovered");
}

TEST_CASE("recovery.mode resolves: auto is Recovery with backfill (Enterprise), else search", "[reconnect][heal]") {
  CHECK(resolve_heal_mode("auto", true) == heal_method::stream);
  CHECK(resolve_heal_mode("auto", false) == heal_method::search);
  CHECK(resolve_heal_mode("stream", false) == heal_method::stream);
  CHECK(resolve_heal_mode("search", true) == heal_method::search);
  CHECK(resolve_heal_mode("off", true) == heal_method::none);
}

TEST_CASE("heal plan: X's decision tree per gap", "[reconnect][heal]") {
  heal_policy p;
  p.method = heal_method::search;
  p.backfill = true;
  p.posts_per_second = 2;
  p.max_posts_per_gap = 100000;
  const auto now = t0 + 2h;
  std::vector<ledger_entry> ledger = {
      closed_gap(0ms, 4min),                                       // backfill covers it
      closed_gap(10min, 30min),                                    // heal: the first 25 min (backfill had the last 5)
      ledger_entry{gap_record{t0 + 90min, std::nullopt, gap_reason::stream}, std::nullopt},  // still open
  };
  ledger.push_back(closed_gap(-26h, 30min));  // began 28 h ago: beyond max_age
  ledger.push_back(closed_gap(50min, 20min));
  ledger.back().heal = heal_record{heal_state::recovered, heal_method::search, false, 10, 2, "", ""};
  const auto plan = plan_healing(ledger, p, now);
  REQUIRE(plan.size() == 5);
  CHECK(plan[0].action == heal_action::backfilled);
  CHECK(plan[1].action == heal_action::heal);
  CHECK(plan[1].method == heal_method::search);
  CHECK(plan[1].window.from == t0 + 10min);
  CHECK(plan[1].window.to == t0 + 35min);
  CHECK(plan[1].slices.size() == 1);
  CHECK(plan[1].estimated_posts == 25 * 60 * 2);
  CHECK_FALSE(plan[1].capped);
  CHECK(plan[1].estimated_usd == Approx(3000 * 0.005));
  CHECK(plan[2].action == heal_action::still_open);
  CHECK(plan[3].action == heal_action::unrecoverable);
  CHECK(plan[3].reason.find("recovery.max_age") != std::string::npos);
  CHECK(plan[4].action == heal_action::done);
  CHECK(describe(plan[1]).find("about 3000 Posts") != std::string::npos);
  CHECK(describe(plan[1]).find("$15.00") != std::string::npos);
  CHECK(describe(plan[3]).find("unrecoverable") != std::string::npos);
}

TEST_CASE("heal plan: without backfill the whole gap - Recovery in 2 h slices - the cap and a resumed heal", "[reconnect][heal]") {
  heal_policy p;
  p.method = heal_method::stream;
  p.backfill = false;
  p.posts_per_second = 10;
  p.max_posts_per_gap = 50000;
  p.max_age = 24h;
  std::vector<ledger_entry> ledger = {closed_gap(0ms, 5h), closed_gap(6h, 2min)};
  ledger[1].heal = heal_record{heal_state::open, heal_method::stream, true, 40, 1, "", "2127974548344033280"};
  const auto plan = plan_healing(ledger, p, t0 + 7h);
  REQUIRE(plan.size() == 2);
  CHECK(plan[0].action == heal_action::heal);
  CHECK(plan[0].window.to == t0 + 5h);
  REQUIRE(plan[0].slices.size() == 3);
  CHECK(plan[0].slices[0].to == t0 + 2h);
  CHECK(plan[0].slices[2].from == t0 + 4h);
  CHECK(plan[0].slices[2].to == t0 + 5h);
  CHECK(plan[0].capped);  // 5 h × 10/s = 180,000 > 50,000
  CHECK(plan[0].estimated_posts == 50000);
  CHECK(describe(plan[0]).find("capped") != std::string::npos);
  CHECK(plan[1].action == heal_action::heal);  // 2 min, but no backfill: nothing covered it
  CHECK(plan[1].resume);
  p.method = heal_method::none;
  CHECK(plan_healing(ledger, p, t0 + 7h)[0].reason == "recovery.mode = off");
}
