// rules_response: the rules endpoints' bodies as values, the next page's target, and the report lines
// printed from them (rules_report.cpp) — with the hostile bodies tests/fuzz/rules_fuzz found.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include "ingest/control/rules_response.hpp"
#include "ingest/control/rules_sync.hpp"
#include "tests/support/testdata.hpp"

using namespace spillway::ingest;
using spillway::testing::read_file;
using spillway::testing::testdata_dir;

TEST_CASE("rules responses from testdata read into values", "[ingest][rules]") {
  std::vector<live_rule> live;
  std::string next = "stale";
  REQUIRE(parse_rules_page(read_file(testdata_dir() / "rules_get_docs.json"), live, next));
  CHECK(live == std::vector<live_rule>{{"1273028376882589696", "cat has:images", "cats with images"}});
  CHECK(next.empty());

  add_outcome invalid;
  REQUIRE(parse_add_response(read_file(testdata_dir() / "rules_add_invalid.json"), true, invalid));
  REQUIRE(invalid.errors.size() == 1);
  CHECK(invalid.errors[0].value == "--b");
  CHECK(invalid.errors[0].type == "invalid-rules");
  CHECK(invalid.errors[0].details.size() == 2);
  CHECK(invalid.invalid == 1);

  add_outcome duplicate;
  REQUIRE(parse_add_response(read_file(testdata_dir() / "rules_add_duplicate.json"), false, duplicate));
  REQUIRE(duplicate.errors.size() == 1);
  CHECK(duplicate.errors[0].duplicate());
  CHECK(duplicate.errors[0].id == "1518831215612096512");

  add_outcome created;
  REQUIRE(parse_add_response(read_file(testdata_dir() / "rules_add_created_docs.json"), false, created));
  CHECK_FALSE(created.created.empty());

  delete_outcome del;
  REQUIRE(parse_delete_response(R"({"meta":{"summary":{"deleted":2,"not_deleted":0}}})", del));
  CHECK(del.deleted == 2);
  for (const char* not_object : {"", "[]", "null", "{", "<html>"}) {
    CHECK_FALSE(parse_rules_page(not_object, live, next));
    CHECK_FALSE(parse_delete_response(not_object, del));
  }
}

TEST_CASE("the next page's target percent-encodes the server's next_token", "[ingest][rules]") {
  // Issue 10 (a CR/LF in next_token added a header to the next request); tests/fuzz/rules_fuzz asserts
  // that the token is percent-encoded and decodes back.
  std::vector<live_rule> live;
  std::string next;
  REQUIRE(parse_rules_page(R"({"meta":{"next_token":"abc\r\nX-Injected: 1 &max_results=1#"}})", live, next));
  const std::string target = rules_page_target(1000, next);
  CHECK(target == "/2/tweets/search/stream/rules?max_results=1000&pagination_token=abc%0D%0AX-Injected%3A%201%20%26max_results%3D1%23");
  CHECK(rules_page_target(1000, "") == "/2/tweets/search/stream/rules?max_results=1000");
  CHECK(rules_page_target(10, "1hq6mqzb7e7rb9fwwkpa") == "/2/tweets/search/stream/rules?max_results=10&pagination_token=1hq6mqzb7e7rb9fwwkpa");
}

TEST_CASE("summary counts are clamped so that batches add up without overflow", "[ingest][rules]") {
  // tests/fuzz/rules_fuzz asserts this (under UBSan): two batches answering INT64_MAX overflowed the sum.
  const std::string huge = R"({"meta":{"summary":{"valid":9223372036854775807,"invalid":-7,"deleted":9223372036854775807}}})";
  add_outcome out;
  REQUIRE(parse_add_response(huge, true, out));
  REQUIRE(parse_add_response(huge, true, out));
  CHECK(out.valid == 2'000'000'000);
  CHECK(out.invalid == 0);
  delete_outcome del;
  REQUIRE(parse_delete_response(huge, del));
  REQUIRE(parse_delete_response(huge, del));
  CHECK(del.deleted == 2'000'000'000);
}

TEST_CASE("rules reports print server text with control bytes escaped", "[ingest][rules]") {
  // Found by tests/fuzz/rules_fuzz: a rule value or error title with a newline forged a report line.
  std::vector<live_rule> live;
  std::string next;
  REQUIRE(parse_rules_page(R"({"data":[{"id":"1\n2","value":"cat\nsynced: 0 added","tag":"t\u001b[2J"}]})", live, next));
  const std::string listing = render_rules(live);
  CHECK(listing == "1 live rule\n  " R"(  id 1\x0a2 "cat\x0asynced: 0 added" tag "t\x1b[2J")" "\n");
  CHECK(std::count(listing.begin(), listing.end(), '\n') == 2);

  sync_report report;
  add_outcome check;
  REQUIRE(parse_add_response(R"({"errors":[{"value":"v\r","title":"Unprocessable\nEntity","detail":"d\n","details":["x\ny"]}]})",
                             true, check));
  report.invalid = check.errors;
  report.dry_run = true;
  const std::string text = render_sync(report);
  CHECK(text.find(R"("v\x0d": Unprocessable\x0aEntity: d\x0a)") != std::string::npos);
  CHECK(text.find(R"(      - x\x0ay)") != std::string::npos);
  CHECK(std::none_of(text.begin(), text.end(), [](char c) { return c != '\n' && static_cast<unsigned char>(c) < 0x20; }));
}
