#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "ingest/stream/line_framer.hpp"
#include "tests/support/testdata.hpp"

using spillway::ingest::frame_event;
using spillway::ingest::frame_kind;
using spillway::ingest::line_framer;

namespace {

struct framed {
  std::vector<std::string> lines;
  int heartbeats = 0;
  std::vector<std::string> oversize_samples;
  std::string leftover;
};

// Feeds `body` into a growing buffer in the given piece sizes, as reads would deliver it.
framed frame(const std::string& body, const std::vector<std::size_t>& pieces, std::size_t max_line = 1 << 20) {
  line_framer framer(max_line);
  framed out;
  std::string buf;
  std::size_t pos = 0;
  auto on = [&](const frame_event& e) {
    switch (e.kind) {
      case frame_kind::line: out.lines.emplace_back(buf.substr(e.offset, e.length)); break;
      case frame_kind::heartbeat: ++out.heartbeats; break;
      case frame_kind::oversize: out.oversize_samples.emplace_back(buf.substr(e.offset, e.length)); break;
    }
  };
  for (auto n : pieces) {
    n = std::min(n, body.size() - pos);
    buf.append(body, pos, n);
    pos += n;
    framer.feed(buf.data(), buf.size(), on);
  }
  if (pos < body.size()) {
    buf.append(body, pos);
    framer.feed(buf.data(), buf.size(), on);
  }
  out.leftover = buf.substr(framer.pending_begin());
  return out;
}

}  // namespace

TEST_CASE("framer table", "[framer]") {
  struct row {
    const char* name;
    std::string body;
    std::vector<std::string> lines;
    int heartbeats;
    std::string leftover;
  };
  const std::vector<row> table = {
      {"crlf", "{\"a\":1}\r\n{\"b\":2}\r\n", {"{\"a\":1}", "{\"b\":2}"}, 0, ""},
      {"bare lf", "{\"a\":1}\n{\"b\":2}\n", {"{\"a\":1}", "{\"b\":2}"}, 0, ""},
      {"mixed endings", "{\"a\":1}\r\n{\"b\":2}\n", {"{\"a\":1}", "{\"b\":2}"}, 0, ""},
      {"heartbeats", "\r\n\r\n{\"a\":1}\r\n\r\n", {"{\"a\":1}"}, 3, ""},
      {"bare lf heartbeat", "\n", {}, 1, ""},
      {"empty body", "", {}, 0, ""},
      {"partial tail", "{\"a\":1}\r\n{\"b\":", {"{\"a\":1}"}, 0, "{\"b\":"},
      {"tail ends in cr", "{\"a\":1}\r", {}, 0, "{\"a\":1}\r"},
  };
  for (const auto& r : table) {
    INFO(r.name);
    const auto out = frame(r.body, {r.body.size()});
    CHECK(out.lines == r.lines);
    CHECK(out.heartbeats == r.heartbeats);
    CHECK(out.leftover == r.leftover);
    // Byte-at-a-time must give the same answer.
    const auto slow = frame(r.body, std::vector<std::size_t>(r.body.size() + 1, 1));
    CHECK(slow.lines == r.lines);
    CHECK(slow.heartbeats == r.heartbeats);
  }
}

TEST_CASE("framer max line size", "[framer]") {
  const std::string big(100, 'x');
  SECTION("a complete line over the limit is reported with a sample, the stream goes on") {
    const auto out = frame(big + "\r\n{\"ok\":1}\r\n", {1000}, 50);
    CHECK(out.lines == std::vector<std::string>{"{\"ok\":1}"});
    REQUIRE(out.oversize_samples.size() == 1);
    CHECK(out.oversize_samples[0] == big);  // shorter than the 256-byte sample cap
  }
  SECTION("a line exactly at the limit passes") {
    const auto out = frame(std::string(50, 'y') + "\r\n", {1000}, 50);
    CHECK(out.lines.size() == 1);
    CHECK(out.oversize_samples.empty());
  }
  SECTION("a runaway line arriving in pieces is dropped once, without buffering") {
    const std::string huge(10'000, 'z');
    const auto out = frame(huge + "\r\n{\"ok\":2}\r\n", std::vector<std::size_t>(200, 64), 1000);
    CHECK(out.oversize_samples.size() == 1);
    CHECK(out.oversize_samples[0].size() == line_framer::oversize_sample_bytes);
    CHECK(out.lines == std::vector<std::string>{"{\"ok\":2}"});
  }
}

TEST_CASE("framer recovers every real payload at random split points", "[framer][property]") {
  const auto payloads = spillway::testing::stream_payloads();
  REQUIRE(payloads.size() >= 7);
  std::string body;
  std::vector<std::string> expected;
  std::mt19937 rng(12345);
  for (int round = 0; round < 40; ++round) {
    for (const auto& [name, line] : payloads) {
      body += line;
      body += (rng() % 4 == 0) ? "\n" : "\r\n";
      expected.push_back(line);
      if (rng() % 5 == 0) body += "\r\n";  // heartbeat
    }
  }
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::size_t> pieces;
    std::size_t total = 0;
    while (total < body.size()) {
      const std::size_t n = 1 + rng() % (trial % 2 == 0 ? 17 : 4000);
      pieces.push_back(n);
      total += n;
    }
    const auto out = frame(body, pieces);
    REQUIRE(out.lines.size() == expected.size());
    CHECK(out.lines == expected);
    CHECK(out.leftover.empty());
  }
}
