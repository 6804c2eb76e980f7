// `spillway gaps heal --config FILE` (without --dry-run): heals every gap in the ledger now, by hand —
// the same gap_healer pass `run` makes in the background — and prints what it read and spent. Healed Posts
// go through a pipeline of their own (dedup by id, RocksDB, the Kafka outbox when Kafka is on), so the
// database must not be held by `spillway run` (which heals by itself when recovery.mode is not off).
// SIGINT/SIGTERM stop it within a second; what was committed stays, and the next heal resumes from there.
// Exit codes: 0 every gap to heal was healed · 1 a heal failed (logged; its gap stays open) or RocksDB
// refused a write · 2 bad config, recovery.mode = off, or the database cannot be opened · 3 X refused the token.
#include "app/commands.hpp"

#include <cstdio>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/control_context.hpp"
#include "app/gap_healer.hpp"
#include "app/signal_watcher.hpp"
#include "common/heal_inbox.hpp"
#include "common/metrics.hpp"
#include "common/slab_pool.hpp"
#include "common/spsc_ring.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/pipeline.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

common::exit_code gaps_heal_command(const std::string& config_path) {
  signal_watcher signals;  // first, before any thread: SIGINT/SIGTERM end waits and exchanges
  const auto ctx = control_context::open(config_path);  // a bad config throws config_error → exit 2 in main
  if (!ctx) {
    spdlog::error("{}", ctx.error().message);
    return common::exit_code_for(ctx.error());
  }
  const config::settings& cfg = (*ctx)->cfg;
  if (reconnect::resolve_heal_mode(cfg.recovery.mode, cfg.stream.backfill) == reconnect::heal_method::none) {
    spdlog::error("recovery.mode = off: nothing to heal with; set [recovery] mode = \"stream\" (Enterprise), "
                  "\"search\" or \"auto\"");
    return common::exit_code::config;
  }
  common::metrics_registry metrics;
  std::unique_ptr<sinks::store> db;
  std::unique_ptr<sinks::kafka::kafka_sink> kafka;
  try {
    db = std::make_unique<sinks::store>(cfg.rocksdb.path, sinks::open_mode::read_write);
    if (cfg.kafka.enabled) kafka = std::make_unique<sinks::kafka::kafka_sink>(*db, cfg.kafka, metrics, cfg.stream.max_line_bytes);
  } catch (const std::exception& e) {
    spdlog::error("{}; if `spillway run` holds the database, it heals by itself (recovery.mode) — or stop it first",
                  e.what());
    return common::exit_code::config;
  }
  // Nothing is streamed here: the ring stays empty and the pipeline drains the heal inbox alone.
  common::slab_pool pool(1 << 20, 1);
  common::spsc_ring<common::stream_item> ring(64);
  common::heal_inbox inbox;
  sinks::pipeline pipe(ring, pool, *db, metrics,
                       {.max_line_bytes = cfg.stream.max_line_bytes,
                        .write_batch_posts = cfg.rocksdb.write_batch_posts,
                        .dedup_window = cfg.pipeline.dedup_window},
                       kafka.get());
  pipe.attach_heal_inbox(&inbox);
  bool pipeline_ok = true;
  std::thread pipeline_thread([&] {
    pipeline_ok = pipe.run();
    if (!pipeline_ok) inbox.abandon();
  });
  const std::string bearer = (*ctx)->bearer;
  gap_healer healer(cfg, *db, inbox, [&] { return bearer; }, signals);
  const auto t = healer.heal_pass(std::chrono::system_clock::now());
  inbox.abandon();
  pipe.request_stop();
  pipeline_thread.join();
  if (kafka) {
    const auto left = kafka->flush(cfg.kafka.shutdown_timeout);
    if (left > 0) spdlog::warn("kafka: {} Posts still in the outbox; `spillway run` delivers them", left);
  }
  const auto stored = pipe.stored_throughput();
  std::fputs(fmt::format("{} gaps healed, {} left: {} Posts read ({} stored, {} already there), {} requests, {:.1f} s\n",
                         t.gaps_healed, t.gaps_left, t.posts, stored.posts, stored.duplicates, t.requests, t.seconds)
                 .c_str(),
             stdout);
  if (!pipeline_ok) return common::exit_code::runtime;
  if (signals.stop_requested()) return common::exit_code::ok;
  return t.failed ? common::exit_code::runtime : common::exit_code::ok;
}

}  // namespace spillway::app
