// bench-extract: framing + extraction + validation throughput on a corpus of realistic Posts — the hot
// path (line_framer + post_extractor, which checks every byte is valid JSON) beside simdjson's DOM (the
// validating parser it was measured against, sinks/post_extractor.hpp) and RapidJSON in-situ and DOM, on
// the same bytes. Results are checked before anything is timed: every corpus line against RapidJSON's
// DOM, and a few invalid lines must be refused. Prints one JSON object; each row has the median wall time
// and the median CPU time of the benchmark thread (the figure to compare on a machine shared with
// other work, where wall time includes waiting for a core).
//
//   bench-extract --corpus FILE.jsonl [--rounds 5]
// The corpus is one Post per line, e.g. `spillway-emu --count 100000 --dump FILE` output.
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_machine.hpp"
#include "bench/bench_stats.hpp"
#include "ingest/stream/line_framer.hpp"
#include "sinks/post_extractor.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

using spillway::bench::median;
using spillway::bench::thread_cpu_seconds;

// Wall and CPU seconds of each round of one contender.
struct timings {
  std::vector<double> wall, cpu;
  template <typename F>
  void measure(F&& round) {
    const auto w0 = clock_type::now();
    const double c0 = thread_cpu_seconds();
    round();
    cpu.push_back(thread_cpu_seconds() - c0);
    wall.push_back(std::chrono::duration<double>(clock_type::now() - w0).count());
  }
};

// Lines every validating parser refuses (issue 10's reproductions); the extractor must, before timing.
constexpr const char* invalid_lines[] = {
    R"({"data":{"id":"1"},"x":tru})",
    R"({"data":{"id":"1"},"x":[1,,2,]})",
    R"({"data":{"id":"1","text":"a\qb"}})",
    "{\"data\":{\"id\":\"1\"},\"x\":\"\xff\"}",
    R"({"data":{"id":"1"}} trailing)",
};

struct corpus {
  std::string body;  // lines joined by "\r\n", as the stream delivers them, plus simdjson padding
  std::size_t body_bytes = 0;
  std::vector<std::pair<std::size_t, std::size_t>> lines;  // offset, length
};

corpus load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench-extract: cannot read corpus '%s'; make one with: spillway-emu --count 100000 --dump FILE\n", path.c_str());
    std::exit(2);
  }
  corpus c;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    c.lines.emplace_back(c.body.size(), line.size());
    c.body += line;
    c.body += "\r\n";
  }
  c.body_bytes = c.body.size();
  c.body.append(simdjson::SIMDJSON_PADDING, ' ');
  return c;
}

// RapidJSON reference: data.id digits and the rule ids, from a parsed DOM.
bool reference(const rapidjson::Document& d, std::uint64_t& id, std::vector<std::string>& rules) {
  if (!d.IsObject() || !d.HasMember("data") || !d["data"].IsObject()) return false;
  const auto& data = d["data"];
  if (!data.HasMember("id") || !data["id"].IsString()) return false;
  if (!spillway::sinks::parse_post_id(data["id"].GetString(), id)) return false;
  rules.clear();
  if (d.HasMember("matching_rules") && d["matching_rules"].IsArray()) {
    for (const auto& r : d["matching_rules"].GetArray()) {
      if (r.IsObject() && r.HasMember("id") && r["id"].IsString()) rules.emplace_back(r["id"].GetString());
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--corpus") == 0 && i + 1 < argc) path = argv[++i];
    else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
  }
  if (path.empty()) {
    std::fprintf(stderr, "usage: bench-extract --corpus FILE.jsonl [--rounds N]\n");
    return 2;
  }
  const corpus c = load(path);
  const std::size_t max_line = 1 << 20;
  spillway::sinks::post_extractor extractor(max_line);

  // 1. Check: the extractor and RapidJSON agree on every Post before anything is timed.
  std::size_t disagreements = 0;
  std::vector<std::string> rules;
  for (const auto& [off, len] : c.lines) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseValidateEncodingFlag>(c.body.data() + off, len);
    std::uint64_t ref_id = 0;
    const bool ok = !d.HasParseError() && reference(d, ref_id, rules);
    const auto got = extractor.extract(c.body.data() + off, len, c.body.size() - off);
    bool same = ok == (got.kind == spillway::sinks::line_kind::post) && (!ok || got.id == ref_id);
    if (same && ok) {
      same = got.rule_count == rules.size();
      for (std::size_t r = 0; same && r < rules.size(); ++r) same = got.rules[r].id_json == "\"" + rules[r] + "\"";
    }
    disagreements += !same;
  }
  if (disagreements != 0) {
    std::fprintf(stderr, "bench-extract: the extractor and RapidJSON disagree on %zu of %zu lines; not timing\n",
                 disagreements, c.lines.size());
    return 1;
  }
  for (const char* bad : invalid_lines) {
    std::string padded(bad);
    const std::size_t len = padded.size();
    padded.append(simdjson::SIMDJSON_PADDING, ' ');
    if (extractor.extract(padded.data(), len, padded.size()).kind != spillway::sinks::line_kind::malformed) {
      std::fprintf(stderr, "bench-extract: the extractor accepted invalid JSON %s; not timing\n", bad);
      return 1;
    }
  }

  // 2. Frame + extract + validate with the production pieces (line_framer + post_extractor), bytes intact.
  timings framed;
  std::uint64_t checksum = 0;
  for (int r = 0; r < rounds; ++r) {
    spillway::ingest::line_framer framer(max_line);
    framed.measure([&] {
      framer.feed(c.body.data(), c.body_bytes, [&](const spillway::ingest::frame_event& e) {
        if (e.kind != spillway::ingest::frame_kind::line) return;
        const auto got = extractor.extract(c.body.data() + e.offset, e.length, c.body.size() - e.offset);
        checksum += got.id + got.rule_count;
      });
    });
  }

  // 3. simdjson's DOM: validates every byte too, but keeps no source positions (no raw rule tokens), so
  // it could only come on top of an extraction pass. Parsing alone, no fields read.
  timings dom_validate;
  simdjson::dom::parser dom;
  if (dom.allocate(max_line) != simdjson::SUCCESS) return 2;
  for (int r = 0; r < rounds; ++r) {
    dom_validate.measure([&] {
      for (const auto& [off, len] : c.lines) {
        simdjson::dom::element root;
        checksum += dom.parse(c.body.data() + off, len, false).get(root) == simdjson::SUCCESS;
      }
    });
  }

  // 4. RapidJSON in-situ (needs a writable copy: it unescapes in place) and DOM, same fields.
  timings insitu, rapid_dom;
  std::string scratch;
  for (int r = 0; r < rounds; ++r) {
    insitu.measure([&] {
      for (const auto& [off, len] : c.lines) {
        scratch.assign(c.body.data() + off, len);
        rapidjson::Document d;
        d.ParseInsitu(scratch.data());
        std::uint64_t id = 0;
        checksum += reference(d, id, rules) ? id + rules.size() : 0;
      }
    });
    rapid_dom.measure([&] {
      for (const auto& [off, len] : c.lines) {
        rapidjson::Document d;
        d.Parse(c.body.data() + off, len);
        std::uint64_t id = 0;
        checksum += reference(d, id, rules) ? id + rules.size() : 0;
      }
    });
  }

  const double mb = static_cast<double>(c.body_bytes) / 1e6;
  const double posts = static_cast<double>(c.lines.size());
  const auto row = [&](const char* name, const timings& t) {
    const double m = median(t.wall);
    const double cpu = median(t.cpu);
    // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for `"literal" + std::string&&`.
    std::string text = "\"";
    text += name;
    text += "\":{\"median_s\":";
    text += std::to_string(m);
    text += ",\"mb_per_s\":";
    text += std::to_string(mb / m);
    text += ",\"posts_per_s\":";
    text += std::to_string(posts / m);
    text += ",\"cpu_median_s\":";
    text += std::to_string(cpu);
    text += ",\"cpu_mb_per_s\":";
    text += std::to_string(mb / cpu);
    text += '}';
    return text;
  };
  std::printf("{\"benchmark\":\"frame+extract+validate\",\"machine\":{\"cpu\":\"%s\",\"cores\":%u},\"corpus\":{\"posts\":%zu,"
              "\"mb\":%.2f,\"mean_post_bytes\":%.0f},\"rounds\":%d,\"checked_lines\":%zu,%s,%s,%s,%s,\"checksum\":%llu}\n",
              spillway::bench::cpu_model().c_str(), std::thread::hardware_concurrency(), c.lines.size(), mb,
              static_cast<double>(c.body_bytes) / posts, rounds, c.lines.size(),
              row("framed_extract_validate", framed).c_str(), row("simdjson_dom_validate_only", dom_validate).c_str(),
              row("rapidjson_insitu_with_copy", insitu).c_str(), row("rapidjson_dom", rapid_dom).c_str(),
              static_cast<unsigned long long>(checksum));
  return 0;
}
