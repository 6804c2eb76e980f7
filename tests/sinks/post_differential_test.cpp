// post_extractor against RapidJSON's DOM on random mutations of the real payloads: whatever Spillway
// would store (a Post) or act on (a notice, a missing_id dead-letter with a parsed reason), RapidJSON
// parses with kParseValidateEncodingFlag, and the ids agree; whatever RapidJSON refuses, Spillway refuses;
// and where Spillway is stricter, the reason is one of the documented choices (json_reader.hpp).
// A bounded, seeded search (a few seconds); libFuzzer runs the same property for longer (issue 10, item 7).
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "sinks/post_extractor.hpp"
#include "tests/support/testdata.hpp"

using spillway::sinks::line_kind;
using spillway::sinks::post_extractor;

namespace {

// Bytes that make a mutation meaningful to a JSON parser (and to UTF-8).
constexpr char interesting_bytes[] = "{}[],:\"\\u0019-+.eEtfnl \t\r\n\x00\x1f\x7f\x80\xbf\xc3\xe6\xed\xf0\xf4\xffxd";
constexpr std::string_view interesting(interesting_bytes, sizeof interesting_bytes - 1);

std::string mutate(std::string line, std::mt19937& rng) {
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  for (std::size_t edits = 1 + pick(3); edits > 0 && !line.empty(); --edits) {
    const std::size_t at = pick(line.size());
    switch (pick(6)) {
      case 0: line[at] = interesting[pick(interesting.size())]; break;
      case 1: line.erase(at, 1 + pick(4)); break;
      case 2: line.insert(at, 1, interesting[pick(interesting.size())]); break;
      case 3: line.insert(at, line.substr(pick(line.size()), 1 + pick(24))); break;  // e.g. a second key
      case 4: line.insert(at, pick(2) == 0 ? "\\ud83d" : "\\ude00"); break;       // half a pair
      case 5: line.resize(at); break;
    }
  }
  return line;
}

// The reasons for which Spillway refuses what RapidJSON 1.1 accepts: each is a documented choice.
bool documented_stricter(std::string_view problem) {
  for (std::string_view choice : {"unpaired UTF-16 surrogate", "number too large", "duplicate key", "nested more than",
                                  "more than 128 members", "not a JSON object"}) {
    if (problem.find(choice) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("differential: the extractor never accepts what RapidJSON refuses, and the ids agree",
          "[extractor][validation][differential]") {
  std::vector<std::string> seeds;
  for (const auto& [name, line] : spillway::testing::stream_payloads()) seeds.push_back(line);
  seeds.push_back(R"({"data":{"id":"1626483873659092992","text":"caf\u00e9 \ud83d\ude00 日本"},"matching_rules":[{"id":"1","tag":"t"}],"n":[-0.5e-3,1e2,true,false,null]})");
  post_extractor x(1 << 20);
  std::mt19937 rng(20240610);
  std::size_t posts = 0, refused = 0;
  std::map<std::string, std::size_t> stricter;  // by reason
  for (int i = 0; i < 200000; ++i) {
    const std::string line = mutate(seeds[rng() % seeds.size()], rng);
    std::string padded = line + std::string(simdjson::SIMDJSON_PADDING, '"');
    const auto out = x.extract(padded.data(), line.size(), padded.size());
    rapidjson::Document d;
    d.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size());
    const bool rapid_ok = !d.HasParseError();
    if (out.kind == line_kind::malformed) {
      ++refused;
      if (rapid_ok) {
        ++stricter[std::string(out.problem)];
        INFO(line);
        INFO(out.problem);
        REQUIRE(documented_stricter(out.problem));
      }
      continue;
    }
    INFO(line);
    INFO(out.problem);
    REQUIRE(rapid_ok);
    REQUIRE(d.IsObject());
    const auto data = d.FindMember("data");
    if (out.kind == line_kind::notice) {
      CHECK(data == d.MemberEnd());
      const auto errors = d.FindMember("errors");
      REQUIRE(errors != d.MemberEnd());
      CHECK(errors->value.IsArray());
    } else if (out.kind == line_kind::post) {
      ++posts;
      REQUIRE(data != d.MemberEnd());
      REQUIRE(data->value.IsObject());
      const auto id = data->value.FindMember("id");
      REQUIRE(id != data->value.MemberEnd());
      REQUIRE(id->value.IsString());
      CHECK(std::string_view(id->value.GetString(), id->value.GetStringLength()) == out.id_text);
    }
  }
  // The search is only worth something if it reached both sides of the line.
  CHECK(posts > 5000);
  CHECK(refused > 50000);
  std::string choices;
  for (const auto& [reason, n] : stricter) choices += "\n  " + std::to_string(n) + " × " + reason;
  WARN("differential: " << posts << " Posts agreed, " << refused << " lines refused; RapidJSON accepted these:"
                        << choices);
}
