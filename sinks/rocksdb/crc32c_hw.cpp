#include "sinks/rocksdb/crc32c_hw.hpp"

#include <dlfcn.h>

#include <cstring>
#include <initializer_list>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace spillway::sinks {
namespace {

// librocksdb's `rocksdb::crc32c::Extend(uint32_t, const char*, size_t)` (util/crc32c.h), mangled.
constexpr const char* extend_symbol = "_ZN7rocksdb6crc32c6ExtendEjPKcm";

// Bit-at-a-time CRC32C (Castagnoli, reflected 0x82F63B78), RocksDB's conventions: the running value is
// inverted on entry and exit, so Extend(Extend(0, a), b) == Extend(0, a + b). Used only if librocksdb's
// own function cannot be found, which a dynamically linked librocksdb always allows.
std::uint32_t extend_bitwise(std::uint32_t init_crc, const char* data, std::size_t n) noexcept {
  std::uint32_t crc = ~init_crc;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= static_cast<unsigned char>(data[i]);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

#if defined(__x86_64__)
// The crc32 instruction has a latency of 3 cycles and a throughput of 1: one dependent chain uses a third
// of it. Long inputs (a WAL record is up to a 32 KiB block) are therefore read as stripes of three lanes,
// each its own chain, recombined with a table-driven shift: the raw CRC register after `lane_bytes` more
// bytes is shift(register) ^ crc(lane) (the register update is linear over GF(2)), and shift, the effect of
// `lane_bytes` zero bytes, is four byte-indexed tables computed once.
constexpr std::size_t lane_bytes = 256;

struct zero_shift {
  std::uint32_t table[4][256];
  [[nodiscard]] std::uint32_t operator()(std::uint32_t crc) const noexcept {
    return table[0][crc & 0xFF] ^ table[1][(crc >> 8) & 0xFF] ^ table[2][(crc >> 16) & 0xFF] ^ table[3][crc >> 24];
  }
};
zero_shift lane_shift;  // filled by chosen() before extend_sse42 can be chosen

__attribute__((target("sse4.2"))) std::uint32_t raw_crc_of_zeros(std::uint32_t crc, std::size_t n) noexcept {
  std::uint64_t c = crc;
  for (; n >= 8; n -= 8) c = _mm_crc32_u64(c, 0);
  while (n-- != 0) c = _mm_crc32_u8(static_cast<std::uint32_t>(c), 0);
  return static_cast<std::uint32_t>(c);
}

void fill_lane_shift() noexcept {
  for (unsigned byte = 0; byte < 4; ++byte) {
    for (std::uint32_t value = 0; value < 256; ++value) {
      lane_shift.table[byte][value] = raw_crc_of_zeros(value << (8 * byte), lane_bytes);
    }
  }
}

__attribute__((target("sse4.2"))) inline std::uint64_t load64(const char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

__attribute__((target("sse4.2"))) std::uint32_t extend_sse42(std::uint32_t init_crc, const char* data,
                                                            std::size_t n) noexcept {
  std::uint64_t crc = ~init_crc;
  // Byte steps to an 8-byte boundary, then 8 bytes per instruction (RocksDB's WAL records are unaligned).
  while (n != 0 && (reinterpret_cast<std::uintptr_t>(data) & 7u) != 0) {
    crc = _mm_crc32_u8(static_cast<std::uint32_t>(crc), static_cast<unsigned char>(*data++));
    --n;
  }
  for (; n >= 3 * lane_bytes; n -= 3 * lane_bytes, data += 3 * lane_bytes) {
    std::uint64_t a = crc, b = 0, c = 0;
    for (std::size_t i = 0; i < lane_bytes; i += 8) {
      a = _mm_crc32_u64(a, load64(data + i));
      b = _mm_crc32_u64(b, load64(data + lane_bytes + i));
      c = _mm_crc32_u64(c, load64(data + 2 * lane_bytes + i));
    }
    crc = lane_shift(lane_shift(static_cast<std::uint32_t>(a)) ^ static_cast<std::uint32_t>(b)) ^
          static_cast<std::uint32_t>(c);
  }
  for (; n >= 8; n -= 8, data += 8) crc = _mm_crc32_u64(crc, load64(data));
  while (n-- != 0) crc = _mm_crc32_u8(static_cast<std::uint32_t>(crc), static_cast<unsigned char>(*data++));
  return ~static_cast<std::uint32_t>(crc);
}
#endif

struct choice {
  crc32c_extend_fn extend = extend_bitwise;
  crc32c_implementation info;
};

// The hardware function must give librocksdb's results, or the WAL written now would not read back with
// an unpatched build (and vice versa): a known vector (RFC 3720's "123456789" → 0xE3069283) and a few
// lengths, offsets and seeds are compared before it is chosen.
bool agrees(crc32c_extend_fn candidate, crc32c_extend_fn reference) noexcept {
  if (candidate(0, "123456789", 9) != 0xE3069283u) return false;
  if (reference == nullptr) return true;
  char bytes[2000];
  for (std::size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<char>(i * 131u + 7u);
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t length : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 255u, 767u, 768u, 769u, 1536u, 1990u}) {
      const auto seed = static_cast<std::uint32_t>(offset * 0x9E3779B9u);
      if (candidate(seed, bytes + offset, length) != reference(seed, bytes + offset, length)) return false;
    }
  }
  return true;
}

const choice& chosen() noexcept {
  static const choice c = [] {
    choice made;
    const crc32c_extend_fn library = librocksdb_crc32c();
    if (library != nullptr) {
      made.extend = library;
      made.info.name = "librocksdb's own";
    }
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) {
      fill_lane_shift();
      if (agrees(extend_sse42, library)) {
        made.extend = extend_sse42;
        made.info.hardware = true;
        made.info.name = "SSE4.2 (Spillway's, in place of librocksdb's table loop)";
      }
    }
#endif
    if (made.info.name[0] == '\0') made.info.name = "bitwise (librocksdb's own not found)";
    return made;
  }();
  return c;
}

}  // namespace

crc32c_extend_fn librocksdb_crc32c() noexcept {
  return reinterpret_cast<crc32c_extend_fn>(dlsym(RTLD_NEXT, extend_symbol));
}

}  // namespace spillway::sinks

#if defined(__x86_64__)
// The interposing definition (declared in crc32c_hw.hpp exactly as util/crc32c.h declares it).
namespace rocksdb::crc32c {
std::uint32_t Extend(std::uint32_t init_crc, const char* data, std::size_t n) {
  return spillway::sinks::chosen().extend(init_crc, data, n);
}
}  // namespace rocksdb::crc32c
#endif

namespace spillway::sinks {

crc32c_implementation crc32c_in_use() noexcept {
  crc32c_implementation info = chosen().info;
#if defined(__x86_64__)
  // What librocksdb's PLT binds to: the first definition in the global lookup scope.
  info.interposed = dlsym(RTLD_DEFAULT, extend_symbol) == reinterpret_cast<void*>(&rocksdb::crc32c::Extend);
#endif
  if (!info.interposed) {
    info.hardware = false;
    info.name = "librocksdb's own";
  }
  return info;
}

}  // namespace spillway::sinks
