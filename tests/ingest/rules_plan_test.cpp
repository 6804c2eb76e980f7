// Pure parts of the control plane: the rules plan (match by value AND tag), the rate-limit wait policy,
// and the header parsing/reset rendering.
#include <catch2/catch.hpp>

#include "ingest/xapi/rate_limits.hpp"
#include "ingest/control/rules_plan.hpp"

using namespace spillway::ingest;
using spillway::config::rule_spec;

TEST_CASE("rules plan: from empty, in sync, drifted tag, stale", "[ingest][rules]") {
  const std::vector<rule_spec> desired{{"cat", "pets"}, {"from:xdevelopers", ""}};
  auto p = plan_rules(desired, {}, true);
  CHECK(p.to_add == desired);
  CHECK(p.to_delete.empty());

  const std::vector<live_rule> live{{"1", "cat", "pets"}, {"2", "from:xdevelopers", ""}};
  p = plan_rules(desired, live, true);
  CHECK(p.in_sync());
  CHECK(p.unchanged.size() == 2);

  // Same value, other tag: the live rule is stale and the declared one is added.
  const std::vector<live_rule> drifted{{"1", "cat", "animals"}, {"2", "from:xdevelopers", ""}, {"3", "dog", ""}};
  p = plan_rules(desired, drifted, true);
  REQUIRE(p.to_add.size() == 1);
  CHECK(p.to_add[0] == rule_spec{"cat", "pets"});
  REQUIRE(p.to_delete.size() == 2);
  CHECK(p.to_delete[0].id == "1");
  CHECK(p.to_delete[1].id == "3");

  // rules_delete_unmanaged = false: undeclared rules stay.
  p = plan_rules(desired, drifted, false);
  CHECK(p.to_delete.empty());
  CHECK(p.left_alone.size() == 2);
  CHECK(p.to_add.size() == 1);
}

TEST_CASE("rate limits: never spend the last request of a window", "[ingest][rules]") {
  rate_limit_tracker t;
  const std::string ep = "POST /2/tweets/search/stream/rules";
  CHECK(t.wait_before(ep, 1000).count() == 0);  // nothing known yet
  t.record(ep, parse_rate_limit_headers("100", "5", "1300"));
  CHECK(t.wait_before(ep, 1000).count() == 0);
  CHECK(t.wait_before(ep, 1000, 4).count() == 0);
  CHECK(t.wait_before(ep, 1000, 5).count() == 301);  // 5 calls would spend the last one
  t.record(ep, parse_rate_limit_headers("100", "1", "1300"));
  CHECK(t.wait_before(ep, 1000).count() == 301);
  CHECK(t.wait_before(ep, 1300).count() == 0);  // the window has reset
  t.record(ep, parse_rate_limit_headers("", "", ""));  // a response without headers keeps what we knew
  CHECK(t.last(ep)->remaining == 1);
}

TEST_CASE("rate limits: header parsing and reset text", "[ingest][rules]") {
  const auto h = parse_rate_limit_headers(" 450 ", "x", "1795960702");
  CHECK(h.limit == 450);
  CHECK_FALSE(h.remaining.has_value());
  CHECK(h.reset == 1795960702);
  const auto text = describe_reset(1795960702, 1795960702 - 125);
  CHECK(text.find("UTC") != std::string::npos);
  CHECK(text.find("local") != std::string::npos);
  CHECK(text.find("in 2m 5s") != std::string::npos);
}
