// `spillway run --config FILE`: the service. Wires config → store → pipeline thread → reader thread.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/backoff.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "config/loader.hpp"
#include "app/commands.hpp"
#include "app/meta_gap_ledger.hpp"
#include "ingest/stream/gap_tracker.hpp"
#include "ingest/auth/app_token_source.hpp"
#include "ingest/control/rules_sync.hpp"
#include "ingest/stream/run_policy.hpp"
#include "ingest/stream/stream_reader.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/pipeline.hpp"

namespace spillway::app {

namespace {

std::size_t slab_bytes_for(std::size_t max_line_bytes) {
  // Room for one maximal partial line plus a full read, rounded to 1 MiB; at least 4 MiB so that a slab
  // holds thousands of typical Posts and rotations (the one copy) stay rare.
  const std::size_t need = max_line_bytes + 2 + ingest::line_publisher::min_read_bytes;
  const std::size_t mib = 1 << 20;
  const std::size_t rounded = (need + mib - 1) / mib * mib;
  return rounded < 4 * mib ? 4 * mib : rounded;
}

// The start-up token. With client credentials X may be unreachable at start (a service started before
// the network, an outage): that is a network error like any other, so retry on the network schedule
// (linear steps of reconnect.network_step up to network_cap) rather than exit. Configuration problems and
// X's refusals still stop at once: retrying cannot fix them. SIGINT/SIGTERM (blocked, so pending) end the
// wait through sigtimedwait with exit 0: nothing has been received yet, so nothing is lost.
std::optional<std::string> start_up_token(ingest::auth::app_token_source& source, const config::reconnect_settings& rc,
                                          const sigset_t& stop_signals, int& exit_code) {
  const auto schedule = common::linear_schedule(rc.network_step, rc.network_cap);
  for (std::uint32_t attempt = 1;; ++attempt) {
    ingest::auth::auth_error failure;
    if (auto token = source.token(failure)) return token;
    if (failure.code != ingest::auth::auth_errc::network) {
      spdlog::error("{}", failure.message);
      exit_code = failure.exit_code();
      return std::nullopt;
    }
    const auto wait = schedule.nominal(attempt);
    const auto level = attempt >= rc.alert_after ? spdlog::level::err : spdlog::level::warn;
    spdlog::log(level, "{}; start-up attempt {} to obtain the app-only Bearer token failed, retrying in {} ms "
                "(SIGTERM stops)", failure.message, attempt, wait.count());
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(wait);
    const timespec ts{static_cast<time_t>(secs.count()),
                      static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(wait - secs).count())};
    const int signo = sigtimedwait(&stop_signals, nullptr, &ts);
    if (signo == SIGINT || signo == SIGTERM) {
      spdlog::info("received signal {} before streaming began: nothing was received, nothing to commit", signo);
      exit_code = 0;
      return std::nullopt;
    }
  }
}

}  // namespace

int run_command(const std::string& config_path) {
  // SIGINT/SIGTERM stay pending (not fatal) until the reader's signal_set takes them over: every thread
  // started from here on (RocksDB, metrics, Kafka, pipeline) inherits the block, and a signal that
  // arrives during start-up is delivered to the reader once it runs, so it still ends in a clean drain.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  config::settings cfg;
  std::optional<ingest::endpoint> ep;
  try {
    cfg = config::load_settings(config_path);
    common::init_logging(cfg.log_level);
    std::string url_error;
    ep = ingest::parse_base_url(cfg.stream.base_url, url_error);
    if (!ep) throw std::runtime_error(url_error);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 2;
  }

  // Every control-plane response (token, rules) sets spillway_x_rate_limit_*{endpoint="..."}.
  common::metrics_registry metrics;
  ingest::rate_limit_tracker control_limits(&metrics);
  // The token never lives in the config file (XAPI.md "Tokens"): the environment, an owner-only file,
  // or the client-credentials grant (which can be repeated after a 401).
  ingest::auth::app_token_source token_source(cfg, &control_limits);
  std::string token;
  {
    int exit_code = 0;
    auto loaded = start_up_token(token_source, cfg.reconnect, stop_signals, exit_code);
    if (!loaded) return exit_code;
    token = std::move(*loaded);
    spdlog::info("app-only Bearer token from {}", token_source.describe());
  }

  if (cfg.stream.rules_sync_on_start) {
    // A failed sync does not stop ingestion: the live rules keep streaming, and the stream's own answer
    // (401/403/409) is classified by the supervisor like on any connect.
    std::string sync_error;
    if (!ingest::sync_rules_on_start(cfg, token, control_limits, sync_error)) {
      spdlog::error("rules sync on start failed: {}; streaming with the rules X already has", sync_error);
    }
  }

  std::unique_ptr<common::metrics_server> metrics_server;
  std::unique_ptr<sinks::store> db;
  try {
    if (cfg.metrics.enabled) metrics_server = std::make_unique<common::metrics_server>(cfg.metrics.listen, metrics);
    db = std::make_unique<sinks::store>(cfg.rocksdb.path, sinks::open_mode::read_write);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 2;
  }

  const std::size_t slab_bytes = slab_bytes_for(cfg.stream.max_line_bytes);
  // Slabs in flight are bounded by what the ring can reference; 32 slabs of >= 4 MiB absorb a long burst.
  common::slab_pool pool(slab_bytes, 32);
  common::spsc_ring<common::stream_item> ring(cfg.pipeline.ring_capacity);
  ingest::line_publisher publisher(ring, pool, cfg.stream.max_line_bytes, metrics);

  sinks::pipeline_options popts;
  popts.max_line_bytes = cfg.stream.max_line_bytes;
  popts.write_batch_posts = cfg.rocksdb.write_batch_posts;
  popts.dedup_window = cfg.pipeline.dedup_window;
  std::unique_ptr<sinks::kafka::kafka_sink> kafka;
  if (cfg.kafka.enabled) {
    try {
      // Starts even when no broker is reachable: Posts wait in the outbox until Kafka answers.
      kafka = std::make_unique<sinks::kafka::kafka_sink>(*db, cfg.kafka, metrics, cfg.stream.max_line_bytes);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return 2;
    }
  }
  sinks::pipeline pipe(ring, pool, *db, metrics, popts, kafka.get());
  spdlog::info("RocksDB at {}: {} recent ids loaded into the dedup window", cfg.rocksdb.path, pipe.warmed_ids());

  // Before the pipeline thread starts writing: the newest stored Post bounds when delivery stopped.
  std::optional<ingest::wall_time> newest_post;
  db->for_each_newest_id(1, [&](std::uint64_t id) {
    if (id != 0) newest_post = ingest::snowflake_time(id);
  });
  meta_gap_ledger ledger(*db);
  ingest::gap_tracker gaps(ledger, cfg.stream.backfill, newest_post, metrics);

  bool pipeline_ok = true;
  std::thread pipeline_thread([&] { pipeline_ok = pipe.run(); });

  ingest::run_policy::token_refresher refresher;
  if (token_source.refreshable()) {
    // Reader thread: after a 401, obtain the token again once (the supervisor allows one refresh until
    // data flows again); the next connect's bearer hook then reads the new one.
    refresher = [&](std::string& error) {
      ingest::auth::auth_error failure;
      if (!token_source.refresh(failure)) {
        error = failure.message;
        return false;
      }
      ingest::auth::auth_error ignored;
      token = token_source.token(ignored).value_or(token);
      return true;
    };
  }
  ingest::run_policy policy(cfg, &gaps, metrics, std::move(refresher));
  ingest::reader_hooks hooks;
  hooks.on_session_end = [&](const ingest::session_result& r) { return policy.on_session_end(r); };
  hooks.next_target = [&] { return policy.next_target(); };
  hooks.bearer = [&] { return token; };
  hooks.on_established = [&](const ingest::rate_limit_headers& rl) { policy.on_established(rl); };
  hooks.on_tick = [&] { policy.on_tick(); };
  ingest::session_options sopts;
  sopts.connect_timeout = cfg.stream.connect_timeout;
  sopts.stall_timeout = cfg.reconnect.stall_timeout;

  int exit_code = 0;
  try {
    spdlog::info("streaming from {}://{}:{}{}", ep->tls ? "https" : "http", ep->host, ep->port, policy.base_target());
    ingest::stream_reader reader(*ep, cfg.stream.ca_file, sopts, publisher, hooks, metrics);
    exit_code = reader.run();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    exit_code = 2;
    publisher.finish();
  }
  pipe.request_stop();
  pipeline_thread.join();
  if (!pipeline_ok) return 1;
  if (kafka) {
    // The pipeline thread is joined: this thread now owns the sink.
    const auto left = kafka->flush(cfg.kafka.shutdown_timeout);
    spdlog::info("kafka: {} Posts still in the outbox after flushing for {} ms; they are re-produced at the next start",
                 left, cfg.kafka.shutdown_timeout.count());
  }
  const auto t = pipe.stored_throughput();
  spdlog::info("stopped: {} Posts stored ({} MB) in {:.3f} s of streaming = {:.0f} Posts/s, {:.1f} MB/s; "
               "{} duplicates dropped; everything received is committed",
               t.posts, t.bytes / 1000000, t.seconds, t.seconds > 0 ? t.posts / t.seconds : 0.0,
               t.seconds > 0 ? t.bytes / t.seconds / 1e6 : 0.0,
               t.duplicates);
  return exit_code;
}

}  // namespace spillway::app
