#include "app/heal_runner.hpp"

#include <spdlog/spdlog.h>

namespace spillway::app {

heal_runner::heal_runner(const config::settings& cfg, sinks::store& db, common::heal_inbox& inbox,
                         std::function<std::string()> bearer)
    : interval_(cfg.recovery.interval), healer_(cfg, db, inbox, std::move(bearer), thread_) {}

// Joins before healer_ goes: a pass in flight uses it.
heal_runner::~heal_runner() { stop(); }

void heal_runner::start() {
  // The first look after one interval: the live stream connects (and closes the gap a restart opened) first.
  thread_.start(interval_, [this] { pass(); }, "healer");
}

void heal_runner::stop() { thread_.stop(); }

void heal_runner::pass() {
  const auto t = healer_.heal_pass(std::chrono::system_clock::now());
  if (t.gaps_healed > 0 || t.posts > 0)
    spdlog::info("gap healing pass: {} gaps healed, {} Posts read, {} requests, {:.1f} s; {} gaps left", t.gaps_healed,
                 t.posts, t.requests, t.seconds, t.gaps_left);
}

}  // namespace spillway::app
