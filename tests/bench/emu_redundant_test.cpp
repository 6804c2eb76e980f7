// The emulator's redundant-connection support: --full-copies (every stream gets every Post, a new stream
// starting at the live point) and lane-targeted faults (two streams fault independently).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "bench/emu/fault_plan.hpp"
#include "bench/emu/post_feed.hpp"
#include "bench/emu/post_pool.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;

namespace {
constexpr std::int64_t kStart = 1764418000000;

std::vector<std::string> lines_of(const std::string& out) {
  std::string tail;
  auto lines = test::split_lines(out, &tail);
  REQUIRE(tail.empty());
  return lines;
}
}  // namespace

TEST_CASE("full copies: each stream gets every Post from its start, byte for byte", "[bench][redundant]") {
  PostPool pool(3, 64, kStart);
  PostFeed feed(pool, 3, kStart, 0, 0, 1000);
  std::uint64_t a = feed.newest_id(), b = feed.newest_id();  // both open at the live point
  std::string out_a, out_b;
  CHECK(feed.take_copy(a, out_a, 10, SIZE_MAX, 0) == 10);  // new Posts, made by stream a
  CHECK(feed.take_copy(b, out_b, 4, SIZE_MAX, 0) == 4);    // b gets a's first 4
  CHECK(feed.taken() == 10);
  CHECK(feed.take_copy(b, out_b, 8, SIZE_MAX, 0) == 8);  // a's last 6, then 2 new ones
  CHECK(feed.taken() == 12);
  CHECK(feed.take_copy(a, out_a, 5, SIZE_MAX, 0) == 5);  // b's 2 new ones, then 3 more
  CHECK(feed.taken() == 15);
  const auto la = lines_of(out_a), lb = lines_of(out_b);
  REQUIRE(la.size() == 15);
  REQUIRE(lb.size() == 12);
  for (std::size_t i = 0; i < lb.size(); ++i) CHECK(la[i] == lb[i]);

  // A stream that opens later starts at the live point: none of the earlier Posts.
  std::uint64_t c = feed.newest_id();
  std::string out_c;
  CHECK(feed.take_copy(c, out_c, 2, SIZE_MAX, 0) == 2);
  CHECK(feed.taken() == 17);
  const auto lc = lines_of(out_c);
  std::string more_a;
  CHECK(feed.take_copy(a, more_a, 2, SIZE_MAX, 0) == 2);
  CHECK(lines_of(more_a) == lc);
}

TEST_CASE("lane faults: a fault for lane 2 neither fires on nor holds back lane 1", "[bench][redundant]") {
  auto plan = FaultPlan::from_json(R"([{"after_posts":100,"action":"close","lane":2},
                                       {"after_posts":150,"action":"stall","duration_ms":10,"lane":1},
                                       {"after_posts":200,"action":"disconnect"}])");
  CHECK(plan.posts_until_next(0, 1) == 150);
  CHECK(plan.posts_until_next(0, 2) == 100);
  CHECK_FALSE(plan.take_due(120, 0, 1));  // lane 2's close is due, but not for lane 1
  const auto on2 = plan.take_due(120, 0, 2);
  REQUIRE(on2);
  CHECK(on2->action == Fault::Action::close);
  CHECK_FALSE(plan.take_due(160, 0, 2));
  const auto on1 = plan.take_due(160, 0, 1);
  REQUIRE(on1);
  CHECK(on1->action == Fault::Action::stall);
  const auto any = plan.take_due(200, 0, 2);  // no lane: whichever stream comes first
  REQUIRE(any);
  CHECK(any->action == Fault::Action::disconnect);
  CHECK_THROWS_WITH(FaultPlan::from_json(R"([{"action":"close","lane":0}])"), Catch::Contains("lane"));
}
