#include <catch2/catch.hpp>

#include <array>

#include "sinks/kafka/record_headers.hpp"
#include "sinks/kafka/topic_router.hpp"

using spillway::sinks::rule_match;
using spillway::sinks::kafka::record_headers;
using spillway::sinks::kafka::topic_router;

TEST_CASE("record headers keep raw rule tokens in received order", "[kafka]") {
  record_headers h;
  const std::array<rule_match, 3> rules = {{{R"("111")", R"("cats")"},
                                            {R"("222")", ""},
                                            {R"("333")", R"("caf\u00e9 \"x\"")"}}};
  h.build(1519773493096714240ull, rules, 1700000000123);
  CHECK(h.key() == "1519773493096714240");
  CHECK(h.rule_ids() == R"(["111","222","333"])");
  CHECK(h.rule_tags() == R"(["cats","","caf\u00e9 \"x\""])");
  CHECK(h.received_at() == "1700000000123");
}

TEST_CASE("record headers for a Post without rules are empty arrays", "[kafka]") {
  record_headers h;
  h.build(7, {}, 0);
  CHECK(h.key() == "7");
  CHECK(h.rule_ids() == "[]");
  CHECK(h.rule_tags() == "[]");
}

TEST_CASE("record headers quote bare tokens and map null tags to empty strings", "[kafka]") {
  record_headers h;
  const std::array<rule_match, 2> rules = {{{"42", "null"}, {R"("9")", R"("t")"}}};
  h.build(1, rules, 5);
  CHECK(h.rule_ids() == R"(["42","9"])");
  CHECK(h.rule_tags() == R"(["","t"])");
}

TEST_CASE("rule tags become legal Kafka topic names", "[kafka]") {
  CHECK(topic_router::sanitize_tag(R"("cats")") == "cats");
  CHECK(topic_router::sanitize_tag(R"("news.en-GB_1")") == "news.en-GB_1");
  CHECK(topic_router::sanitize_tag(R"("cats and dogs/1")") == "cats_and_dogs_1");
  CHECK(topic_router::sanitize_tag(R"("caf\u00e9")") == "caf_u00e9");
  CHECK(topic_router::sanitize_tag(R"("")").empty());
  CHECK(topic_router::sanitize_tag("").empty());
  CHECK(topic_router::sanitize_tag("null").empty());
  CHECK(topic_router::sanitize_tag(R"(".")").empty());
  CHECK(topic_router::sanitize_tag(R"("..")").empty());
  const std::string long_tag = "\"" + std::string(400, 'a') + "\"";
  CHECK(topic_router::sanitize_tag(long_tag).size() == 249);
}
