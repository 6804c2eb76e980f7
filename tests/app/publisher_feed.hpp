#pragma once
// Test support for the publisher → pipeline tests: a Post line with a given id, and the reader thread's part
// of a session — a body handed to a line_publisher in random pieces (1..3000 bytes), then its end.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "ingest/stream/line_publisher.hpp"

namespace spillway::testing {

inline std::string post_line(std::uint64_t id, std::size_t filler, char fill = 'a') {
  return R"({"data":{"id":")" + std::to_string(id) + R"(","text":")" + std::string(filler, fill) +
         R"( \ud83d\ude00"},"matching_rules":[{"id":"5","tag":"t"}]})";
}

inline void feed_in_pieces(ingest::line_publisher& publisher, const std::string& body, std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (std::size_t pos = 0; pos < body.size();) {
    auto room = publisher.writable();
    const std::size_t n = std::min({room.size(), body.size() - pos, std::size_t{1} + rng() % 3000});
    std::memcpy(room.data(), body.data() + pos, n);
    publisher.commit(n, 1700000000000);
    pos += n;
  }
  publisher.end_of_body(1700000000001);
}

}  // namespace spillway::testing
