#pragma once
// member_set: the names already seen in one JSON object, to find a duplicate key in one pass.
//
// RFC 8259 §4 says names SHOULD be unique and that parsers then disagree: RapidJSON's FindMember and
// simdjson take the first, most others (Python, JavaScript, Jackson) the last. For the objects Spillway
// reads (the top level, `data`, a matching rule, an error) a duplicate would make the Kafka key or the
// rule headers differ from what a consumer parses, so post_extractor rejects it.
//
// Owns: a fixed open-addressing table (no allocation, ever); clear() is O(1) by generation stamp.
// Thread: the extractor's thread. Must outlive it: the bytes each added name points into (the line, or
// simdjson's string buffer for an unescaped name) until the next clear().
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace spillway::sinks {

class member_set {
 public:
  // An object with more names than this is refused rather than checked slowly (X's Post has < 40).
  static constexpr std::size_t max_members = 128;

  enum class outcome : std::uint8_t { added, duplicate, full };

  void clear() noexcept {
    count_ = 0;
    if (++generation_ == 0) {  // wrapped: stale stamps could alias, so wipe once every 2^32 objects
      slots_.fill(slot{});
      generation_ = 1;
    }
  }

  [[nodiscard]] outcome add(std::string_view name) noexcept {
    const std::uint64_t hash = hash_of(name);
    for (std::size_t i = static_cast<std::size_t>(hash) & mask;; i = (i + 1) & mask) {
      slot& s = slots_[i];
      if (s.generation != generation_) {
        if (count_ == max_members) return outcome::full;
        s = slot{generation_, hash, name};
        ++count_;
        return outcome::added;
      }
      if (s.hash == hash && s.name == name) return outcome::duplicate;
    }
  }

 private:
  // Twice max_members, so a probe always ends at an empty slot (load factor <= 1/2).
  static constexpr std::size_t table_size = 2 * max_members;
  static constexpr std::size_t mask = table_size - 1;
  static_assert((table_size & mask) == 0, "table_size must be a power of two");

  struct slot {
    std::uint32_t generation = 0;
    std::uint64_t hash = 0;
    std::string_view name;
  };

  // Names are attacker-chosen: every byte is hashed (64 bits, eight bytes a step), so names that share a
  // long prefix are told apart without comparing them; at worst (crafted collisions) one object costs
  // max_members^2 / 2 comparisons, each bounded by the line's own length.
  static std::uint64_t hash_of(std::string_view s) noexcept {
    constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio
    const char* p = s.data();
    const std::size_t n = s.size();
    std::uint64_t h = n * k;
    if (n >= 8) {
      for (std::size_t i = 0; i + 8 < n; i += 8) h = mix(h, load(p + i, 8));
      h = mix(h, load(p + n - 8, 8));  // the last 8 bytes, overlapping the loop's: no byte-wise tail
    } else if (n >= 4) {
      h = mix(h, load(p, 4) | (load(p + n - 4, 4) << 32));
    } else if (n > 0) {
      h = mix(h, static_cast<unsigned char>(p[0]) | (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
                     (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16));
    }
    return h ^ (h >> 32);
  }
  static std::uint64_t load(const char* p, std::size_t n) noexcept {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);  // n is 4 or 8 at each call: a single load
    return w;
  }
  static std::uint64_t mix(std::uint64_t h, std::uint64_t w) noexcept {
    return std::rotl((h ^ w) * 0x9E3779B97F4A7C15ull, 29);
  }

  std::array<slot, table_size> slots_{};
  std::uint32_t generation_ = 1;
  std::size_t count_ = 0;
};

}  // namespace spillway::sinks
