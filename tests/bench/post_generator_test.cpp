// The Post generator: valid, varied, realistic messages; unique increasing ids; determinism.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "bench/emu/post_feed.hpp"
#include "bench/emu/post_pool.hpp"
#include "bench/emu/snowflake.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;

namespace {
constexpr std::int64_t kStart = 1764418000000;  // 2025-11-29T12:06:40Z

std::vector<std::string> take_lines(std::uint64_t seed, std::size_t n, std::size_t pool = 512) {
  PostPool p(seed, pool, kStart);
  PostFeed feed(p, seed, kStart, 0, 0, 0);
  std::string out;
  REQUIRE(feed.take(out, n, SIZE_MAX, 0) == n);
  std::string tail;
  auto lines = test::split_lines(out, &tail);
  REQUIRE(tail.empty());
  return lines;
}
}  // namespace

TEST_CASE("generated Posts are valid JSON with X's message shape", "[bench][generator]") {
  const auto lines = take_lines(42, 3000);
  REQUIRE(lines.size() == 3000);
  std::string prev_id;
  std::set<std::string> ids;
  std::size_t total = 0, with_includes = 0, multi_rule = 0, empty_tag = 0, missing_tag = 0, empty_obj = 0;
  bool surrogate_lower = false, surrogate_upper = false, raw_cjk = false, raw_emoji = false, amp = false;
  for (const auto& l : lines) {
    INFO(l);
    rapidjson::Document d;
    REQUIRE_FALSE(d.Parse(l.c_str()).HasParseError());
    REQUIRE(d.IsObject());
    REQUIRE(d.HasMember("data"));
    REQUIRE(d["data"].IsObject());
    const std::string id = d["data"]["id"].GetString();
    REQUIRE(id.size() == 19);
    REQUIRE(id > prev_id);  // same width, so string order is numeric order
    prev_id = id;
    ids.insert(id);
    REQUIRE(d["data"].HasMember("text"));
    if (d["data"].HasMember("edit_history_tweet_ids")) REQUIRE(d["data"]["edit_history_tweet_ids"][0].GetString() == id);
    if (d["data"].HasMember("created_at")) {
      char expect[kCreatedAtWidth];
      format_created_at(snowflake_ms(std::stoull(id)), expect);
      REQUIRE(std::string(d["data"]["created_at"].GetString()) == std::string(expect, kCreatedAtWidth));
    }
    const auto& rules = d["matching_rules"];
    REQUIRE(rules.IsArray());
    REQUIRE(rules.Size() >= 1);
    REQUIRE(rules.Size() <= 3);
    multi_rule += rules.Size() > 1;
    for (const auto& r : rules.GetArray()) {
      REQUIRE(std::string(r["id"].GetString()).size() == 19);
      if (!r.HasMember("tag")) ++missing_tag;
      else if (r["tag"].GetStringLength() == 0) ++empty_tag;
    }
    with_includes += d.HasMember("includes");
    REQUIRE(l.size() >= 300);
    REQUIRE(l.size() <= 6144);
    total += l.size();
    surrogate_lower |= l.find("\\ud83") != std::string::npos;
    surrogate_upper |= l.find("\\uD83") != std::string::npos;
    raw_cjk |= l.find("\xe3\x81") != std::string::npos || l.find("\xe4\xbb") != std::string::npos;
    raw_emoji |= l.find("\xf0\x9f") != std::string::npos;
    amp |= l.find("&amp;") != std::string::npos;
    empty_obj |= l.find("\":{}") != std::string::npos;
  }
  CHECK(ids.size() == lines.size());
  const double mean = double(total) / double(lines.size());
  CHECK(mean > 1200);
  CHECK(mean < 1800);
  CHECK(with_includes > 300);
  CHECK(multi_rule > 100);
  CHECK(empty_tag > 50);
  CHECK(missing_tag > 50);
  CHECK(empty_obj > 0);
  CHECK(surrogate_lower);
  CHECK(surrogate_upper);
  CHECK(raw_cjk);
  CHECK(raw_emoji);
  CHECK(amp);
}

TEST_CASE("field order varies between Posts", "[bench][generator]") {
  const auto lines = take_lines(3, 400);
  std::set<std::string> first_keys;
  for (const auto& l : lines) first_keys.insert(l.substr(9, l.find('"', 10) - 9));
  CHECK(first_keys.size() >= 4);
}

TEST_CASE("same seed and start give byte-identical Posts, another seed does not", "[bench][generator]") {
  CHECK(take_lines(7, 500) == take_lines(7, 500));
  CHECK(take_lines(7, 500) != take_lines(8, 500));
}

TEST_CASE("snowflake ids follow X's layout and stay 19 digits", "[bench][generator]") {
  const auto id = make_snowflake(kStart, 5, 9);
  CHECK(snowflake_ms(id) == kStart);
  CHECK(((id >> 12) & 0x3FF) == 5);
  CHECK((id & 0xFFF) == 9);
  char digits[kIdWidth];
  format_id(id, digits);
  CHECK(std::string(digits, kIdWidth) == std::to_string(id));
  // 5000 Posts squeezed into one virtual ms still get unique increasing ids (sequence overflow).
  IdClock clock(kStart, 1, 1e9);
  std::uint64_t prev = 0;
  for (int i = 0; i < 5000; ++i) {
    const auto s = clock.next();
    REQUIRE(s.id > prev);
    prev = s.id;
  }
  char created[kCreatedAtWidth];
  // A real streamed id and its created_at (stream_tweet_2020_format_default_no_tag.json).
  format_created_at(snowflake_ms(1293447197564915712ULL), created);
  CHECK(std::string(created, 20) == "2020-08-12T07:20:17.");
}

TEST_CASE("spent Posts use up their ids and come back by replay exactly as if taken", "[bench][generator]") {
  PostPool p(2, 64, kStart);
  PostFeed cut(p, 2, kStart, 250000, 10, 100), whole(p, 2, kStart, 250000, 10, 100);
  std::string sent, all, replay;
  CHECK(cut.take(sent, 3, SIZE_MAX, 1000) == 3);
  CHECK(cut.spend(4, 1000) == 4);  // due at a slow-reader cut, never written
  CHECK(cut.taken() == 7);
  CHECK(cut.take(sent, 100, SIZE_MAX, 2000) == 3);
  CHECK(cut.spend(5, 2000) == 0);  // the count is used up
  REQUIRE(whole.take(all, 10, SIZE_MAX, 1000) == 10);
  const auto got = test::split_lines(sent), expected = test::split_lines(all);
  REQUIRE(got.size() == 6);
  CHECK(std::equal(got.begin(), got.begin() + 3, expected.begin()));
  CHECK(std::equal(got.begin() + 3, got.end(), expected.begin() + 7));
  CHECK(cut.replay_since(0, replay) == 10);
  CHECK(replay == all);
}

TEST_CASE("count bounds the feed and history replays exactly what was sent", "[bench][generator]") {
  PostPool p(1, 64, kStart);
  PostFeed feed(p, 1, kStart, 0, 10, 100);
  std::string a, b;
  CHECK(feed.take(a, 6, SIZE_MAX, 1000) == 6);
  CHECK(feed.take(a, 100, SIZE_MAX, 2000) == 4);
  CHECK(feed.exhausted());
  CHECK(feed.take(a, 100, SIZE_MAX, 3000) == 0);
  CHECK(feed.replay_since(2000, b) == 4);
  const auto all = test::split_lines(a);
  const auto replay = test::split_lines(b);
  REQUIRE(replay.size() == 4);
  CHECK(std::equal(replay.begin(), replay.end(), all.begin() + 6));
}
