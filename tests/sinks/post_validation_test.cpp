// post_extractor as a validator: only valid RFC 8259 JSON (UTF-8) with unambiguous keys and a canonical
// data.id is a Post; everything else is malformed or missing_id with a reason that names the problem.
// Every row here is a line the extractor must judge on its own; see json_reader.hpp for the choices
// where RFC 8259 leaves room (lone surrogates, number range).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sinks/post_extractor.hpp"
#include "tests/sinks/padded_line.hpp"
#include "tests/support/testdata.hpp"

using spillway::sinks::extracted_post;
using spillway::sinks::line_kind;
using spillway::sinks::post_extractor;

namespace {

// Every line here is read with hostile padding (tests/sinks/padded_line.hpp). The views in the result
// point into `keep`: valid until the next call.
extracted_post extract_hostile(post_extractor& x, const std::string& line) {
  static spillway::testing::padded_line keep("");
  keep = spillway::testing::padded_line(line, /*hostile=*/true);
  return keep.extract(x);
}

struct row {
  std::string line;
  line_kind kind;
  std::string problem;  // a part of the reason; empty for post and notice
};

void check_rows(const std::vector<row>& table) {
  post_extractor x(1 << 20);
  for (const auto& r : table) {
    INFO(r.line);
    const auto out = extract_hostile(x, r.line);
    CHECK(out.kind == r.kind);
    if (r.problem.empty()) {
      CHECK(out.problem.empty());
    } else {
      CHECK_THAT(std::string(out.problem), Catch::Contains(r.problem));
    }
    if (r.kind == line_kind::malformed) {
      // Nothing half-read survives a refusal: no id, no rules that point into a rejected line.
      CHECK(out.id == 0);
      CHECK(out.rule_count == 0);
    }
  }
}

std::string post_with(const std::string& extra) { return R"({"data":{"id":"1626483873659092992"},)" + extra + "}"; }

}  // namespace

TEST_CASE("validation: the issue's reproductions are refused with the reason", "[extractor][validation]") {
  check_rows({
      {R"({"data":{"id":"1"},"x":tru})", line_kind::malformed, "not true, false or null"},
      {post_with(R"("x":[1,,2,])"), line_kind::malformed, "expected a value"},
      {post_with(R"("x":[1,2,])"), line_kind::malformed, "expected a value"},
      {R"({"data":{"id":"1","text":"a\qb"}})", line_kind::malformed, "bad escape"},
      {post_with("\"x\":\"caf\xc3\""), line_kind::malformed, "UTF-8"},  // cut sequence in a skipped string
  });
}

TEST_CASE("validation: strings", "[extractor][validation]") {
  check_rows({
      {post_with(R"("x":"\ud83d\ude00 \u00e9 \u0000 \/ \b\f\n\r\t \" \\")"), line_kind::post, ""},
      {post_with(R"("x":"\ud800")"), line_kind::malformed, "unpaired UTF-16 surrogate"},
      {post_with(R"("x":"\udc00")"), line_kind::malformed, "unpaired UTF-16 surrogate"},  // RapidJSON 1.1 takes it
      {post_with(R"("x":"\ude00\ud83d")"), line_kind::malformed, "unpaired UTF-16 surrogate"},
      {post_with(R"("x":"\ud83d\u0041")"), line_kind::malformed, "unpaired UTF-16 surrogate"},
      {post_with(R"("x":"\ud83dx")"), line_kind::malformed, "unpaired UTF-16 surrogate"},
      {post_with(R"("x":"\u12G4")"), line_kind::malformed, "bad escape"},
      {post_with(R"("x":"\u12")"), line_kind::malformed, "bad escape"},
      {post_with(R"("x":"\x41")"), line_kind::malformed, "bad escape"},
      {post_with(R"("x":"\')"), line_kind::malformed, "bad escape"},
      {post_with("\"x\":\"tab\there\""), line_kind::malformed, "control character"},
      {post_with(std::string("\"x\":\"nul") + '\0' + "\""), line_kind::malformed, "control character"},
      {post_with("\"x\":'single'"), line_kind::malformed, "expected a value"},
      {post_with("\"x\":\"\xff\""), line_kind::malformed, "UTF-8"},
      {post_with("\"x\":\"\xc0\xaf\""), line_kind::malformed, "UTF-8"},          // overlong '/'
      {post_with("\"x\":\"\xed\xa0\x80\""), line_kind::malformed, "UTF-8"},      // a surrogate in UTF-8
      {post_with("\"x\":\"\xf4\x90\x80\x80\""), line_kind::malformed, "UTF-8"},  // above U+10FFFF
      {post_with("\"x\":\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\""), line_kind::post, ""},
      {R"({"data":{"id":"1626483873659092992","text":"open)", line_kind::malformed, "not closed"},
      {"{\"data\":{\"id\":\"1626483873659092992\"},\"x\":\"ends in a backslash\\", line_kind::malformed, "not closed"},
  });
}

TEST_CASE("validation: numbers and literals", "[extractor][validation]") {
  check_rows({
      {post_with(R"("n":[0,-0,1,-1,0.5,-0.5e-3,1E+2,1e-400,123456789012345678901234567890,1e307])"), line_kind::post, ""},
      {post_with(R"("n":[true,false,null])"), line_kind::post, ""},
      {post_with(R"("n":01)"), line_kind::malformed, "missing comma"},  // "0", then a stray "1"
      {post_with(R"("n":1.)"), line_kind::malformed, "malformed number"},
      {post_with(R"("n":.5)"), line_kind::malformed, "expected a value"},
      {post_with(R"("n":+1)"), line_kind::malformed, "expected a value"},
      {post_with(R"("n":-)"), line_kind::malformed, "malformed number"},
      {post_with(R"("n":1e)"), line_kind::malformed, "malformed number"},
      {post_with(R"("n":1e+)"), line_kind::malformed, "malformed number"},
      {post_with(R"("n":0x10)"), line_kind::malformed, "missing comma"},
      {post_with(R"("n":1x)"), line_kind::malformed, "missing comma"},
      {post_with(R"("n":NaN)"), line_kind::malformed, "expected a value"},
      {post_with(R"("n":Infinity)"), line_kind::malformed, "expected a value"},
      {post_with(R"("n":1e309)"), line_kind::malformed, "number too large"},
      {post_with(R"("n":9e308)"), line_kind::malformed, "number too large"},  // RapidJSON 1.1 makes it inf
      {post_with(R"("n":1e99999999999999999999)"), line_kind::malformed, "number too large"},
      {post_with("\"n\":" + std::string(309, '9')), line_kind::malformed, "number too large"},
      {post_with("\"n\":" + std::string(308, '9')), line_kind::post, ""},
      {post_with(R"("n":True)"), line_kind::malformed, "expected a value"},
      {post_with(R"("n":nul)"), line_kind::malformed, "not true, false or null"},
      {post_with(R"("n":truex)"), line_kind::malformed, "missing comma"},
      {post_with(R"("n":falsetrue)"), line_kind::malformed, "missing comma"},
  });
}

TEST_CASE("validation: structure", "[extractor][validation]") {
  const std::string id = R"("id":"1626483873659092992")";
  check_rows({
      {" \t\r\n{ \"data\" : { " + id + " , \"x\" : [ 1 , { } , [ ] ] } } \t\r\n", line_kind::post, ""},
      {"not json at all", line_kind::malformed, "not a JSON object"},
      {R"([1,2,3])", line_kind::malformed, "not a JSON object"},
      {R"("string")", line_kind::malformed, "not a JSON object"},
      {" \t ", line_kind::malformed, "only whitespace"},
      {"\xef\xbb\xbf{\"data\":{" + id + "}}", line_kind::malformed, "not a JSON object"},  // a byte-order mark
      {"{\"data\":{" + id + "}}}", line_kind::malformed, "content after the top-level object"},
      {"{\"data\":{" + id + "}} {}", line_kind::malformed, "content after the top-level object"},
      {"{\"data\":{" + id + "}", line_kind::malformed, "truncated"},
      {"{\"data\":{" + id + ",", line_kind::malformed, "truncated"},
      {"{\"data\":{" + id + ",\"x\":", line_kind::malformed, "truncated"},
      {"{\"data\":{" + id + "},\"x\":[1", line_kind::malformed, "truncated"},
      {"{\"data\":{" + id + "},}", line_kind::malformed, "string key"},
      {"{\"data\":{" + id + "},,\"x\":1}", line_kind::malformed, "string key"},
      {"{,\"data\":{" + id + "}}", line_kind::malformed, "string key"},
      {"{\"data\":{" + id + "},\"x\" 1}", line_kind::malformed, "missing colon"},
      {"{\"data\":{" + id + "},\"x\"}", line_kind::malformed, "missing colon"},
      {"{\"data\":{" + id + "},\"x\":1 \"y\":2}", line_kind::malformed, "missing comma or }"},
      {"{\"data\":{" + id + "},\"x\":[1 2]}", line_kind::malformed, "missing comma or ]"},
      {"{\"data\":{" + id + "},\"x\":[1}", line_kind::malformed, "missing comma or ]"},
      {"{\"data\":{" + id + "},\"x\":{\"a\":1]}", line_kind::malformed, "missing comma or }"},
      {"{\"data\":{" + id + "},\"x\":[,1]}", line_kind::malformed, "expected a value"},
      {"{\"data\":{" + id + "},1:2}", line_kind::malformed, "string key"},
      {"{\"data\":{" + id + "},\"x\":1,/*c*/\"y\":2}", line_kind::malformed, "string key"},
      {"{\"data\":{" + id + "},\"x\":\f1}", line_kind::malformed, "expected a value"},  // \f is not whitespace
      {"{\"data\":{" + id + "},\"x\":" + std::string(127, '[') + std::string(127, ']') + "}", line_kind::post, ""},
      {"{\"data\":{" + id + "},\"x\":" + std::string(128, '[') + std::string(128, ']') + "}", line_kind::malformed,
       "nested more than 128"},
  });
}

TEST_CASE("validation: duplicate keys where Spillway reads, not deeper", "[extractor][validation]") {
  check_rows({
      {R"({"data":{"id":"1626483873659092992","id":"2"}})", line_kind::malformed, "duplicate key \"id\""},
      {R"({"data":{"id":"2","id":"1626483873659092992"}})", line_kind::malformed, "duplicate key \"id\""},
      {R"({"data":{"id":"1626483873659092992","i\u0064":"2"}})", line_kind::malformed, "duplicate key \"id\""},
      {R"({"data":{"id":"1","text":"a","text":"b"}})", line_kind::malformed, "duplicate key inside data"},
      {R"({"data":{"id":"1"},"data":{"id":"2"}})", line_kind::malformed, "duplicate key at the top level"},
      {R"({"data":{"id":"1"},"d\u0061ta":{"id":"2"}})", line_kind::malformed, "duplicate key at the top level"},
      {post_with(R"("matching_rules":[{"id":"1","tag":"a","tag":"b"}])"), line_kind::malformed,
       "duplicate key inside a matching_rules entry"},
      {R"({"errors":[{"title":"a","title":"b"}]})", line_kind::malformed, "duplicate key inside an errors entry"},
      // Objects Spillway does not read are validated, not checked for duplicates (RFC 8259: names SHOULD
      // be unique; consumers that care parse them anyway).
      {post_with(R"("includes":{"users":[{"id":"1","id":"2"}]})"), line_kind::post, ""},
      // Two different names that share their first and last bytes are not duplicates.
      {R"({"data":{"id":"1626483873659092992","aaaaaaaaXaaaaaaaa":1,"aaaaaaaaYaaaaaaaa":2}})", line_kind::post, ""},
  });
}

TEST_CASE("validation: a key with escapes is read as a parser reads it", "[extractor][validation]") {
  post_extractor x(1 << 20);
  const std::string line = R"({"d\u0061ta":{"\u0069d":"1626483873659092992"},"matching_rules":[{"\u0069d":"7","t\u0061g":"x"}]})";
  const auto out = extract_hostile(x, line);
  CHECK(out.kind == line_kind::post);
  CHECK(out.id == 1626483873659092992ULL);
  REQUIRE(out.rule_count == 1);
  CHECK(out.rules[0].id_json == "\"7\"");
  CHECK(out.rules[0].tag_json == "\"x\"");
}

TEST_CASE("validation: only a canonical data.id is a Post id", "[extractor][validation]") {
  const auto with_id = [](const std::string& id_json) { return R"({"data":{"text":"t","id":)" + id_json + "}}"; };
  check_rows({
      {with_id(R"("9223372036854775807")"), line_kind::post, ""},
      {with_id(R"("0123")"), line_kind::missing_id, "leading zero"},
      {with_id(R"("00")"), line_kind::missing_id, "zero"},
      {with_id(R"("0")"), line_kind::missing_id, "zero"},
      {with_id(R"("+1")"), line_kind::missing_id, "not only the digits"},
      {with_id(R"("-1")"), line_kind::missing_id, "not only the digits"},
      {with_id(R"(" 1")"), line_kind::missing_id, "not only the digits"},
      {with_id(R"("1 ")"), line_kind::missing_id, "not only the digits"},
      {with_id(R"("1.0")"), line_kind::missing_id, "not only the digits"},
      {with_id(R"("1e3")"), line_kind::missing_id, "not only the digits"},
      {with_id(R"("\u0031")"), line_kind::missing_id, "not only the digits"},
      {with_id(R"("12a")"), line_kind::missing_id, "not only the digits"},
      {with_id(R"("")"), line_kind::missing_id, "empty"},
      {with_id(R"("9223372036854775808")"), line_kind::missing_id, "above 2^63-1"},
      {with_id(R"("18446744073709551615")"), line_kind::missing_id, "above 2^63-1"},
      {with_id(R"("99999999999999999999999")"), line_kind::missing_id, "above 2^63-1"},
      {with_id("123"), line_kind::missing_id, "not a string"},
      {with_id("null"), line_kind::missing_id, "not a string"},
      {with_id(R"({"id":"1"})"), line_kind::missing_id, "not a string"},
      {R"({"data":{"text":"no id"}})", line_kind::missing_id, "data.id is missing"},
      {R"({"data":[{"id":"1"}]})", line_kind::missing_id, "data is not an object"},
      {R"({"data":null})", line_kind::missing_id, "data is not an object"},
      {R"({"something_new":{"id":"1"}})", line_kind::missing_id, "no data"},
      {R"({})", line_kind::missing_id, "no data"},
  });
}

TEST_CASE("validation: a notice is known by its shape, never by its text", "[extractor][validation]") {
  const std::string notice = R"({"errors":[{"title":"operational-disconnect","disconnect_type":"OperationalDisconnect"}]})";
  check_rows({
      {notice, line_kind::notice, ""},
      {R"({"errors":[]})", line_kind::notice, ""},
      {R"({"errors":"operational-disconnect"})", line_kind::missing_id, "no errors array"},
      {R"({"errors":{"disconnect_type":"OperationalDisconnect"}})", line_kind::missing_id, "no errors array"},
      {R"({"includes":{"errors":[{"disconnect_type":"OperationalDisconnect"}]}})", line_kind::missing_id, "no data"},
      // Posts whose text, hashtag or nested objects say "disconnect_type" or "errors" stay Posts.
      {R"({"data":{"id":"1626483873659092992","text":"disconnect_type"},"includes":{"errors":[]}})", line_kind::post, ""},
      {R"({"data":{"id":"1626483873659092992","text":"{\"errors\":[{\"disconnect_type\":\"x\"}]}"}})", line_kind::post, ""},
      {R"({"data":{"id":"1626483873659092992","entities":{"hashtags":[{"tag":"disconnect_type"}]}}})", line_kind::post, ""},
      // A Post with partial errors is a Post.
      {R"({"errors":[{"disconnect_type":"OperationalDisconnect"}],"data":{"id":"1626483873659092992"}})", line_kind::post, ""},
  });
  post_extractor x(1 << 20);
  const auto out = extract_hostile(x, notice);
  CHECK(out.notice_title == "operational-disconnect");
  CHECK(out.notice_disconnect_type == "OperationalDisconnect");
}

TEST_CASE("validation: rule ids and tags are scalar tokens or nothing", "[extractor][validation]") {
  post_extractor x(1 << 20);
  const std::string line =
      post_with(R"("matching_rules":[{"id":"1","tag":{"nested":"x"}},{"id":[2],"tag":null},{"id":3,"tag":"t"},"odd",7])");
  const auto out = extract_hostile(x, line);
  REQUIRE(out.kind == line_kind::post);
  REQUIRE(out.rule_count == 3);  // the string and the number in the array are not rules
  CHECK(out.rules[0].id_json == "\"1\"");
  CHECK(out.rules[0].tag_json.empty());
  CHECK(out.rules[1].id_json.empty());
  CHECK(out.rules[1].tag_json == "null");
  CHECK(out.rules[2].id_json == "3");
  CHECK(out.rules[2].tag_json == "\"t\"");
}

TEST_CASE("validation: every string end, at every distance from the line's end", "[extractor][validation]") {
  // The string scan works 32 bytes at a time: a quote, an escape or a control byte must be found at every
  // offset inside a block, and never past the line's end (the padding is full of quotes).
  post_extractor x(1 << 20);
  for (std::size_t n = 0; n < 100; ++n) {
    const std::string text(n, 'a');
    INFO(n);
    const std::string ok = R"({"data":{"id":"1626483873659092992","text":")" + text + "\"}}";
    CHECK(extract_hostile(x, ok).kind == line_kind::post);
    const std::string escaped = R"({"data":{"id":"1626483873659092992","text":")" + text + R"(\"\ud83d\ude00"}})";
    CHECK(extract_hostile(x, escaped).kind == line_kind::post);
    const std::string control = R"({"data":{"id":"1626483873659092992","text":")" + text + "\x1f\"}}";
    CHECK(extract_hostile(x, control).problem.find("control character") != std::string_view::npos);
    const std::string open = R"({"data":{"id":"1626483873659092992","text":")" + text;
    CHECK(extract_hostile(x, open).problem.find("not closed") != std::string_view::npos);
  }
}

TEST_CASE("validation: every real payload is valid JSON", "[extractor][validation]") {
  // twitter.json (simdjson's benchmark file: raw UTF-8, \u escapes, surrogate pairs, deep objects) and
  // the v2 lookup with surrogate escapes are valid JSON objects without data.id: never `malformed`.
  post_extractor x(4 << 20);
  for (const char* name : {"twitter.json", "v2_tweet_lookup_surrogate_escapes.json"}) {
    INFO(name);
    const auto line = spillway::testing::as_stream_line(spillway::testing::read_file(spillway::testing::testdata_dir() / name));
    REQUIRE(line.size() > 100);
    const auto out = extract_hostile(x, line);
    CHECK(out.problem.find("JSON") == std::string_view::npos);
    CHECK(out.kind != line_kind::malformed);
  }
}
