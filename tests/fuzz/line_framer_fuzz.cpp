// Property: ingest::line_framer, fed the input in pieces at split points derived from the input bytes
// (and with its buffer compacted + rebase()d at points derived the same way, as line_publisher does when
// a slab rotates), reports exactly what a naive reference splitter finds in the whole input:
//   - every '\n'-terminated line in order, one trailing '\r' removed; an empty one is a heartbeat;
//   - a line longer than max_line_bytes as one `oversize` event whose sample is a prefix of the line, of
//     at least min(256, max_line_bytes + 1) and at most 256 bytes;
//   - after the last '\n': the unterminated tail as pending bytes, or, when it is already longer than
//     max_line_bytes + 1, one oversize event and discarding() == true.
// Each input is framed three times: a small, a medium and a huge max_line_bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/stream/line_framer.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/reference_split.hpp"

using spillway::fuzz::framing;
using spillway::fuzz::input_rng;
using spillway::ingest::frame_event;
using spillway::ingest::frame_kind;
using spillway::ingest::line_framer;

namespace {

framing frame_in_pieces(std::string_view body, std::size_t max_line, input_rng& rng, std::uint64_t max_piece) {
  line_framer framer(max_line);
  framing out;
  std::string buf;  // plays the slab: offsets in events are into it
  const auto on_event = [&](const frame_event& e) {
    FUZZ_CHECK(e.offset + e.length <= buf.size(), "event outside the buffer");
    out.events.push_back({e.kind, buf.substr(e.offset, e.length)});
  };
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng.below(max_piece), body.size() - pos);
    buf.append(body.substr(pos, n));
    pos += n;
    framer.feed(buf.data(), buf.size(), on_event);
    FUZZ_CHECK(framer.pending_begin() <= buf.size(), "pending_begin past the end");
    if (rng.below(4) == 0) {  // the slab rotated: the tail moves to offset 0 of a fresh buffer
      buf.erase(0, framer.pending_begin());
      framer.rebase();
    }
  }
  out.discarding = framer.discarding();
  out.pending = out.discarding ? std::string() : buf.substr(framer.pending_begin());
  return out;
}

void check_same(const framing& ref, const framing& got, std::size_t max_line) {
  FUZZ_CHECK(got.events.size() == ref.events.size(), "event count differs from the reference splitter");
  for (std::size_t i = 0; i < ref.events.size(); ++i) spillway::fuzz::check_frame(ref.events[i], got.events[i], max_line);
  FUZZ_CHECK(got.discarding == ref.discarding, "discarding() differs from the reference");
  FUZZ_CHECK(got.pending == ref.pending, got.pending);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  input_rng rng(spillway::fuzz::fnv1a(body));
  // Small limits make oversize lines (and their early detection) common; the huge one never triggers.
  const std::size_t limits[] = {1 + rng.below(48), 64 + rng.below(2048), std::size_t{1} << 20};
  const std::uint64_t max_pieces[] = {8, 300, 70'000};
  for (std::size_t i = 0; i < 3; ++i) {
    const framing ref = spillway::fuzz::reference_split(body, limits[i]);
    const framing got = frame_in_pieces(body, limits[i], rng, max_pieces[i]);
    check_same(ref, got, limits[i]);
  }
  return 0;
}
