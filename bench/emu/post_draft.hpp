#pragma once
// PostDraftMaker: writes one realistic filtered-stream message as JSON, with id and created_at left
// as placeholders (see post_pool.hpp). Sizes follow a mixture with a mean near 1.5 KB and stay in
// 300 B–6 KB: a size target is drawn first, then optional parts (context annotations, included users,
// Posts and media, rich URL metadata) are added until the message reaches it.
// Field order varies per message: alphabetical like most captures, or shuffled like older ones.
// Holds only the reference time; used at start-up by PostPool on one thread.

#include <cstdint>
#include <string>

#include "bench/emu/rng.hpp"

namespace spillway::emu {

inline constexpr std::size_t kMinPostBytes = 300;
inline constexpr std::size_t kMaxPostBytes = 6000;

class PostDraftMaker {
 public:
  explicit PostDraftMaker(std::int64_t reference_ms) : reference_ms_(reference_ms) {}
  std::string make(Rng& rng) const;

 private:
  std::int64_t reference_ms_;
};

}  // namespace spillway::emu
