#include "app/periodic_thread.hpp"

#include <pthread.h>

namespace spillway::app {

periodic_thread::~periodic_thread() { stop(); }

void periodic_thread::start(std::chrono::milliseconds period, std::function<void()> task, std::string name) {
  thread_ = std::thread([this, period, task = std::move(task), name = std::move(name)] {
    if (!name.empty()) pthread_setname_np(pthread_self(), name.c_str());
    while (!wait_for(period)) task();
  });
}

void periodic_thread::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool periodic_thread::stop_requested() const noexcept {
  const std::lock_guard lock(mutex_);
  return stopping_;
}

bool periodic_thread::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, d, [this] { return stopping_; });
}

}  // namespace spillway::app
