#pragma once
// disk_guard: keeps the database's filesystem from filling up. A thread of its own samples the free space
// of sinks.rocksdb.path once a second (app/disk_probe), exports spillway_disk_free_bytes and
// spillway_disk_low, and lets the watermark (app/disk_watermark) decide: below sinks.rocksdb.min_free_bytes
// it logs an error naming the path, the free space and the fix — again every 30 s while low — and calls
// close_stream; once free space is back above the mark plus sinks.rocksdb.free_margin_bytes it calls
// reopen_stream. It stops nothing else: the pipeline keeps storing what is in the ring and the Kafka
// outbox keeps draining.
//
// A thread of its own, not the reader's tick: the reader may be blocked (waiting for ring space, in a
// connect) exactly when the disk fills; a sample must not wait for it.
// Owns: the watermark, the sampling thread. Thread: create/start/stop on the service's main thread; the
// actions run on the guard thread and must be thread-safe (stream_reader::hold/release are). Must outlive
// it: the metrics registry and whatever the actions touch (stop() joins before they go).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/disk_probe.hpp"
#include "app/disk_watermark.hpp"
#include "common/error.hpp"
#include "common/metrics.hpp"
#include "config/settings.hpp"

namespace spillway::app {

class disk_guard {
 public:
  struct actions {
    std::function<void()> close_stream;   // free space fell below the mark
    std::function<void()> reopen_stream;  // free space is back above mark + margin
  };
  static constexpr std::chrono::milliseconds sample_interval{1000};

  // Measures the filesystem once (errc::storage when it cannot: a start-up error) and resolves the auto
  // thresholds from its size (config::effective_min_free_bytes / effective_free_margin_bytes).
  [[nodiscard]] static common::result<std::unique_ptr<disk_guard>> create(const config::rocksdb_settings& rocksdb,
                                                                           common::metrics_registry& metrics,
                                                                           actions act);
  ~disk_guard();
  disk_guard(const disk_guard&) = delete;
  disk_guard& operator=(const disk_guard&) = delete;

  // Takes one sample on the calling thread (a disk already low at start closes the stream before the first
  // connect), then starts the sampling thread.
  void start();
  // Ends and joins the thread; idempotent.
  void stop();

 private:
  disk_guard(std::string path, std::uint64_t min_free, std::uint64_t margin, common::metrics_registry& metrics,
             actions act);
  void sample();
  void run();

  std::string path_;
  common::steady_clock_source clock_;
  disk_watermark watermark_;
  actions actions_;
  common::metric_cell& free_bytes_;
  common::metric_cell& low_;
  bool probe_failed_logged_ = false;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace spillway::app
