// app/periodic_thread, the loop of the usage monitor and the heal runner: the task every period (the first
// one period after start), a stop that wakes a wait at once and joins, and a stop that may come twice or
// before start. Bounds are generous (seconds) where a loaded machine could be slow, tight where only a
// missing wake-up could make them fail (a 60 s wait that must end in well under that).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "app/periodic_thread.hpp"

using namespace spillway;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

// Waits up to 10 s for `done`; true when it came.
template <typename F>
bool eventually(F done) {
  const auto deadline = steady_clock::now() + 10s;
  while (!done()) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace

TEST_CASE("periodic thread: wait_for sleeps the whole period when no stop comes", "[periodic]") {
  app::periodic_thread t;
  const auto t0 = steady_clock::now();
  CHECK_FALSE(t.wait_for(50ms));
  CHECK(steady_clock::now() - t0 >= 50ms);
  CHECK_FALSE(t.stop_requested());
}

TEST_CASE("periodic thread: stop wakes a waiting wait_for at once", "[periodic]") {
  app::periodic_thread t;
  std::atomic<bool> woke{false};
  std::atomic<bool> result{false};
  std::thread waiter([&] {
    result = t.wait_for(60s);
    woke = true;
  });
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(woke);
  const auto t0 = steady_clock::now();
  t.stop();
  waiter.join();
  CHECK(steady_clock::now() - t0 < 5s);
  CHECK(result);
  CHECK(t.stop_requested());
  // Once stopped, a wait ends at once.
  const auto t1 = steady_clock::now();
  CHECK(t.wait_for(60s));
  CHECK(steady_clock::now() - t1 < 1s);
}

TEST_CASE("periodic thread: the task runs every period - the first one period after start", "[periodic]") {
  app::periodic_thread t;
  std::atomic<int> runs{0};
  const auto t0 = steady_clock::now();
  std::atomic<steady_clock::duration> first{};
  t.start(30ms, [&] {
    if (runs == 0) first = steady_clock::now() - t0;
    ++runs;
  });
  REQUIRE(eventually([&] { return runs >= 3; }));
  CHECK(first.load() >= 30ms);
  t.stop();
  const int after_stop = runs;
  std::this_thread::sleep_for(100ms);
  CHECK(runs == after_stop);  // joined: nothing runs after stop() returns
}

TEST_CASE("periodic thread: stop ends a long period at once and joins a task in flight", "[periodic]") {
  SECTION("waiting for the next period") {
    app::periodic_thread t;
    std::atomic<int> runs{0};
    t.start(60s, [&] { ++runs; });
    std::this_thread::sleep_for(20ms);
    const auto t0 = steady_clock::now();
    t.stop();
    CHECK(steady_clock::now() - t0 < 5s);
    CHECK(runs == 0);
  }
  SECTION("in the task, which waits on the thread as its stop source (as an HTTP exchange does)") {
    app::periodic_thread t;
    std::atomic<bool> in_task{false};
    std::atomic<bool> task_done{false};
    t.start(1ms, [&] {
      in_task = true;
      (void)t.wait_for(60s);
      task_done = true;
    });
    REQUIRE(eventually([&] { return in_task.load(); }));
    const auto t0 = steady_clock::now();
    t.stop();
    CHECK(task_done);  // stop() returned only after the task did
    CHECK(steady_clock::now() - t0 < 5s);
  }
}

TEST_CASE("periodic thread: stop twice, or before start, is harmless", "[periodic]") {
  SECTION("twice") {
    app::periodic_thread t;
    t.start(10ms, [] {});
    t.stop();
    t.stop();
    CHECK(t.stop_requested());
  }
  SECTION("before start, and never started (the destructor stops again)") {
    app::periodic_thread t;
    t.stop();
    CHECK(t.stop_requested());
    CHECK(t.wait_for(60s));
  }
}
