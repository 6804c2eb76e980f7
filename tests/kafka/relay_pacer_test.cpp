// relay_pacer: the outbox relay's retry backoff (common/backoff's exponential schedule) on a manual clock.
#include <catch2/catch.hpp>

#include <chrono>

#include "common/clock.hpp"
#include "sinks/kafka/relay_pacer.hpp"

using namespace std::chrono_literals;
using spillway::common::manual_clock;
using spillway::sinks::kafka::relay_pacer;

TEST_CASE("relay pacer: failures hold the relay back 100 ms doubling to 5 s - a delivery resumes it at once",
          "[kafka][pacer]") {
  manual_clock clock;
  clock.advance(1h);  // any start: the pacer only compares with its own clock
  relay_pacer<manual_clock> pacer(clock);
  CHECK(pacer.ready());  // nothing failed yet

  // Each failure burst waits twice as long as the one before, up to 5 s.
  for (const auto wait : {100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms, 5000ms, 5000ms}) {
    INFO("wait " << wait.count() << " ms");
    pacer.failed();
    CHECK_FALSE(pacer.ready());
    CHECK(pacer.not_before() == clock.now() + wait);
    clock.advance(wait - 1ms);
    CHECK_FALSE(pacer.ready());
    clock.advance(1ms);
    CHECK(pacer.ready());
  }

  // Kafka delivered: ready now, and the next failure starts the schedule over.
  pacer.succeeded();
  CHECK(pacer.ready());
  pacer.failed();
  CHECK(pacer.not_before() == clock.now() + 100ms);
}

TEST_CASE("relay pacer: failures while held back add nothing (one step per burst, not per failed Post)",
          "[kafka][pacer]") {
  manual_clock clock;
  relay_pacer<manual_clock> pacer(clock);
  pacer.failed();
  const auto until = pacer.not_before();
  for (int i = 0; i < 50; ++i) {
    clock.advance(1ms);
    pacer.failed();  // e.g. 50 failed delivery reports of one outage
  }
  CHECK(pacer.not_before() == until);
  clock.advance(50ms);
  CHECK(pacer.ready());
  pacer.failed();  // the next burst: the second step of the schedule, not the 51st
  CHECK(pacer.not_before() == clock.now() + 200ms);
  // A delivery while held back lifts the hold at once.
  pacer.succeeded();
  CHECK(pacer.ready());
}
