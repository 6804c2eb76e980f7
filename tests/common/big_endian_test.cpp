// big_endian: the one codec of RocksDB keys and values — byte order, round trips, and sizes it refuses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/big_endian.hpp"

using namespace spillway::common;

namespace {
std::string bytes_of(std::uint64_t v) {
  const auto b = encode_be64(v);
  return {b.data(), b.size()};
}
}  // namespace

TEST_CASE("big_endian: most significant byte first, and back", "[big_endian]") {
  CHECK(bytes_of(0x0102030405060708) == std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  for (const std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{255}, std::uint64_t{256},
                                std::uint64_t{1800000000000000001ull}, ~std::uint64_t{0}}) {
    CHECK(decode_be64_exact(bytes_of(v)) == v);
  }
  static_assert(read_be64(encode_be64(0xfedcba9876543210).data()) == 0xfedcba9876543210);
}

TEST_CASE("big_endian: bytewise order is numeric order (RocksDB keys sort by id)", "[big_endian]") {
  std::vector<std::uint64_t> ids = {1800000000000000002ull, 3, 256, 255, 1ull << 40, 1800000000000000001ull, 0};
  std::vector<std::string> keys;
  for (auto id : ids) keys.push_back(bytes_of(id));
  std::sort(ids.begin(), ids.end());
  std::sort(keys.begin(), keys.end());  // std::string compares as unsigned bytes (char_traits<char>)
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(decode_be64_exact(keys[i]) == ids[i]);
}

TEST_CASE("big_endian: decode_be64_exact refuses anything but 8 bytes - append_be64 composes keys",
          "[big_endian]") {
  CHECK(decode_be64_exact(std::string_view("\x01\x02\x03", 3)) == 0);
  CHECK(decode_be64_exact(std::string(9, '\x01')) == 0);
  CHECK(decode_be64_exact({}) == 0);
  std::string key = "gap/";
  append_be64(key, 0x1122334455667788);
  REQUIRE(key.size() == 12);
  CHECK(key.substr(0, 4) == "gap/");
  CHECK(decode_be64_exact(std::string_view(key).substr(4)) == 0x1122334455667788);
}
