#pragma once
// heal_runner: gap healing inside `spillway run` (recovery.mode other than off). A thread of its own wakes
// every recovery.interval, and runs one gap_healer pass: every gap that has closed and is past backfill is
// healed beside the live stream, its Posts going through the heal inbox to the pipeline, which drains the
// inbox only when the ring is empty — the hot path never waits for healing, healing waits for it.
// A Recovery connection takes a connection slot beside the live stream; when X refuses it (429, every slot
// in use) the gap waits for the next pass (mode auto: healed by search instead).
//
// Owns: the thread (app/periodic_thread, also the healer's stop source), the healer. Thread: start/stop on
// the service's main thread; the pass on the runner's thread. Must outlive it: the store, the inbox, the
// bearer function's state.
#include <chrono>
#include <functional>
#include <string>

#include "app/gap_healer.hpp"
#include "app/periodic_thread.hpp"

namespace spillway::app {

class heal_runner final {
 public:
  heal_runner(const config::settings& cfg, sinks::store& db, common::heal_inbox& inbox,
              std::function<std::string()> bearer);
  ~heal_runner();
  heal_runner(const heal_runner&) = delete;
  heal_runner& operator=(const heal_runner&) = delete;

  void start();
  // Ends a pass in flight (an HTTP exchange within stop_poll_interval, a wait for the pipeline at once:
  // the caller abandons the inbox first) and joins.
  void stop();

 private:
  void pass();

  std::chrono::milliseconds interval_;
  periodic_thread thread_;  // before healer_, which keeps a reference to it as its stop source
  gap_healer healer_;
};

}  // namespace spillway::app
