#include "app/heal_runner.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>

namespace spillway::app {

heal_runner::heal_runner(const config::settings& cfg, sinks::store& db, common::heal_inbox& inbox,
                         std::function<std::string()> bearer)
    : interval_(cfg.recovery.interval), healer_(cfg, db, inbox, std::move(bearer), *this) {}

heal_runner::~heal_runner() { stop(); }

void heal_runner::start() {
  thread_ = std::thread([this] { run(); });
}

void heal_runner::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool heal_runner::stop_requested() const noexcept {
  const std::lock_guard lock(mutex_);
  return stopping_;
}

bool heal_runner::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, d, [&] { return stopping_; });
}

void heal_runner::run() {
  pthread_setname_np(pthread_self(), "healer");
  // The first look after one interval: the live stream connects (and closes the gap a restart opened) first.
  while (!wait_for(interval_)) {
    const auto t = healer_.heal_pass(std::chrono::system_clock::now());
    if (t.gaps_healed > 0 || t.posts > 0)
      spdlog::info("gap healing pass: {} gaps healed, {} Posts read, {} requests, {:.1f} s; {} gaps left", t.gaps_healed,
                   t.posts, t.requests, t.seconds, t.gaps_left);
  }
}

}  // namespace spillway::app
