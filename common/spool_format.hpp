#pragma once
// spool_format: the on-disk layout of one overload-spool record, and the check that tells a whole record
// from a torn one. Pure functions over bytes; any thread.
//
// A record: header (16 bytes: u32 length, u8 kind, 3 magic bytes, i64 received_ms, little-endian as the
// host writes them — the file never leaves the machine that wrote it), the line's bytes exactly as
// received, then a u32 trailer (length ^ trailer_magic). The writer appends records with write(2) and
// publishes their end only after the write returned, so a process killed mid-write (kill -9) leaves at
// most one torn record at the tail: its header or trailer is missing or does not match, and recovery
// drops it. (A record whose bytes were damaged by the disk itself is not detected here; the pipeline's
// JSON validation sends such a line to the deadletter store.)
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace spillway::common::spool_format {

inline constexpr std::size_t header_bytes = 16;
inline constexpr std::size_t trailer_bytes = 4;
inline constexpr std::size_t overhead_bytes = header_bytes + trailer_bytes;
inline constexpr std::uint8_t magic[3] = {'S', 'P', 'L'};
inline constexpr std::uint32_t trailer_magic = 0x5350'4c21u;

struct header {
  std::uint32_t length = 0;
  std::uint8_t kind = 0;  // common::stream_item::kind of the spooled item
  std::int64_t received_ms = 0;
};

[[nodiscard]] inline std::size_t record_bytes(std::size_t length) noexcept { return overhead_bytes + length; }

// Writes one record at `out` (record_bytes(line.size()) bytes of room).
inline void encode(char* out, std::string_view line, std::uint8_t kind, std::int64_t received_ms) noexcept {
  const auto length = static_cast<std::uint32_t>(line.size());
  std::memcpy(out, &length, 4);
  out[4] = static_cast<char>(kind);
  std::memcpy(out + 5, magic, 3);
  std::memcpy(out + 8, &received_ms, 8);
  std::memcpy(out + header_bytes, line.data(), line.size());
  const std::uint32_t trailer = length ^ trailer_magic;
  std::memcpy(out + header_bytes + line.size(), &trailer, 4);
}

// The record starting at `bytes` if all of it is within `available` bytes and its framing checks out;
// nullopt for a torn or foreign record. `max_length` bounds the length field (a damaged header must not
// make the reader skip gigabytes).
[[nodiscard]] inline std::optional<header> decode(const char* bytes, std::size_t available,
                                                  std::size_t max_length) noexcept {
  if (available < header_bytes) return std::nullopt;
  header h;
  std::memcpy(&h.length, bytes, 4);
  h.kind = static_cast<std::uint8_t>(bytes[4]);
  if (std::memcmp(bytes + 5, magic, 3) != 0 || h.length > max_length) return std::nullopt;
  if (available < record_bytes(h.length)) return std::nullopt;
  std::memcpy(&h.received_ms, bytes + 8, 8);
  std::uint32_t trailer = 0;
  std::memcpy(&trailer, bytes + header_bytes + h.length, 4);
  if (trailer != (h.length ^ trailer_magic)) return std::nullopt;
  return h;
}

}  // namespace spillway::common::spool_format
