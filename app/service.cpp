#include "app/service.hpp"
#include "app/malloc_policy.hpp"
#include "app/service_connection.hpp"

#include <pthread.h>

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <spdlog/spdlog.h>

#include "common/backoff.hpp"
#include "common/thread_priority.hpp"
#include "config/options.hpp"
#include "ingest/control/rules_sync.hpp"

namespace spillway::app {
namespace {

common::error start_up_error(const std::exception& e) { return {common::errc::config, e.what()}; }

// The metrics listener serves operational detail (rates, rule counts, gaps) without authentication: on
// anything but loopback that is a choice worth a line in the log.
void warn_if_exposed(const std::string& listen) {
  const auto colon = listen.rfind(':');
  std::string_view host(listen.data(), colon == std::string::npos ? listen.size() : colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1" || host.starts_with("127.")) return;
  spdlog::warn("metrics.listen = {} serves /metrics to other hosts without authentication; bind 127.0.0.1 and "
               "scrape through a proxy, or firewall the port", listen);
}

// The database holds every Post received: create its directory readable by the service's user only
// (RocksDB would create it 0755). An existing directory keeps the permissions its owner chose.
common::result<void> create_owner_only_directory(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return {};
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return common::error(common::errc::storage, "cannot create the database directory " + path + ": " +
                                                    std::strerror(errno) +
                                                    "; check sinks.rocksdb.path and the permissions of its parent");
  }
  return {};
}

}  // namespace

service::service(const config::settings& cfg, signal_watcher& signals)
    : cfg_(cfg),
      signals_(signals),
      pipeline_up_(metrics_.gauge(common::metric::pipeline_up)) {
  metrics_.gauge(common::metric::start_time)
      .set(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

service::~service() {
  stop_healing();
  if (pipeline_thread_.joinable()) {
    pipe_->request_stop();
    pipeline_thread_.join();
  }
}

common::result<std::unique_ptr<service>> service::build(const config::settings& cfg, signal_watcher& signals,
                                                        rocksdb::Env* env) {
  std::unique_ptr<service> s(new service(cfg, signals));
  s->env_ = env;
  auto ep = ingest::parse_base_url(cfg.stream.base_url);
  if (!ep) return ep.error();
  s->ep_ = std::move(*ep);

  // The token never lives in the config file (XAPI.md "Tokens"): the environment, an owner-only file,
  // or the client-credentials grant (which can be repeated after a 401).
  s->token_source_ = std::make_unique<ingest::auth::app_token_source>(s->cfg_, &s->control_limits_);
  s->token_source_->set_stop(&signals);  // a grant in progress (start-up, or a refresh after a 401) ends on SIGTERM
  auto have_token = s->obtain_token();
  if (!have_token) return have_token.error();
  if (!*have_token) return std::unique_ptr<service>();
  s->sync_rules();
  if (signals.stop_requested()) {
    spdlog::info("stopped before streaming began: nothing was received, nothing to commit");
    return std::unique_ptr<service>();
  }
  if (auto opened = s->open_sinks(); !opened) return opened.error();
  try {
    if (auto wired = s->wire_stream(); !wired) return wired.error();  // e.g. stream.ca_file cannot be loaded
  } catch (const std::exception& e) {
    return start_up_error(e);
  }
  return s;
}

// The start-up token. With client credentials X may be unreachable at start (a service started before
// the network, an outage): that is a network error like any other, so retry on the network schedule
// (linear steps of reconnect.network_step up to network_cap) rather than exit. Configuration problems and
// X's refusals still stop at once: retrying cannot fix them. SIGINT/SIGTERM end the wait at once: false,
// nothing has been received yet, so nothing is lost.
common::result<bool> service::obtain_token() {
  const auto& rc = cfg_.reconnect;
  const auto schedule = common::linear_schedule(rc.network_step, rc.network_cap);
  for (std::uint32_t attempt = 1;; ++attempt) {
    if (signals_.stop_requested()) return false;
    auto token = token_source_->token();
    if (token) {
      token_ = std::move(*token);
      spdlog::info("app-only Bearer token from {}", token_source_->describe());
      return true;
    }
    const auto failure = token.error();
    if (!failure.is(common::errc::network)) return failure;
    const auto wait = schedule.nominal(attempt);
    const auto level = attempt >= rc.alert_after ? spdlog::level::err : spdlog::level::warn;
    spdlog::log(level, "{}; start-up attempt {} to obtain the app-only Bearer token failed, retrying in {} ms "
                "(SIGTERM stops)", failure.message, attempt, wait.count());
    if (signals_.wait_for(wait)) {
      spdlog::info("stopped before streaming began: nothing was received, nothing to commit");
      return false;
    }
  }
}

void service::sync_rules() {
  if (!cfg_.stream.rules_sync_on_start) return;
  // A failed sync does not stop ingestion: the live rules keep streaming, and the stream's own answer
  // (401/403/409) is classified by the supervisor like on any connect.
  if (auto synced = ingest::sync_rules_on_start(cfg_, token_, control_limits_, &signals_); !synced) {
    if (signals_.stop_requested()) return;  // build() says so
    spdlog::error("rules sync on start failed: {}; streaming with the rules X already has", synced.error().message);
  }
}

common::result<void> service::open_sinks() {
  try {
    if (cfg_.metrics.enabled) {
      warn_if_exposed(cfg_.metrics.listen);
      register_health_checks();
      metrics_server_ = std::make_unique<common::metrics_server>(cfg_.metrics.listen, metrics_, liveness_, readiness_);
    }
    if (auto made = create_owner_only_directory(cfg_.rocksdb.path); !made) return made.error();
    db_ = std::make_unique<sinks::store>(cfg_.rocksdb.path, sinks::open_mode::read_write, env_);
    if (auto opened = open_spool(); !opened) return opened.error();
    for (std::size_t i = 0; i < cfg_.stream.connections; ++i) {
      if (auto opened = open_connection(i); !opened) return opened.error();
    }
    if (cfg_.kafka.enabled) {
      (void)free_small_blocks_without_fastbins();  // librdkafka's per-message allocations (app/malloc_policy.hpp)
      // Starts even when no broker is reachable: Posts wait in the outbox until Kafka answers.
      kafka_ = std::make_unique<sinks::kafka::kafka_sink>(*db_, cfg_.kafka, metrics_, cfg_.stream.max_line_bytes);
    }
  } catch (const std::exception& e) {
    return start_up_error(e);
  }
  const sinks::pipeline_options popts{.max_line_bytes = cfg_.stream.max_line_bytes,
                                      .write_batch_posts = cfg_.rocksdb.write_batch_posts,
                                      .dedup_window = cfg_.pipeline.dedup_window};
  std::vector<sinks::pipeline_input> inputs;
  for (const auto& c : connections_) {
    inputs.push_back({.ring = c->ring.get(), .pool = c->pool.get(), .spool = c->index == 0 ? spool_.get() : nullptr,
                      .labels = c->labels});
  }
  pipe_ = std::make_unique<sinks::pipeline>(inputs, *db_, metrics_, popts, kafka_.get());
  if (cfg_.recovery.mode != "off") {
    heal_inbox_ = std::make_unique<common::heal_inbox>();
    pipe_->attach_heal_inbox(heal_inbox_.get());
    healer_ = std::make_unique<heal_runner>(cfg_, *db_, *heal_inbox_, [this] { return current_token(); });
  }
  spdlog::info("RocksDB at {}: {} recent ids loaded into the dedup window", cfg_.rocksdb.path, pipe_->warmed_ids());
  return {};
}

common::result<void> service::open_spool() {
  if (cfg_.pipeline.spool_max_bytes == 0) return {};
  const auto path = config::effective_spool_path(cfg_);
  auto opened = common::spool::open(path, cfg_.pipeline.spool_max_bytes, cfg_.stream.max_line_bytes, metrics_);
  if (!opened) return opened.error();
  spool_ = std::move(*opened);
  const auto& r = spool_->recovery();
  if (r.records != 0 || r.torn_bytes != 0) {
    spdlog::warn("overload spool {}: {} lines ({} bytes) left from the last run are stored first; {} bytes of a "
                 "line cut off by a crash were dropped (backfill covers it)",
                 path, r.records, r.bytes, r.torn_bytes);
  }
  return {};
}

common::result<void> service::wire_stream() {
  // Before the pipeline thread starts writing: the newest stored Post bounds when delivery stopped.
  std::optional<ingest::wall_time> newest_post;
  db_->for_each_newest_id(1, [&](std::uint64_t id) {
    if (id != 0) newest_post = ingest::snowflake_time(id);
  });
  // Lines recovered from the spool were received, and are stored before anything new: the gap starts at the
  // last whole one (a torn line after it was not kept, so backfill must cover from there).
  if (spool_ && spool_->recovery().last_received_ms) {
    const ingest::wall_time spooled{std::chrono::milliseconds(*spool_->recovery().last_received_ms)};
    if (!newest_post || spooled > *newest_post) newest_post = spooled;
  }
  ledger_ = std::make_unique<meta_gap_ledger>(*db_);
  gaps_ = std::make_unique<ingest::gap_tracker>(*ledger_, cfg_.stream.backfill, newest_post, metrics_);
  // A gap only while every connection is down (one connection: the same as the tracker itself).
  shared_gaps_ = std::make_unique<ingest::redundant_gaps>(*gaps_, connections_.size());
  usage_ = std::make_unique<usage_monitor>(cfg_, metrics_, [this] { return current_token(); });
  for (auto& c : connections_) {
    if (auto wired = wire_connection(*c); !wired) return wired.error();
  }
  auto guard = disk_guard::create(cfg_.rocksdb, metrics_,
                                  {[this] { for_each_reader(&ingest::stream_reader::hold); },
                                   [this] { for_each_reader(&ingest::stream_reader::release); }});
  if (!guard) return guard.error();
  disk_guard_ = std::move(*guard);
  return {};
}

void service::stop_healing() {
  if (heal_inbox_) heal_inbox_->abandon();
  if (healer_) healer_->stop();
}

std::string service::current_token() const {
  const std::lock_guard lock(token_mutex_);
  return token_;
}

void service::on_pipeline_failed() {
  pipeline_ok_.store(false, std::memory_order_release);
  pipeline_ended_.store(true, std::memory_order_release);
  pipeline_up_.set(0);
  if (heal_inbox_) heal_inbox_->abandon();
  // The readers may be waiting for ring space that will never come: release them, then end the sessions.
  for (auto& c : connections_) c->publisher->abandon();
  for_each_reader(&ingest::stream_reader::request_shutdown);
}

common::exit_code service::run() {
  pipeline_up_.set(1);
  signals_.on_stop([this] { for_each_reader(&ingest::stream_reader::request_shutdown); });
  pipeline_thread_ = std::thread([this] {
    // Behind the ring and the spool: below the reader when the CPUs are saturated (common/thread_priority.hpp).
    // The committer, started from this thread, inherits it.
    (void)common::lower_this_thread_to_background();
    if (!pipe_->run()) on_pipeline_failed();
  });
  disk_guard_->start();
  usage_->start();
  if (healer_) healer_->start();
  spdlog::info("streaming from {}://{}:{}{} over {} connection(s)", ep_.tls ? "https" : "http", ep_.host, ep_.port,
               connections_.front()->policy->base_target(), connections_.size());
  return stop(run_connections());
}

common::exit_code service::stop(common::exit_code reader_exit) {
  disk_guard_->stop();  // before anything it calls into goes
  usage_->stop();
  stop_healing();  // before the pipeline stops draining the inbox
  pipe_->request_stop();
  pipeline_thread_.join();
  pipeline_up_.set(0);
  pipeline_ended_.store(true, std::memory_order_release);
  if (!pipeline_ok_.load(std::memory_order_acquire)) {
    spdlog::critical("stopped: RocksDB at {} refused a write (the error is logged above); everything committed "
                     "before it is safe, nothing after it was acknowledged. Fix the disk (space, permissions, "
                     "file-size limits) and start again: the gap ledger asks X to backfill what was missed",
                     cfg_.rocksdb.path);
    if (metrics_server_) {
      // The process is about to exit: keep /metrics answering briefly so a scraper watching it sees
      // spillway_pipeline_up 0 (the cause) rather than only a vanished target. Within the 5 s exit budget.
      (void)signals_.wait_for(std::chrono::milliseconds(1000));  // a signal only ends the linger early
    }
    return common::exit_code::runtime;
  }
  if (kafka_) {
    // The pipeline thread is joined: this thread now owns the sink.
    const auto left = kafka_->flush(cfg_.kafka.shutdown_timeout);
    spdlog::info("kafka: {} Posts still in the outbox after flushing for {} ms; they are re-produced at the next start",
                 left, cfg_.kafka.shutdown_timeout.count());
  }
  const auto t = pipe_->stored_throughput();
  spdlog::info("stopped: {} Posts stored ({} MB) in {:.3f} s of streaming = {:.0f} Posts/s, {:.1f} MB/s; "
               "{} duplicates dropped; everything received is committed",
               t.posts, t.bytes / 1000000, t.seconds, t.seconds > 0 ? t.posts / t.seconds : 0.0,
               t.seconds > 0 ? t.bytes / t.seconds / 1e6 : 0.0, t.duplicates);
  return reader_exit;
}

}  // namespace spillway::app
