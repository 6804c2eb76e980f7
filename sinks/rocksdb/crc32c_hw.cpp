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
__attribute__((target("sse4.2"))) std::uint32_t extend_sse42(std::uint32_t init_crc, const char* data,
                                                            std::size_t n) noexcept {
  std::uint64_t crc = ~init_crc;
  // Byte steps to an 8-byte boundary, then 8 bytes per instruction (RocksDB's WAL records are unaligned).
  while (n != 0 && (reinterpret_cast<std::uintptr_t>(data) & 7u) != 0) {
    crc = _mm_crc32_u8(static_cast<std::uint32_t>(crc), static_cast<unsigned char>(*data++));
    --n;
  }
  for (; n >= 8; n -= 8, data += 8) {
    std::uint64_t word;
    std::memcpy(&word, data, sizeof word);
    crc = _mm_crc32_u64(crc, word);
  }
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
  char bytes[300];
  for (std::size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<char>(i * 131u + 7u);
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t length : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 255u}) {
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
    if (__builtin_cpu_supports("sse4.2") && agrees(extend_sse42, library)) {
      made.extend = extend_sse42;
      made.info.hardware = true;
      made.info.name = "SSE4.2 (Spillway's, in place of librocksdb's table loop)";
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
// The interposing definition. Its declaration matches util/crc32c.h exactly (librocksdb 7.x), so the
// mangled name is the one librocksdb imports through its PLT.
namespace rocksdb::crc32c {
std::uint32_t Extend(std::uint32_t init_crc, const char* data, std::size_t n);
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
