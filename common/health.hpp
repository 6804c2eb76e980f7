#pragma once
// health: named health checks behind /livez and /readyz.
//
// A check is a callable returning ok or the reason it is not; checks are registered at start-up and
// evaluated on every request (they read atomics: cheap, and never stale). One health_registry per
// endpoint (liveness, readiness).
// Owns: the checks (and whatever their callables capture by value).
// Threads: add() from any thread at start-up; evaluate() from the HTTP server's threads, under the same
// mutex, so a check never runs concurrently with itself or with registration.
// Must outlive it: everything the checks capture by reference (the service's components).
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace spillway::common {

struct health_status {
  bool ok = true;
  std::string why;  // empty when ok; else what fails and what it means, one line

  static health_status pass() { return {}; }
  static health_status fail(std::string reason) { return {false, std::move(reason)}; }
};

using health_check = std::function<health_status()>;

struct health_report {
  bool ok = true;
  // {"status":"ok"|"failing","checks":[{"name":...,"ok":true|false,"why":...}, ...]}
  std::string json;
};

class health_registry {
 public:
  void add(std::string name, health_check check);
  // Runs every check in registration order. No check registered: ok.
  [[nodiscard]] health_report evaluate() const;

 private:
  struct named {
    std::string name;
    health_check check;
  };
  mutable std::mutex mutex_;
  std::vector<named> checks_;
};

}  // namespace spillway::common
