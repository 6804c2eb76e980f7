#pragma once
// Rng: a tiny seeded generator (splitmix64) with the few helpers the generator needs.
// Why not <random>: std distributions are implementation-defined, and the emulator promises
// byte-identical output for a seed; splitmix64 with our own range mapping is identical everywhere.
// Owns only its 64-bit state; not thread-safe (each user holds its own).

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace spillway::emu {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    return mix(z);
  }
  // Stateless mix, used to pick a template for Post number n without sequential state.
  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); the modulo bias (< 2^-40 for our n) is irrelevant here.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  // Uniform in [lo, hi] inclusive.
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
  template <typename T, std::size_t N>
  const T& pick(const T (&a)[N]) { return a[below(N)]; }
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  std::uint64_t state_;
};

}  // namespace spillway::emu
