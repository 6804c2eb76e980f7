// Property, differential against RapidJSON's DOM: whenever sinks::post_extractor says a line is a `post`
// (so the pipeline stores it in RocksDB and sends it to Kafka keyed by its id), the line is one valid JSON
// text (RFC 8259, UTF-8) that RapidJSON — with UTF-8 validation — accepts, and the id is unambiguous and
// the same for every consumer:
//   - the top-level object has exactly one "data" member, an object with exactly one "id" member;
//   - that id is a string of decimal digits, canonical (no leading zero), equal to extracted id_text, and
//     its value equals the extracted 64-bit id.
// Also: a line that is not a post says why (problem), and a notice carries has_errors.
// RapidJSON is asked to keep numbers as text (RFC 8259 sets no range; RapidJSON would refuse 1e400 as a
// double) and to parse iteratively (no recursion limit of its own to trip on deep nesting).
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sinks/post_extractor.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using spillway::sinks::extracted_post;
using spillway::sinks::line_kind;

namespace {

constexpr std::size_t max_line = 1 << 20;

constexpr unsigned rapidjson_flags =
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

std::size_t count_members(const rapidjson::Value& object, std::string_view name) {
  std::size_t n = 0;
  for (const auto& m : object.GetObject())
    if (std::string_view(m.name.GetString(), m.name.GetStringLength()) == name) ++n;
  return n;
}

void check_post(std::string_view line, const extracted_post& out) {
  rapidjson::Document doc;
  doc.Parse<rapidjson_flags>(line.data(), line.size());
  FUZZ_CHECK(!doc.HasParseError(), rapidjson::GetParseError_En(doc.GetParseError()));
  FUZZ_CHECK(doc.IsObject(), "a post that is not a JSON object");
  FUZZ_CHECK(count_members(doc, "data") == 1, "a post without exactly one top-level \"data\"");
  const rapidjson::Value& data = doc["data"];
  FUZZ_CHECK(data.IsObject() && count_members(data, "id") == 1, "a post without exactly one data.id");
  const rapidjson::Value& id = data["id"];
  FUZZ_CHECK(id.IsString(), "data.id is not a string");
  const std::string_view text(id.GetString(), id.GetStringLength());
  FUZZ_CHECK(text == out.id_text, out.id_text);
  FUZZ_CHECK(!text.empty() && text.size() <= 20 && text[0] != '0', text);
  std::uint64_t value = 0;
  for (const char c : text) {
    FUZZ_CHECK(c >= '0' && c <= '9', text);
    const auto digit = static_cast<std::uint64_t>(c - '0');
    FUZZ_CHECK(value <= (UINT64_MAX - digit) / 10, text);
    value = value * 10 + digit;
  }
  FUZZ_CHECK(value == out.id, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > max_line) return 0;
  static spillway::sinks::post_extractor extractor(max_line);
  // The extractor's contract: SIMDJSON_PADDING readable bytes after the line (slabs guarantee it).
  std::vector<char> buffer(size + simdjson::SIMDJSON_PADDING, '\0');
  std::copy(data, data + size, buffer.begin());
  const std::string_view line(buffer.data(), size);
  const extracted_post out = extractor.extract(buffer.data(), size, buffer.size());
  switch (out.kind) {
    case line_kind::post: check_post(line, out); break;
    case line_kind::notice: FUZZ_CHECK(out.has_errors, "a notice without errors"); break;
    case line_kind::malformed:
    case line_kind::missing_id: FUZZ_CHECK(!out.problem.empty(), "refused without a reason"); break;
  }
  return 0;
}
