// The heal ledger in RocksDB `meta`: heal records join their gaps across a reopen (a restart mid-heal
// resumes), and the planner reads the joined ledger: a healed gap is not planned again.
#include <catch2/catch.hpp>

#include <memory>

#include "app/meta_gap_ledger.hpp"
#include "app/meta_heal_ledger.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using namespace std::chrono_literals;

TEST_CASE("heal ledger: states persist beside their gaps and survive a reopen", "[heal][ledger]") {
  testing::temp_dir dir{"spillway-heal"};
  const auto t0 = std::chrono::system_clock::time_point(1'796'000'000'000ms);
  const reconnect::gap_record a{t0, t0 + 30min, reconnect::gap_reason::stream};
  const reconnect::gap_record b{t0 + 2h, t0 + 2h + 3min, reconnect::gap_reason::disk_low};
  const reconnect::heal_record mid{reconnect::heal_state::open, reconnect::heal_method::search, true, 250, 3, "", "0:b1x"};
  {
    sinks::store db(dir.str("db"), sinks::open_mode::read_write);
    app::meta_gap_ledger gaps(db);
    REQUIRE(gaps.put(a).has_value());
    REQUIRE(gaps.put(b).has_value());
    REQUIRE(app::meta_heal_ledger(db).put(a.stopped_at, mid).has_value());
  }
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);  // "restart"
  app::meta_heal_ledger heals(db);
  std::size_t unreadable = 0;
  auto entries = heals.load(unreadable);
  CHECK(unreadable == 0);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].gap == a);
  REQUIRE(entries[0].heal);
  CHECK(*entries[0].heal == mid);
  CHECK_FALSE(entries[1].heal);

  reconnect::heal_policy p;
  p.method = reconnect::heal_method::search;
  p.backfill = true;
  p.posts_per_second = 1;
  auto plan = reconnect::plan_healing(entries, p, t0 + 3h);
  CHECK(plan[0].action == reconnect::heal_action::heal);
  CHECK(plan[0].resume);
  CHECK(plan[1].action == reconnect::heal_action::backfilled);

  const reconnect::heal_record done{reconnect::heal_state::partially_recovered, reconnect::heal_method::search, false,
                                    1790, 21, "sampled (sample:)", ""};
  REQUIRE(heals.put(a.stopped_at, done).has_value());
  REQUIRE(db.put_meta(std::string(app::heal_key_prefix) + "junk", "x").has_value());
  entries = heals.load(unreadable);
  CHECK(unreadable == 1);
  CHECK(*entries[0].heal == done);
  plan = reconnect::plan_healing(entries, p, t0 + 3h);
  CHECK(plan[0].action == reconnect::heal_action::done);
  CHECK(app::heal_key(a.stopped_at).substr(app::heal_key_prefix.size()) == app::gap_key(a.stopped_at).substr(app::gap_key_prefix.size()));
}
