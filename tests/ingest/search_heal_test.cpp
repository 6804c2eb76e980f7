// Healing by search, the pure parts: which rules search cannot express, and each result tagged with the
// rule(s) that found it, merged, once per Post, oldest first.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "ingest/control/search_heal.hpp"

using namespace spillway::ingest;
using spillway::config::rule_spec;

TEST_CASE("search heal: stream-only operators are found outside quotes", "[heal][search]") {
  struct Row {
    const char* rule;
    const char* op;  // "" = searchable
  };
  const Row rows[] = {
      {"cats sample:10", "sample"},
      {"bio:engineer lang:en", "bio"},
      {"(news OR sports) -bio_location:paris", "bio_location"},
      {"bio_name:ana", "bio_name"},
      {"\"sample:10\" cats", ""},       // inside a phrase: a keyword
      {"biology:yes", ""},               // not an operator search lacks
      {"xbio:cats", ""},                 // not at a term start
      {"weather lang:en -is:retweet", ""},
  };
  for (const auto& r : rows) {
    INFO(r.rule);
    const auto op = search_unsupported_operator(r.rule);
    CHECK(op.value_or("") == r.op);
  }
  const std::vector<rule_spec> rules = {{"weather", "w"}, {"cats sample:10", "sampled"}, {"bio:chef", ""}};
  const auto split = split_rules_for_search(rules);
  CHECK(split.searchable == std::vector<std::size_t>{0});
  CHECK(split.unsupported == std::vector<std::string>{"sampled (sample:)", "bio:chef (bio:)"});
  CHECK(search_query_for(rule_spec{std::string(1025, 'a'), ""}, 1024) == std::nullopt);
  CHECK(search_query_for(rule_spec{std::string(1025, 'a'), ""}, 4096).has_value());
}

TEST_CASE("search heal: results merged per Post with every rule that found it", "[heal][search]") {
  matching_rules_merger m;
  m.add("1000000000000000002", R"({"id":"1000000000000000002","text":"b"})", "11", "weather");
  m.add("999999999999999999", R"({"id":"999999999999999999","text":"a"})", "12", "coffee");
  m.add("1000000000000000002", R"({"id":"1000000000000000002","text":"b"})", "12", "coffee");
  m.add("1000000000000000002", R"({"id":"1000000000000000002","text":"b"})", "11", "weather");  // a later page again
  REQUIRE(m.size() == 2);
  const auto lines = m.lines();
  REQUIRE(lines.size() == 2);
  rapidjson::Document first, second;
  first.Parse(lines[0].c_str());
  second.Parse(lines[1].c_str());
  REQUIRE_FALSE(first.HasParseError());
  REQUIRE_FALSE(second.HasParseError());
  CHECK(std::string(first["data"]["id"].GetString()) == "999999999999999999");  // numeric order, not text order
  CHECK(first["matching_rules"].Size() == 1);
  CHECK(second["matching_rules"].Size() == 2);
  CHECK(std::string(second["matching_rules"][0]["tag"].GetString()) == "weather");
  CHECK(std::string(second["matching_rules"][1]["id"].GetString()) == "12");
}
