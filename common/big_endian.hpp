#pragma once
// big_endian: the one codec for the 8-byte big-endian integers in RocksDB keys and values (Post ids, gap
// times, outbox received_at, deadletter sequence numbers). Big-endian so that RocksDB's bytewise order
// is numeric order: ids, and therefore time, sort the way they were made.
// Pure, constexpr-friendly, any thread.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace spillway::common {

using be64_bytes = std::array<char, 8>;

[[nodiscard]] constexpr be64_bytes encode_be64(std::uint64_t v) noexcept {
  be64_bytes out{};
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

// Appends the 8 bytes to `out` (for composite keys such as "gap/" + time).
inline void append_be64(std::string& out, std::uint64_t v) {
  const auto b = encode_be64(v);
  out.append(b.data(), b.size());
}

// Reads the first 8 bytes of `bytes`; the caller checks the size (decode_be64_exact does).
[[nodiscard]] constexpr std::uint64_t read_be64(const char* bytes) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

// 0 unless `bytes` is exactly 8 bytes long.
[[nodiscard]] constexpr std::uint64_t decode_be64_exact(std::string_view bytes) noexcept {
  return bytes.size() == 8 ? read_be64(bytes.data()) : 0;
}

}  // namespace spillway::common
