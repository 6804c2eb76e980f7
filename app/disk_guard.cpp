#include "app/disk_guard.hpp"

#include "common/log.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "config/options.hpp"

namespace spillway::app {
namespace {

std::string format_bytes(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB ({} bytes)", static_cast<double>(bytes) / (1024.0 * 1024.0), bytes);
}

}  // namespace

common::result<std::unique_ptr<disk_guard>> disk_guard::create(const config::rocksdb_settings& rocksdb,
                                                              common::metrics_registry& metrics, actions act) {
  const auto space = probe_disk(rocksdb.path);
  if (!space) return space.error();
  const auto min_free = config::effective_min_free_bytes(rocksdb, space->total_bytes);
  const auto margin = config::effective_free_margin_bytes(rocksdb, space->total_bytes);
  std::unique_ptr<disk_guard> guard(new disk_guard(rocksdb.path, min_free, margin, metrics, std::move(act)));
  spdlog::info("disk guard: the stream pauses when {} has less than {} free, and resumes at {} (filesystem {})",
               rocksdb.path, format_bytes(min_free), format_bytes(guard->watermark_.resume_bytes()),
               format_bytes(space->total_bytes));
  return guard;
}

disk_guard::disk_guard(std::string path, std::uint64_t min_free, std::uint64_t margin,
                       common::metrics_registry& metrics, actions act)
    : path_(std::move(path)),
      watermark_(min_free, margin, clock_),
      actions_(std::move(act)),
      free_bytes_(metrics.gauge(common::metric::disk_free_bytes)),
      low_(metrics.gauge(common::metric::disk_low)) {}

disk_guard::~disk_guard() { stop(); }

void disk_guard::start() {
  sample();
  thread_ = std::thread([this] { run(); });
}

void disk_guard::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void disk_guard::run() {
  std::unique_lock lock(mutex_);
  while (!cv_.wait_for(lock, sample_interval, [this] { return stopping_; })) {
    lock.unlock();
    sample();
    lock.lock();
  }
}

void disk_guard::sample() {
  const auto space = probe_disk(path_);
  if (!space) {
    // Keep the last decision: a filesystem that cannot be measured is not known to be full.
    if (!probe_failed_logged_) spdlog::error("disk guard: {}", space.error().message);
    probe_failed_logged_ = true;
    return;
  }
  probe_failed_logged_ = false;
  free_bytes_.set(static_cast<std::int64_t>(space->free_bytes));
  const auto event = watermark_.observe(space->free_bytes);
  switch (event) {
    case disk_event::none:
      return;
    case disk_event::went_low:
    case disk_event::still_low:
      common::log_with(spdlog::level::err,
                       {{"reason", "disk_low"}, {"path", path_}, {"free_bytes", space->free_bytes},
                        {"min_free_bytes", watermark_.min_free_bytes()}},
                       "disk low: {} free on the filesystem of {}, below sinks.rocksdb.min_free_bytes ({}): the stream "
                    "is {} (gap reason disk_low; Posts already stored keep going to Kafka) and reconnects, with "
                    "backfill where enabled, once {} are free. Free space on that filesystem, move "
                    "sinks.rocksdb.path to a larger one, or lower sinks.rocksdb.min_free_bytes",
                    format_bytes(space->free_bytes), path_, format_bytes(watermark_.min_free_bytes()),
                    event == disk_event::went_low ? "closed on purpose" : "still closed",
                    format_bytes(watermark_.resume_bytes()));
      if (event == disk_event::went_low) {
        low_.set(1);
        if (actions_.close_stream) actions_.close_stream();
      }
      return;
    case disk_event::recovered:
      common::log_with(spdlog::level::info, {{"reason", "disk_recovered"}, {"path", path_}, {"free_bytes", space->free_bytes}},
                       "disk space is back: {} free on the filesystem of {} (resume level {}): reconnecting the stream",
                   format_bytes(space->free_bytes), path_, format_bytes(watermark_.resume_bytes()));
      low_.set(0);
      if (actions_.reopen_stream) actions_.reopen_stream();
      return;
  }
}

}  // namespace spillway::app
