// Threads behind a buffer run below the reader: the calling thread (and only it) moves background_nice_delta
// nice levels down, capped at 19, and threads it starts afterwards inherit that. Each check runs in a
// thread of its own, so the test's main thread keeps its priority for the tests after it.
#include <catch2/catch.hpp>

#include <thread>

#include "common/thread_priority.hpp"

using namespace spillway::common;

TEST_CASE("thread priority: background is ten nice levels lower, capped at 19", "[thread_priority]") {
  CHECK(background_nice(0) == 10);
  CHECK(background_nice(-5) == 5);
  CHECK(background_nice(5) == 15);
  CHECK(background_nice(9) == 19);
  CHECK(background_nice(15) == max_nice);
  CHECK(background_nice(19) == max_nice);
}

TEST_CASE("thread priority: only the calling thread is lowered, and threads it starts inherit it", "[thread_priority]") {
  const int before = this_thread_nice();
  int lowered = -100, inherited = -100, sibling = -100;
  bool moved = false;
  std::thread background([&] {
    moved = lower_this_thread_to_background();
    lowered = this_thread_nice();
    std::thread child([&] { inherited = this_thread_nice(); });
    child.join();
  });
  background.join();
  std::thread other([&] { sibling = this_thread_nice(); });
  other.join();

  CHECK(moved);
  CHECK(lowered == background_nice(before));
  CHECK(inherited == lowered);
  CHECK(this_thread_nice() == before);  // the caller's thread is untouched
  CHECK(sibling == before);             // and so are threads it starts
}

TEST_CASE("thread priority: a thread already at 19 stays there", "[thread_priority]") {
  // From any start in -20..19, three moves of ten reach 19; the fourth finds it there.
  int steps[4] = {-100, -100, -100, -100};
  bool moved[4] = {false, false, false, false};
  std::thread t([&] {  // Catch2's assertions are for the test's own thread: only record here
    for (int i = 0; i < 4; ++i) {
      moved[i] = lower_this_thread_to_background();
      steps[i] = this_thread_nice();
    }
  });
  t.join();
  for (int i = 0; i < 4; ++i) CHECK(moved[i]);
  CHECK(steps[2] == max_nice);
  CHECK(steps[3] == max_nice);
  CHECK(steps[0] <= steps[1]);
}
