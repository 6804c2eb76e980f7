// padded_line: the copy of a stored line with simdjson's padding, from which the relay and replay
// re-extract rules.
#include <catch2/catch.hpp>

#include <string>

#include "sinks/kafka/padded_line.hpp"
#include "sinks/post_extractor.hpp"

using spillway::sinks::line_kind;
using spillway::sinks::padded_line;
using spillway::sinks::post_extractor;

TEST_CASE("padded_line: copies the line, zeroes the padding, and the extractor reads the copy", "[kafka][padded]") {
  post_extractor extractor(1 << 10);
  padded_line line(1 << 10);
  std::string stored =
      R"({"data":{"id":"1800000000000000042","text":"a"},"matching_rules":[{"id":"7","tag":"cats"},{"id":"8"}]})";
  const auto copy = line.assign(stored);
  CHECK(copy == stored);
  CHECK(copy.data() != stored.data());
  for (std::size_t i = 0; i < padded_line::padding; ++i) CHECK(copy.data()[copy.size() + i] == '\0');

  stored.assign(stored.size(), 'x');  // the source may go away: the copy is what the fields point into
  const auto fields = line.extract(extractor);
  REQUIRE(fields.kind == line_kind::post);
  CHECK(fields.id == 1800000000000000042ull);
  REQUIRE(fields.rule_count == 2);
  CHECK(fields.rules[0].id_json == "\"7\"");
  CHECK(fields.rules[0].tag_json == "\"cats\"");
  CHECK(fields.rules[1].tag_json.empty());
  CHECK(fields.id_text.data() >= copy.data());
  CHECK(fields.id_text.data() < copy.data() + copy.size());
}

TEST_CASE("padded_line: a shorter line after a longer one leaves no stale bytes - a longer one than max grows it",
          "[kafka][padded]") {
  post_extractor extractor(1 << 12);
  padded_line line(64);
  (void)line.assign(R"({"data":{"id":"2","text":")" + std::string(40, 'z') + R"("}})");
  const auto short_copy = line.assign(R"({"data":{"id":"3"}})");
  CHECK(short_copy == R"({"data":{"id":"3"}})");
  for (std::size_t i = 0; i < padded_line::padding; ++i) CHECK(short_copy.data()[short_copy.size() + i] == '\0');
  CHECK(line.extract(extractor).id == 3);

  // Stored while stream.max_line_bytes was larger: still copied whole and extracted.
  const std::string long_line = R"({"data":{"id":"4","text":")" + std::string(500, 'y') + R"("}})";
  const auto long_copy = line.assign(long_line);
  CHECK(long_copy == long_line);
  CHECK(line.view() == long_line);
  CHECK(line.extract(extractor).id == 4);
}
