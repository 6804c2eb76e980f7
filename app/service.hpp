#pragma once
// service: `spillway run` in three steps. build() turns settings into every part of the running service,
// in dependency order (token, rules sync, metrics endpoint, store, Kafka sink, pipeline, gap ledger,
// policy, reader, usage monitor); any failure there is a start-up error with its exit code. run() starts the pipeline
// thread and runs the reader on the calling thread until shutdown or a fatal end. stop() (called by run)
// joins the pipeline, flushes Kafka within its deadline and logs what landed.
//
// Owns: every part listed above; members are declared in construction order, so they are destroyed in
// the reverse order (the reader before the pipeline, the pipeline before the store).
// Thread: build and run on the main thread, which becomes connection 1's reader thread; the pipeline
// thread, connection 2's reader thread (stream.connections = 2) and the disk guard's and usage monitor's
// threads are started and joined by run(). Stop requests come from the signal_watcher's thread (SIGINT/SIGTERM) or
// from the pipeline thread (a storage failure): both only call each connection's reader->request_shutdown()
// and publisher->abandon(), which are thread-safe. The disk guard closes and reopens the streams through
// reader->hold()/release(), also thread-safe.
//
// Redundant connections (service_connections.cpp): each connection has its own slab pool, ring, publisher,
// run_policy (supervisor) and reader; the pipeline polls every ring; one gap ledger through redundant_gaps.
// Must outlive it: the signal_watcher.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/disk_guard.hpp"
#include "app/heal_runner.hpp"
#include "app/meta_gap_ledger.hpp"
#include "app/usage_monitor.hpp"
#include "app/signal_watcher.hpp"
#include "common/error.hpp"
#include "common/heal_inbox.hpp"
#include "common/metrics.hpp"
#include "common/slab_pool.hpp"
#include "common/spool.hpp"
#include "common/spsc_ring.hpp"
#include "common/stream_item.hpp"
#include "config/settings.hpp"
#include "ingest/auth/app_token_source.hpp"
#include "ingest/stream/gap_tracker.hpp"
#include "ingest/stream/redundant_gaps.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "ingest/stream/run_policy.hpp"
#include "ingest/stream/stream_reader.hpp"
#include "ingest/xapi/rate_limits.hpp"
#include "ingest/xapi/url.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/pipeline.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

class service {
 public:
  // nullptr (and no error) when SIGINT/SIGTERM arrived while start-up was waiting for X: nothing was
  // received, so the process exits 0. `env`: RocksDB's environment instead of the default (a test-only
  // fault-injecting one); it must outlive the service.
  [[nodiscard]] static common::result<std::unique_ptr<service>> build(const config::settings& cfg,
                                                                      signal_watcher& signals,
                                                                      rocksdb::Env* env = nullptr);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Blocks until shutdown or a fatal end; returns the process exit code.
  [[nodiscard]] common::exit_code run();

 private:
  service(const config::settings& cfg, signal_watcher& signals);
  [[nodiscard]] common::result<bool> obtain_token();
  void sync_rules();
  [[nodiscard]] common::result<void> open_sinks();
  // The overload spool (pipeline.spool_*), recovered from the last run; none when spool_max_bytes = 0.
  [[nodiscard]] common::result<void> open_spool();
  [[nodiscard]] common::result<void> wire_stream();
  // service_connections.cpp: connection `index`'s pool, ring and publisher (open_sinks), then its policy
  // and reader (wire_stream); run_connections() runs every reader and returns the first non-ok exit.
  struct stream_connection;
  [[nodiscard]] common::result<void> open_connection(std::size_t index);
  [[nodiscard]] common::result<void> wire_connection(stream_connection& c);
  [[nodiscard]] common::exit_code run_connections();
  void for_each_reader(void (ingest::stream_reader::*action)());
  // Another connection than `self` is connecting or streaming (the stale closer must not close it).
  [[nodiscard]] bool other_connection_active(const stream_connection& self) const;
  void register_health_checks();
  [[nodiscard]] common::exit_code stop(common::exit_code reader_exit);
  // Pipeline thread: the store refused a write. Everything after the last commit is unacknowledged.
  void on_pipeline_failed();

  config::settings cfg_;
  signal_watcher& signals_;
  ingest::endpoint ep_;
  common::metrics_registry metrics_;
  // /livez and /readyz; their checks read metric cells and the flags below (service_health.cpp).
  common::health_registry liveness_;
  common::health_registry readiness_;
  // Every control-plane response (token, rules) sets spillway_x_rate_limit_*{endpoint="..."}.
  ingest::rate_limit_tracker control_limits_{&metrics_};
  std::unique_ptr<ingest::auth::app_token_source> token_source_;
  // The current app-only token: the reader thread (bearer hook, refresher) and the usage monitor's thread
  // read it, the refresher rewrites it; current_token() under token_mutex_.
  std::string current_token() const;
  mutable std::mutex token_mutex_;
  std::string token_;
  std::mutex refresh_mutex_;  // one 401 refresh at a time (each connection's reader may ask for one)
  std::unique_ptr<common::metrics_server> metrics_server_;
  std::unique_ptr<sinks::store> db_;
  // Connection 1's only: null when pipeline.spool_max_bytes = 0; outlives the publishers and pipe_.
  std::unique_ptr<common::spool> spool_;
  std::vector<std::unique_ptr<stream_connection>> connections_;  // stream.connections of them
  std::unique_ptr<sinks::kafka::kafka_sink> kafka_;
  // Gap healing (recovery.mode != off): healed Posts reach the pipeline through the inbox; the runner's
  // thread heals. Both null when healing is off. The inbox outlives the pipeline and the runner.
  std::unique_ptr<common::heal_inbox> heal_inbox_;
  std::unique_ptr<sinks::pipeline> pipe_;
  std::unique_ptr<meta_gap_ledger> ledger_;
  std::unique_ptr<ingest::gap_tracker> gaps_;
  std::unique_ptr<ingest::redundant_gaps> shared_gaps_;  // each connection's view of gaps_
  std::unique_ptr<disk_guard> disk_guard_;
  std::unique_ptr<usage_monitor> usage_;
  std::unique_ptr<heal_runner> healer_;
  void stop_healing();  // abandons the inbox (a heal waiting for a commit returns) and joins the runner
  rocksdb::Env* env_ = nullptr;
  std::thread pipeline_thread_;
  std::atomic<bool> pipeline_ok_{true};
  std::atomic<bool> pipeline_ended_{false};  // the pipeline thread failed or was stopped: /livez fails
  common::metric_cell& pipeline_up_;
};

}  // namespace spillway::app
