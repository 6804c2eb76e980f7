#include "app/signal_watcher.hpp"

#include <pthread.h>
#include <signal.h>

#include <spdlog/spdlog.h>

namespace spillway::app {
namespace {

sigset_t watched() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

signal_watcher::signal_watcher() {
  const auto set = watched();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] { watch(); });
}

signal_watcher::~signal_watcher() {
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

void signal_watcher::watch() {
  const auto set = watched();
  for (;;) {
    int signo = 0;
    if (sigwait(&set, &signo) != 0) continue;
    if (signo == SIGUSR1) return;  // the destructor: the process is ending
    if (stop_.exchange(true, std::memory_order_acq_rel)) {
      spdlog::info("received signal {} again: already stopping", signo);
      continue;
    }
    spdlog::info("received signal {}: stopping the stream, draining and committing", signo);
    std::function<void()> f;
    {
      std::lock_guard lock(mutex_);
      f = on_stop_;
    }
    cv_.notify_all();
    if (f) f();
  }
}

bool signal_watcher::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, d, [this] { return stop_requested(); });
}

void signal_watcher::on_stop(std::function<void()> f) {
  {
    std::lock_guard lock(mutex_);
    on_stop_ = f;
  }
  // A signal that arrived before the callback was set still reaches it (stop_ is set before the
  // watcher reads on_stop_, so one of the two paths sees the other's write).
  if (stop_requested() && f) f();
}

}  // namespace spillway::app
