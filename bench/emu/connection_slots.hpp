#pragma once
// ConnectionSlots: X's concurrent-connection limit on the filtered stream (1 connection below
// Enterprise). A stream the server ended frees its slot at once; one the client dropped keeps
// counting for reap_ms (X notices a dead socket only after a while: XAPI.md records 429
// TooManyConnections right after a client-side kill, and success ~5 s later).
// A lingering slot can be forgotten (the Connections API killed that connection: X stops counting it).
// Time is passed in (monotonic ms) so tests need no sleeping. Used on the emulator's io thread.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace spillway::emu {

class ConnectionSlots {
 public:
  ConnectionSlots(int max_connections, std::int64_t reap_ms) : max_(max_connections), reap_ms_(reap_ms) {}

  // True (and the slot is taken) when a new stream may start now.
  bool try_acquire(std::int64_t now_ms) {
    std::erase_if(lingering_, [&](const Lingering& l) { return l.until <= now_ms; });
    if (max_ > 0 && active_ + int(lingering_.size()) >= max_) return false;
    ++active_;
    return true;
  }
  // dropped_by_client: the peer went away (write failed); the slot lingers for reap_ms. `no`: the
  // connection's number, for forget().
  void release(std::int64_t now_ms, bool dropped_by_client, std::uint64_t no = 0) {
    --active_;
    if (dropped_by_client && reap_ms_ > 0) lingering_.push_back({now_ms + reap_ms_, no});
  }
  // Connection `no` no longer lingers (killed through the Connections API).
  void forget(std::uint64_t no) {
    std::erase_if(lingering_, [&](const Lingering& l) { return l.no == no; });
  }
  std::int64_t reap_ms() const { return reap_ms_; }
  int in_use() const { return active_ + int(lingering_.size()); }

 private:
  int max_;  // 0 = no limit
  std::int64_t reap_ms_;
  int active_ = 0;
  struct Lingering {
    std::int64_t until;
    std::uint64_t no;
  };
  std::vector<Lingering> lingering_;
};

}  // namespace spillway::emu
