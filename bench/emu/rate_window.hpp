#pragma once
// RateWindow: one of X's per-endpoint request limits, e.g. 50 stream connects per 15-minute window
// (--limit-*, --rate-window-s). The window opens at the first request and resets when its end
// passes (what the x-rate-limit-* headers describe).
// Time is passed in (Unix seconds) so tests need no sleeping. Used on the emulator's io thread.

#include <cstdint>

#include "bench/emu/x_responses.hpp"

namespace spillway::emu {

class RateWindow {
 public:
  explicit RateWindow(int limit = 50, std::int64_t window_s = 15 * 60) : limit_(limit), window_s_(window_s) {}

  struct Verdict {
    bool allowed;
    RateLimitInfo info;
  };

  // The window as headers would describe it now, without spending a request (for error replies).
  RateLimitInfo peek(std::int64_t now_unix_s) const {
    if (reset_s_ == 0 || now_unix_s >= reset_s_) return RateLimitInfo{limit_, limit_, now_unix_s + window_s_};
    return RateLimitInfo{limit_, limit_ - used_, reset_s_};
  }

  Verdict on_request(std::int64_t now_unix_s) {
    if (reset_s_ == 0 || now_unix_s >= reset_s_) {
      reset_s_ = now_unix_s + window_s_;
      used_ = 0;
    }
    const bool allowed = used_ < limit_;
    if (allowed) ++used_;
    return Verdict{allowed, RateLimitInfo{limit_, limit_ - used_, reset_s_}};
  }

 private:
  int limit_;
  std::int64_t window_s_;
  int used_ = 0;
  std::int64_t reset_s_ = 0;
};

}  // namespace spillway::emu
