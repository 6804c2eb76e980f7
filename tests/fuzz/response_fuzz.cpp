// Property: raw response bytes → Beast's response parser → ingest::line_publisher → the ring, read the way
// stream_session reads the stream (read_header, then read_some with the body decoded straight into the
// publisher's slab memory), with read sizes derived from the input and slabs just big enough to rotate
// every few lines (the one copy):
//   - what the ring carries is exactly the reference splitter's view of the body Beast decoded: each line
//     with its bytes, each oversize line as a sample, the unterminated tail as `truncated` at the end,
//     and every slab handed back (slab_retired) after its last line;
//   - every read makes progress (no hang), no item points outside its slab (ASan), and the whole run stays
//     under libFuzzer's -rss_limit_mb.
// Only a 200 with a chunked JSON body reaches the publisher, as in the session; other answers end there.
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/metrics.hpp"
#include "common/slab_pool.hpp"
#include "common/spsc_ring.hpp"
#include "common/stream_item.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/reference_split.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
using spillway::common::stream_item;
using spillway::fuzz::framing;
using spillway::fuzz::input_rng;
using spillway::ingest::frame_kind;
using spillway::ingest::line_publisher;

namespace {

// Shared by every run: the registry hands out the same cells by name, and the ring is empty between runs.
spillway::common::metrics_registry& metrics() {
  static spillway::common::metrics_registry registry;
  return registry;
}
spillway::common::spsc_ring<stream_item>& ring() {
  // One read is at most a slab (< 80 KiB here); every other byte can end a line: room for all its lines.
  static spillway::common::spsc_ring<stream_item> r(std::size_t{1} << 17);
  return r;
}

// The pipeline's side, reduced to what the property needs: copy each item out, hand slabs back.
struct consumer {
  spillway::common::slab_pool& pool;
  framing got;
  bool truncated_seen = false;

  void drain() {
    while (stream_item* item = ring().front()) {
      FUZZ_CHECK(item->owner != nullptr, "item without a slab");
      if (item->what != stream_item::kind::slab_retired) {
        FUZZ_CHECK(std::size_t{item->offset} + item->length <= item->owner->capacity, "item outside its slab");
        FUZZ_CHECK(!truncated_seen, "an item after the truncated tail");
      }
      const std::string bytes(item->bytes(), item->length);
      switch (item->what) {
        case stream_item::kind::line: got.events.push_back({frame_kind::line, bytes}); break;
        case stream_item::kind::oversize: got.events.push_back({frame_kind::oversize, bytes}); break;
        case stream_item::kind::truncated:
          got.pending = bytes;
          truncated_seen = true;
          break;
        case stream_item::kind::slab_retired: pool.release(item->owner); break;
      }
      ring().pop();
    }
  }
};

void check_against_reference(const std::string& decoded, std::size_t max_line, const framing& got) {
  framing ref = spillway::fuzz::reference_split(decoded, max_line);
  std::erase_if(ref.events, [](const auto& e) { return e.kind == frame_kind::heartbeat; });  // counted, not queued
  FUZZ_CHECK(got.events.size() == ref.events.size(), "item count differs from the reference splitter");
  for (std::size_t i = 0; i < ref.events.size(); ++i) spillway::fuzz::check_frame(ref.events[i], got.events[i], max_line);
  FUZZ_CHECK(got.pending == ref.pending, got.pending);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  input_rng rng(spillway::fuzz::fnv1a(input));
  const std::size_t max_line = 16 + rng.below(1024);

  boost::asio::io_context io;
  beast::test::stream stream(io, input);
  stream.close_remote();  // after the input: EOF, as when the server closes the connection
  stream.read_size(1 + rng.below(512));
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // as stream_session: the stream body never ends
  beast::error_code ec;
  http::read_header(stream, buffer, parser, ec);
  if (ec || parser.get().result_int() != 200 || !parser.chunked() ||
      parser.get()[http::field::content_type].find("json") == std::string_view::npos) {
    return 0;  // the session ends here with a protocol or HTTP error; nothing reaches the publisher
  }

  // Slabs just big enough for the publisher: it rotates as soon as a read would leave < 64 KiB of room.
  spillway::common::slab_pool pool(max_line + 2 + line_publisher::min_read_bytes, 4);
  consumer pipeline{pool, {}};
  std::string decoded;  // what Beast wrote into the slabs, in order
  {
    line_publisher publisher(ring(), pool, max_line, metrics());
    for (std::size_t reads = 0;; ++reads) {
      FUZZ_CHECK(reads <= size + 2, "a read made no progress");
      const auto room = publisher.writable();
      auto& body = parser.get().body();
      body.data = room.data();
      body.size = room.size();
      body.more = true;
      stream.read_size(1 + rng.below(4096));
      http::read_some(stream, buffer, parser, ec);
      const std::size_t got = room.size() - body.size;
      decoded.append(room.data(), got);
      if (got != 0) publisher.commit(got, 0);
      pipeline.drain();
      if (ec == http::error::need_buffer) ec = {};
      if (parser.is_done() || ec) break;
    }
    publisher.end_of_body(0);
    pipeline.drain();
  }
  FUZZ_CHECK(decoded.size() <= size, "the decoded body is longer than the response");
  check_against_reference(decoded, max_line, pipeline.got);
  FUZZ_CHECK(ring().front() == nullptr, "items left in the ring");
  return 0;
}
