#pragma once
// periodic_thread: a thread of its own that runs a task every period until it is stopped — the loop of the
// usage monitor and of the heal runner. It is also the stop_source of what the task does: an HTTP exchange
// polls it, so stop() ends a task in flight within stop_poll_interval and never waits out a period.
//
// Owns: the thread and its stop flag (nothing of the task's). Thread: start/stop on the owner's thread (the
// service's main thread); the task on the periodic thread; stop_requested()/wait_for() from any thread.
// Must outlive it: whatever the task touches — so the owner calls stop() (which joins) in its destructor,
// before the members the task uses are destroyed.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "ingest/xapi/stop_source.hpp"

namespace spillway::app {

class periodic_thread final : public ingest::stop_source {
 public:
  periodic_thread() = default;
  ~periodic_thread() override;  // stop()
  periodic_thread(const periodic_thread&) = delete;
  periodic_thread& operator=(const periodic_thread&) = delete;

  // Runs `task` every `period` until stop(); the first run one period after start, not at once (each owner
  // says why). `name`: the thread's name as top and gdb show it (at most 15 characters); empty keeps the
  // name the thread inherits. Call once.
  void start(std::chrono::milliseconds period, std::function<void()> task, std::string name = {});
  // Wakes a wait at once, lets a task in flight end (it sees stop_requested()), and joins. Idempotent; also
  // fine before start (then a later task's exchanges see the stop at once).
  void stop();

  [[nodiscard]] bool stop_requested() const noexcept override;
  [[nodiscard]] bool wait_for(std::chrono::milliseconds d) override;

 private:
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace spillway::app
