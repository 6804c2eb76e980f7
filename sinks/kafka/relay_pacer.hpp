#pragma once
// relay_pacer: when the outbox relay may run again after failures — common/backoff's exponential schedule
// (100 ms doubling to 5 s) on an injected clock, so tests drive it with common::manual_clock.
//
// A failure (a failed delivery report, a Post librdkafka refused) holds the relay back for the next wait
// of the schedule; further failures while it is held back add nothing (one step per burst of failures,
// not one per failed Post). A successful delivery means Kafka answers again: the schedule starts over
// and the relay may run at once.
// No jitter: there is one relay per process and no fleet of clients to de-synchronise; the generator is
// what common::backoff requires and is never drawn from under jitter::none.
// Owns: the schedule state. Thread: the kafka_sink's (the committer thread). Must outlive it: the clock.
#include <chrono>
#include <random>

#include "common/backoff.hpp"
#include "common/clock.hpp"

namespace spillway::sinks::kafka {

inline constexpr common::schedule relay_retry_schedule =
    common::exponential_schedule(std::chrono::milliseconds(100), std::chrono::milliseconds(5000));

template <common::steady_clock_like Clock>
class relay_pacer {
 public:
  using time_point = typename Clock::time_point;

  explicit relay_pacer(const Clock& clock) : clock_(clock), backoff_(relay_retry_schedule, common::jitter::none, rng_) {}
  relay_pacer(const relay_pacer&) = delete;
  relay_pacer& operator=(const relay_pacer&) = delete;

  // True unless a failure holds the relay back.
  [[nodiscard]] bool ready() const noexcept { return clock_.now() >= not_before_; }

  // A failure: hold back for the next wait, unless already holding back.
  void failed() {
    const auto now = clock_.now();
    if (now < not_before_) return;
    not_before_ = now + backoff_.next();
  }

  // Kafka delivered: start the schedule over and allow the relay now.
  void succeeded() noexcept {
    backoff_.reset();
    not_before_ = clock_.now();
  }

  // When the relay may run again (tests, logs).
  [[nodiscard]] time_point not_before() const noexcept { return not_before_; }

 private:
  const Clock& clock_;
  std::minstd_rand rng_;
  common::backoff<std::minstd_rand> backoff_;
  time_point not_before_{};
};

}  // namespace spillway::sinks::kafka
