#pragma once
// delivery_set: which of the redundant connections are delivering, and the two moments the gap ledger
// cares about — the first connection delivering again after all were down (a gap closes), and the last one
// stopping (a gap opens). One connection down while another delivers is no gap: the other carries a full
// copy of the stream.
//
// Owns: one flag per connection. Pure: no clock, no lock; the caller serialises (ingest/stream/redundant_gaps).
// Thread: its owner's.
#include <algorithm>
#include <cstddef>
#include <vector>

namespace spillway::reconnect {

class delivery_set {
 public:
  // `connections` >= 1; none is delivering at start (nothing has arrived yet).
  explicit delivery_set(std::size_t connections) : delivering_(connections, false) {}

  // Connection `c` delivered data. True when no connection was delivering before: delivery resumes.
  bool delivered(std::size_t c) {
    const bool resumed = !any();
    delivering_.at(c) = true;
    return resumed;
  }
  // Connection `c`'s session ended (or was held). True when no connection delivers any more: delivery
  // stopped (also when `c` itself was not delivering, e.g. a refused connect while the other is down).
  bool stopped(std::size_t c) {
    delivering_.at(c) = false;
    return !any();
  }
  [[nodiscard]] bool any() const { return std::ranges::any_of(delivering_, [](bool d) { return d; }); }
  [[nodiscard]] bool delivering(std::size_t c) const { return delivering_.at(c); }
  [[nodiscard]] std::size_t size() const noexcept { return delivering_.size(); }

 private:
  std::vector<bool> delivering_;
};

}  // namespace spillway::reconnect
