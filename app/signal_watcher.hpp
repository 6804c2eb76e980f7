#pragma once
// signal_watcher: turns SIGINT/SIGTERM into a stop request that works in every state of the service —
// during start-up waits, while the reader waits for ring space, while the pipeline is stuck or dead.
// A signal handler that needs the reader's io_context (asio::signal_set) cannot run while the reader is
// blocked; a thread of its own in sigwait() always can.
//
// Owns: a thread blocked in sigwait() on SIGINT, SIGTERM (and SIGUSR1, used only to end the thread).
// Construct it before any other thread exists: it blocks those signals in the calling thread, and every
// thread started afterwards inherits the mask, so the watcher is the only taker.
// Thread: callbacks run on the watcher thread; stop_requested() and wait_for() from any thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "ingest/xapi/stop_source.hpp"

namespace spillway::app {

// Also the stop_source of the start-up's control-plane calls (token grant, rules sync and its waits).
class signal_watcher final : public ingest::stop_source {
 public:
  signal_watcher();
  ~signal_watcher() override;
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;

  [[nodiscard]] bool stop_requested() const noexcept override { return stop_.load(std::memory_order_acquire); }
  // Sleeps up to `d`; true as soon as a stop was requested (at once if it already was).
  [[nodiscard]] bool wait_for(std::chrono::milliseconds d) override;
  // Called on the watcher thread when a signal arrives — or at once if one already did. May run twice
  // when a signal races the registration, so `f` must be idempotent (request_shutdown is).
  void on_stop(std::function<void()> f);

 private:
  void watch();

  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::function<void()> on_stop_;
  std::thread thread_;
};

}  // namespace spillway::app
