#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "sinks/post_extractor.hpp"
#include "tests/sinks/padded_line.hpp"
#include "tests/support/testdata.hpp"

using spillway::sinks::extracted_post;
using spillway::sinks::line_kind;
using spillway::sinks::post_extractor;

using spillway::testing::padded_line;

namespace {
extracted_post extract_line(post_extractor& x, const std::string& line) {
  static std::string keep;  // views in the result point into it; valid until the next call
  keep = line + std::string(simdjson::SIMDJSON_PADDING, ' ');
  return x.extract(keep.data(), line.size(), keep.size());
}
}  // namespace

TEST_CASE("extractor reads every real stream payload", "[extractor]") {
  struct expect {
    std::uint64_t id;
    std::string rule_id;
    std::string tag_json;  // raw token, "" when the tag is absent
  };
  const std::map<std::string, expect> posts = {
      {"stream_tweet_2020_format_default_no_tag.json", {1293447197564915712ULL, "\"1293427133616807936\"", ""}},
      {"stream_tweet_full_fields_users_include.json", {1534359106945003520ULL, "\"1532102238562402312\"", "\"\""}},
      {"stream_tweet_media_includes.json", {1626483873659092992ULL, "\"1626084620377944067\"", "\"tawanb\""}},
      {"stream_tweet_minimal_default_fields.json", {1513413325731868675ULL, "\"1513413238276472837\"", "\"Meisinger2\""}},
      {"stream_tweet_original_with_includes_tweets.json", {1620859659946164225ULL, "\"1620041380532740096\"", "\"\""}},
      {"stream_tweet_retweet_with_includes_tweets.json", {1620858830937812995ULL, "\"1620041380532740096\"", "\"\""}},
      {"stream_tweet_sdk_test_fixture_empty_tag.json", {1519773493096714240ULL, "\"1519772640537456640\"", "\"\""}},
  };
  const std::map<std::string, std::string> notices = {
      {"stream_msg_operational_disconnect.json", "OperationalDisconnect"},
      {"stream_msg_operational_disconnect_upstream_docs.json", "UpstreamOperationalDisconnect"},
  };
  post_extractor x(1 << 20);
  const auto payloads = spillway::testing::stream_payloads();
  REQUIRE(payloads.size() == posts.size() + notices.size());
  for (const auto& [name, line] : payloads) {
    INFO(name);
    const padded_line padded(line);
    const auto before = padded.storage;
    const auto out = padded.extract(x);
    CHECK(padded.storage == before);  // bytes left intact: the raw line is what the sinks store
    if (auto p = posts.find(name); p != posts.end()) {
      CHECK(out.kind == line_kind::post);
      CHECK(out.id == p->second.id);
      CHECK(out.id_text == std::to_string(p->second.id));
      REQUIRE(out.rule_count == 1);
      CHECK(out.rules[0].id_json == p->second.rule_id);
      CHECK(out.rules[0].tag_json == p->second.tag_json);
    } else {
      CHECK(out.kind == line_kind::notice);
      CHECK(out.notice_disconnect_type == notices.at(name));
      CHECK(out.notice_title == "operational-disconnect");
    }
  }
}

TEST_CASE("extractor: surrogate escapes, field order, several rules, partial errors", "[extractor]") {
  post_extractor x(1 << 20);
  const std::string line =
      R"({"matching_rules":[{"tag":"caf\u00e9 \ud83d\ude00","id":"11"},{"id":"12","tag":""},{"id":"13"}],)"
      R"("includes":{"users":[{"id":"1","name":"\ud83e\udd41 Ж"}]},)"
      R"("data":{"text":"x \"id\":\"9\" \ud83d\ude00 &amp; 日本","id":"1626483873659092992"},)"
      R"("errors":[{"title":"Not Found Error","resource_type":"tweet"}]})";
  const auto out = extract_line(x, line);
  CHECK(out.kind == line_kind::post);
  CHECK(out.id == 1626483873659092992ULL);
  CHECK(out.has_errors);
  REQUIRE(out.rule_count == 3);
  CHECK(out.rules[0].id_json == "\"11\"");
  CHECK(out.rules[0].tag_json == R"("caf\u00e9 \ud83d\ude00")");  // still escaped: a valid JSON string token
  CHECK(out.rules[1].tag_json == "\"\"");
  CHECK(out.rules[2].tag_json.empty());
}

TEST_CASE("extractor: malformed and id-less lines", "[extractor]") {
  post_extractor x(1 << 20);
  struct row {
    std::string line;
    line_kind kind;
  };
  const std::vector<row> table = {
      {"not json at all", line_kind::malformed},
      {R"({"data":{"id":"123","text":"cut)", line_kind::malformed},
      {R"({"data":{"id":"123"}} trailing)", line_kind::malformed},
      {R"([1,2,3])", line_kind::malformed},
      {"{\"data\":{\"id\":\"12\xff\"}}", line_kind::malformed},  // invalid UTF-8
      {R"({"data":{"text":"no id"}})", line_kind::missing_id},
      {R"({"data":{"id":123}})", line_kind::missing_id},  // a number would have lost precision
      {R"({"data":{"id":"12a"}})", line_kind::missing_id},
      {R"({"data":{"id":"99999999999999999999999"}})", line_kind::missing_id},
      {R"({"data":{"id":""}})", line_kind::missing_id},
      {R"({"something_new":{"id":"1"}})", line_kind::missing_id},
      {R"({})", line_kind::missing_id},
  };
  for (const auto& r : table) {
    INFO(r.line);
    const auto out = extract_line(x, r.line);
    CHECK(out.kind == r.kind);
    CHECK_FALSE(out.problem.empty());
  }
}

TEST_CASE("post ids parse as integers, never floating point, and only in canonical form", "[extractor]") {
  std::uint64_t id = 0;
  CHECK(spillway::sinks::parse_post_id("505874924095815681", id));
  CHECK(id == 505874924095815681ULL);  // the twitter.json id that a double rounds to ...700
  CHECK(spillway::sinks::parse_post_id("9223372036854775807", id));  // X's ids are signed 64-bit
  CHECK(id == 9223372036854775807ULL);
  CHECK(spillway::sinks::parse_post_id("1", id));
  CHECK(id == 1);
  // One spelling per id: otherwise "0123" and "123" would share a key and one be dropped as a duplicate.
  for (const char* bad : {"9223372036854775808", "18446744073709551615", "18446744073709551616", "", "-1", "+1",
                          "0", "00", "0123", "1 ", " 1", "1.0"}) {
    INFO(bad);
    CHECK_FALSE(spillway::sinks::parse_post_id(bad, id));
  }
}
