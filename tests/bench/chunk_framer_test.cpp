// ChunkFramer: framing decodes back to the input, boundaries do not follow lines, leftovers wait.
#include <catch2/catch.hpp>

#include "bench/emu/chunk_framer.hpp"
#include "tests/bench/emu_test_client.hpp"

using spillway::emu::ChunkFramer;
using spillway::emu::test::ChunkDecoder;

TEST_CASE("append_chunk writes hex size, data, CRLF, empty data writes nothing", "[bench][framer]") {
  const struct {
    std::string data, framed;
  } table[] = {{"a", "1\r\na\r\n"}, {"\r\n", "2\r\n\r\n\r\n"}, {std::string(26, 'x'), "1a\r\n" + std::string(26, 'x') + "\r\n"},
               {"", ""}};
  for (const auto& row : table) {
    std::string out;
    ChunkFramer::append_chunk(row.data, out);
    CHECK(out == row.framed);
  }
  std::string end;
  ChunkFramer::append_last_chunk(end);
  CHECK(end == "0\r\n\r\n");
}

TEST_CASE("framed stream decodes to the input and chunk ends fall mid-line", "[bench][framer]") {
  std::string input;
  for (int i = 0; i < 3000; ++i) input += "{\"data\":{\"id\":\"" + std::to_string(1000000 + i) + "\",\"text\":\"" + std::string(std::size_t(i % 700), 'y') + "\"}}\r\n";
  ChunkFramer framer(11);
  std::string framed;
  std::size_t used = 0;
  // Feed in uneven slices, as the session does with batches; only the last call flushes.
  for (std::size_t step = 1; used < input.size();) {
    const std::size_t upto = std::min(input.size(), used + step * 977);
    const bool last = upto == input.size();
    used += framer.frame(std::string_view(input).substr(used, upto - used), last, framed);
    step = step * 3 % 101 + 1;
  }
  ChunkFramer::append_last_chunk(framed);
  ChunkDecoder dec;
  dec.feed(framed);
  REQUIRE_FALSE(dec.error());
  REQUIRE(dec.done());
  CHECK(dec.body() == input);
  std::size_t off = 0, aligned = 0;
  for (auto n : dec.chunk_sizes()) {
    off += n;
    aligned += input.compare(off - 2, 2, "\r\n") == 0;
  }
  CHECK(dec.chunk_sizes().size() > 20);
  CHECK(aligned < dec.chunk_sizes().size() / 4);
}

TEST_CASE("without flush a tail shorter than the next chunk stays pending", "[bench][framer]") {
  ChunkFramer framer(5);
  std::string out;
  CHECK(framer.frame("abc", false, out) <= 3);
  std::string small(1, 'z');
  out.clear();
  const auto used = framer.frame(small, true, out);
  CHECK(used == 1);
  CHECK(out == "1\r\nz\r\n");
}
