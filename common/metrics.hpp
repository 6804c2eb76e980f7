#pragma once
// metrics: named counters and gauges backed by plain atomics, exposed in the Prometheus text format.
//
// Owns: every metric cell (stable addresses for the process lifetime) and a prometheus::Registry for
// richer types (histograms) that other components register directly.
// Threads: cells are registered at start-up (any thread, under a mutex); afterwards the hot paths touch
// only their own cell with relaxed atomics — no lock, no allocation — and the metrics_server's threads
// read them when scraped (/metrics) or when a health check looks one up (/readyz).
// Must outlive: every component holding a cell, and the metrics_server.
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include "common/health.hpp"
#include "common/metric_names.hpp"

namespace spillway::common {

struct metric_cell {
  std::atomic<std::int64_t> value{0};
  void add(std::int64_t n = 1) noexcept { value.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) noexcept { value.store(n, std::memory_order_relaxed); }
  void raise_to(std::int64_t n) noexcept {  // high-water marks
    auto seen = value.load(std::memory_order_relaxed);
    while (n > seen && !value.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
    }
  }
  [[nodiscard]] std::int64_t get() const noexcept { return value.load(std::memory_order_relaxed); }
};

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class metrics_registry {
 public:
  metrics_registry();
  ~metrics_registry();

  // Same name + labels returns the same cell. Components register the metrics of common/metric_names.hpp
  // through the overloads below; these by-name forms are for lookups (tests), where help may be "".
  metric_cell& counter(const std::string& name, const std::string& help, const metric_labels& labels = {});
  metric_cell& gauge(const std::string& name, const std::string& help, const metric_labels& labels = {});
  // The metrics of common/metric_names.hpp: name and help from their one definition.
  metric_cell& counter(const metric::counter_def& def, const metric_labels& labels = {});
  metric_cell& gauge(const metric::gauge_def& def, const metric_labels& labels = {});

  // The cell registered under name + labels, or nullptr (health checks read cells other components own).
  [[nodiscard]] const metric_cell* find(const std::string& name, const metric_labels& labels = {}) const;

  // For histograms and other prometheus-cpp families.
  prometheus::Registry& prometheus_registry() noexcept { return *prometheus_; }

  // Everything in the Prometheus text exposition format (what a scrape returns).
  [[nodiscard]] std::string render_text() const;

  std::shared_ptr<prometheus::Registry> shared_prometheus_registry() const { return prometheus_; }

 private:
  class collectable;
  metric_cell& cell(const std::string& name, const std::string& help, const metric_labels& labels, bool gauge);

  struct family {
    std::string help;
    bool gauge = false;
    std::map<metric_labels, metric_cell*> cells;
  };
  mutable std::mutex mutex_;
  std::map<std::string, family> families_;
  std::deque<metric_cell> storage_;
  std::shared_ptr<prometheus::Registry> prometheus_;
  std::shared_ptr<prometheus::Collectable> collectable_;
};

// Serves GET /metrics, /livez and /readyz on `listen` ("host:port") from civetweb's worker threads.
// /livez and /readyz answer 200 or 503 with the registry's JSON report.
// Must outlive it: the metrics registry and both health registries.
class metrics_server {
 public:
  // Throws std::runtime_error at start-up with the address and the fix when the port cannot be bound.
  metrics_server(const std::string& listen, const metrics_registry& registry, const health_registry& liveness,
                 const health_registry& readiness);
  ~metrics_server();
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;

  // The bound port (useful with port 0).
  [[nodiscard]] int port() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace spillway::common
