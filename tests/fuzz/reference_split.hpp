#pragma once
// The naive reference splitter the framing targets compare against (line_framer_fuzz, response_fuzz):
// the whole body at once, '\n' ends a line, one '\r' before it is dropped, an empty line is a heartbeat,
// a line longer than max_line is oversize. Obviously right rather than fast. Header-only, test code.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/stream/line_framer.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace spillway::fuzz {

struct frame {
  ingest::frame_kind kind;
  std::string text;  // line: the line; oversize: the framer's sample, or the reference's whole raw line
};

struct framing {
  std::vector<frame> events;
  std::string pending;  // the unterminated tail (empty when discarding)
  bool discarding = false;
};

inline framing reference_split(std::string_view body, std::size_t max_line) {
  using ingest::frame_kind;
  framing out;
  std::size_t pos = 0;
  for (std::size_t nl = body.find('\n'); nl != std::string_view::npos; nl = body.find('\n', pos)) {
    const std::string_view raw = body.substr(pos, nl - pos);
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) out.events.push_back({frame_kind::heartbeat, {}});
    else if (line.size() > max_line) out.events.push_back({frame_kind::oversize, std::string(raw)});
    else out.events.push_back({frame_kind::line, std::string(line)});
    pos = nl + 1;
  }
  // The framer gives up on a tail once it is longer than max_line + 1 (the +1: a '\r' may still end it).
  const std::string_view tail = body.substr(pos);
  if (tail.size() > max_line + 1) {
    out.events.push_back({frame_kind::oversize, std::string(tail)});
    out.discarding = true;
  } else {
    out.pending = tail;
  }
  return out;
}

// One framed event against the reference's: equal kinds; a line equal; an oversize sample a prefix of the
// raw line, at least min(256, max_line + 1) bytes (the framer may report early, before the '\n').
inline void check_frame(const frame& ref, const frame& got, std::size_t max_line) {
  FUZZ_CHECK(got.kind == ref.kind, ref.text);
  if (ref.kind != ingest::frame_kind::oversize) {
    FUZZ_CHECK(got.text == ref.text, got.text);
    return;
  }
  constexpr std::size_t sample = ingest::line_framer::oversize_sample_bytes;
  FUZZ_CHECK(got.text.size() >= std::min(sample, max_line + 1) && got.text.size() <= sample, got.text);
  FUZZ_CHECK(std::string_view(ref.text).substr(0, got.text.size()) == got.text, got.text);
}

}  // namespace spillway::fuzz
