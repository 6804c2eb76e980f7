#pragma once
// metric_names: every Prometheus metric Spillway exposes, written once — name and help text — so the
// components that register a metric and the ones that look it up (tests, benchmarks) cannot drift apart.
// The names are public (README "Metrics", dashboards, bench/bench_e2e.sh scrapes them): never rename one.
//
// A metric's kind is its type (counter_def, gauge_def, histogram_def), so a counter cannot be registered
// as a gauge. Several components may register the same metric: the registry hands back the same cell
// (e.g. the reader's publisher and the supervisor both count spillway_bytes_received_total).
// Labels are not part of the definition; each one is described next to its metric and set by the caller.
//
// Pure constants; any thread. Grouped by the stage (and thread) that updates them.
#include <algorithm>
#include <array>
#include <string_view>

namespace spillway::common::metric {

struct counter_def {
  std::string_view name;
  std::string_view help;
  // Prometheus convention, checked at compile time: a counter's name ends in _total.
  consteval counter_def(std::string_view n, std::string_view h) : name(n), help(h) {
    if (!n.ends_with("_total")) throw "a counter's name must end in _total";
  }
};
struct gauge_def {
  std::string_view name;
  std::string_view help;
};
struct histogram_def {
  std::string_view name;
  std::string_view help;
};

// --- stream body, reader thread (ingest/stream: line_publisher, stream_reader, supervisor) -------------
inline constexpr counter_def bytes_received{"spillway_bytes_received_total", "Decoded stream body bytes received"};
inline constexpr counter_def lines_received{"spillway_lines_received_total", "Non-empty lines framed from the stream"};
inline constexpr counter_def heartbeats{"spillway_heartbeats_total", "Heartbeat (empty) lines received"};
inline constexpr gauge_def ring_high_water{"spillway_ring_high_water", "Most items ever waiting in the ring"};
inline constexpr counter_def ring_full_waits{
    "spillway_ring_full_waits_total",
    "Times the reader had to wait for ring or slab space (the pipeline was behind)"};
inline constexpr gauge_def slabs_allocated{"spillway_slabs_allocated", "Body slabs allocated (reused in steady state)"};
// Overload spool (common/spool): the reader appends when the ring or slabs are full; the pipeline drains.
inline constexpr gauge_def spool_bytes{"spillway_spool_bytes", "Bytes in the overload spool not yet drained by the pipeline"};
inline constexpr gauge_def spool_oldest_age_ms{"spillway_spool_oldest_age_milliseconds",
                                               "Age of the oldest spooled line not yet drained (since it was received); 0 when empty"};
inline constexpr counter_def spool_lines_spooled{"spillway_spool_lines_spooled_total",
                                                 "Lines the reader appended to the overload spool (the pipeline was behind)"};
inline constexpr counter_def spool_lines_drained{"spillway_spool_lines_drained_total",
                                                 "Spooled lines the pipeline read back and committed"};
inline constexpr counter_def connect_attempts{"spillway_connect_attempts_total", "Stream connection attempts"};

// --- stream supervisor, reader thread (ingest/stream/supervisor_metrics) ------------------------------
inline constexpr gauge_def stream_state{"spillway_stream_state",
                                        "Stream connection: 0 backing off, 1 connecting, 2 streaming, 3 stopped, 4 paused (disk low)"};
inline constexpr counter_def stream_established{"spillway_stream_established_total",
                                                "Connects answered 200 with an open stream"};
inline constexpr gauge_def reconnect_backoff_ms{"spillway_reconnect_backoff_milliseconds",
                                                "The wait chosen before the next connect"};
inline constexpr gauge_def stream_healthy{"spillway_stream_healthy",
                                          "1 until reconnect.alert_after consecutive failed sessions"};
inline constexpr gauge_def stream_consecutive_failures{"spillway_stream_consecutive_failures",
                                                       "Failed sessions since data last arrived"};
inline constexpr gauge_def stream_last_byte_ms{"spillway_stream_last_byte_unix_ms",
                                               "When a body byte last arrived (sampled)"};
inline constexpr gauge_def stream_last_heartbeat_ms{"spillway_stream_last_heartbeat_unix_ms",
                                                    "When a heartbeat last arrived (sampled)"};
inline constexpr gauge_def stream_last_post_ms{"spillway_stream_last_post_unix_ms",
                                               "When a Post (non-empty line) last arrived (sampled)"};
// Label reason = the session's end class (ingest/reconnect: to_string(end_class)), one cell per class.
inline constexpr counter_def stream_session_ends{"spillway_stream_session_ends_total",
                                                 "Stream sessions ended, by reason"};

// --- x-rate-limit-* headers (ingest/xapi/rate_limits, supervisor) ------------------------------------
// Without labels: the stream's last connect (supervisor). Label endpoint = "METHOD /path" of every stream
// connect, rules and token call (e.g. endpoint="POST /2/tweets/search/stream/rules").
inline constexpr gauge_def x_rate_limit_limit{"spillway_x_rate_limit_limit", "x-rate-limit-limit of the last response"};
inline constexpr gauge_def x_rate_limit_remaining{"spillway_x_rate_limit_remaining",
                                                  "x-rate-limit-remaining of the last response"};
inline constexpr gauge_def x_rate_limit_reset{"spillway_x_rate_limit_reset_unix_seconds",
                                              "x-rate-limit-reset of the last response"};

// --- delivery gaps, reader thread (ingest/stream/gap_tracker) ------------------------------------------
inline constexpr counter_def recovered_gap_seconds{"spillway_recovered_gap_seconds_total",
                                                   "Seconds of stream gaps within the backfill window (asked again)"};
inline constexpr counter_def unrecovered_gap_seconds{
    "spillway_unrecovered_gap_seconds_total",
    "Seconds of stream gaps backfill could not recover (beyond 5 min, or backfill off)"};
inline constexpr counter_def backfill_requests{"spillway_backfill_requests_total",
                                               "Connects that asked for backfill_minutes"};
inline constexpr counter_def stream_gaps{"spillway_stream_gaps_total",
                                         "Gaps in delivery closed (each reconnect that delivered again)"};
inline constexpr gauge_def open_gap_since_ms{"spillway_open_gap_since_unix_ms", "When delivery stopped (0 = delivering)"};

// --- pipeline thread (sinks/pipeline; pipeline_up is set by app/service around the thread) -------------
// Set once by app/service at start: `spillway top`'s uptime, and restarts show on a dashboard.
inline constexpr gauge_def start_time{"spillway_start_time_unix_seconds", "When this process started (Unix seconds)"};
inline constexpr gauge_def pipeline_up{"spillway_pipeline_up",
                                       "1 while the pipeline thread stores Posts; 0 once it stopped (a storage failure)"};
inline constexpr counter_def posts_received{"spillway_posts_received_total", "Posts parsed from the stream"};
inline constexpr counter_def posts_stored{"spillway_posts_stored_total", "Posts committed to RocksDB"};
// A prometheus-cpp histogram (buckets: common/latency_histogram.hpp); exposed as _bucket/_sum/_count.
inline constexpr histogram_def commit_latency{"spillway_commit_latency_seconds",
                                              "Time from receiving a Post to its commit in RocksDB (WAL written)"};
inline constexpr counter_def duplicates_dropped{"spillway_duplicates_dropped_total",
                                                "Posts dropped because their id was already stored"};
inline constexpr counter_def stream_notices{"spillway_stream_notices_total",
                                            "In-band error notices (e.g. operational-disconnect)"};
inline constexpr counter_def rocksdb_batches{"spillway_rocksdb_batches_total", "RocksDB write batches committed"};
inline constexpr gauge_def ring_depth{"spillway_ring_depth", "Items waiting in the reader-to-pipeline ring"};
inline constexpr counter_def dedup_rocksdb_reads{"spillway_dedup_rocksdb_reads_total",
                                                 "Ids older than the dedup window checked in RocksDB"};
// Label kind = invalid_json | missing_id | oversize | truncated (also the deadletter record's prefix).
inline constexpr counter_def malformed_lines{"spillway_malformed_lines_total", "Lines sent to the deadletter store"};

// --- Kafka sink, pipeline thread (sinks/kafka/kafka_metrics) ------------------------------------------
inline constexpr counter_def kafka_produced{"spillway_kafka_produced_total",
                                            "Posts handed to librdkafka (live and outbox relay)"};
inline constexpr counter_def kafka_reproduced{"spillway_kafka_reproduced_total",
                                              "Posts re-produced from the RocksDB outbox"};
inline constexpr counter_def kafka_delivered{"spillway_kafka_delivered_total",
                                             "Posts whose delivery report succeeded (acks=all)"};
inline constexpr counter_def kafka_queue_full{
    "spillway_kafka_queue_full_total",
    "Produce attempts refused because librdkafka's bounded queue was full (Post kept in the outbox)"};
inline constexpr counter_def kafka_outbox_orphans{
    "spillway_kafka_outbox_orphans_total",
    "Outbox entries dropped because the Post itself is no longer in RocksDB (retention)"};
inline constexpr counter_def kafka_producer_restarts{
    "spillway_kafka_producer_restarts_total",
    "Producers recreated after a fatal librdkafka error (Posts re-produced from the outbox)"};
// Label code = librdkafka's error name (rd_kafka_err2name), e.g. code="_MSG_TIMED_OUT".
inline constexpr counter_def kafka_delivery_errors{
    "spillway_kafka_delivery_errors_total",
    "Failed delivery reports and refused produce calls, by librdkafka error name (each Post is retried from the "
    "outbox)"};
inline constexpr gauge_def kafka_outbox_posts{"spillway_kafka_outbox_posts", "Posts stored but not yet delivered to Kafka"};
inline constexpr gauge_def kafka_outbox_bytes{"spillway_kafka_outbox_bytes", "Bytes of the Posts in the outbox"};
inline constexpr gauge_def kafka_outbox_oldest_age_ms{"spillway_kafka_outbox_oldest_age_milliseconds",
                                                      "Age of the oldest undelivered Post (since it was received)"};
inline constexpr gauge_def kafka_queue_depth{"spillway_kafka_queue_depth",
                                             "Messages inside librdkafka (rd_kafka_outq_len)"};
inline constexpr gauge_def kafka_in_flight{"spillway_kafka_in_flight",
                                           "Posts produced whose delivery report has not arrived"};
// Read by /readyz (app/service_health.cpp).
inline constexpr gauge_def kafka_brokers_up{
    "spillway_kafka_brokers_up",
    "0 after librdkafka reported all brokers down, until the next acknowledged delivery; else 1"};
// A prometheus-cpp histogram (buckets: common/latency_histogram.hpp); exposed as _bucket/_sum/_count.
inline constexpr histogram_def kafka_delivery_latency{
    "spillway_kafka_delivery_latency_seconds",
    "Time from receiving a Post to its successful Kafka delivery report (acks=all)"};

// --- disk guard thread (app/disk_guard): the free space of the database's filesystem ---------------------
inline constexpr gauge_def disk_free_bytes{
    "spillway_disk_free_bytes",
    "Bytes available to Spillway on the filesystem of sinks.rocksdb.path (statvfs f_bavail * f_frsize)"};
inline constexpr gauge_def disk_low{
    "spillway_disk_low",
    "1 while the stream is closed because free space is below sinks.rocksdb.min_free_bytes; 0 otherwise"};

// --- usage monitor thread (app/usage_monitor): GET /2/usage/tweets every usage.poll_interval -------------
inline constexpr gauge_def usage_consumed{
    "spillway_usage_posts_consumed", "Posts the project has consumed this billing period (GET /2/usage/tweets)"};
inline constexpr gauge_def usage_cap{"spillway_usage_posts_cap",
                                     "The project's Post cap for the billing period (0 = X reported none)"};
inline constexpr gauge_def usage_cap_reset_day{"spillway_usage_cap_reset_day",
                                               "Day of the month the usage cap resets (cap_reset_day; 0 = unknown)"};
inline constexpr gauge_def usage_cap_reset{"spillway_usage_cap_reset_unix_seconds",
                                           "When the usage cap next resets, 00:00 UTC on cap_reset_day (0 = unknown)"};
// --- reader thread (reconnect.close_stale_connections) ----------------------------------------------------
inline constexpr counter_def stale_connections_closed{
    "spillway_stale_connections_closed_total",
    "Streaming connections of this app closed through the Connections API after repeated 429 TooManyConnections"};

// Every name above, for the checks below (add a new metric here too).
inline constexpr std::array all_names = {
    bytes_received.name, lines_received.name, heartbeats.name, ring_high_water.name, ring_full_waits.name,
    slabs_allocated.name, spool_bytes.name, spool_oldest_age_ms.name, spool_lines_spooled.name,
    spool_lines_drained.name, connect_attempts.name, stream_state.name, stream_established.name,
    reconnect_backoff_ms.name, stream_healthy.name, stream_consecutive_failures.name, stream_last_byte_ms.name,
    stream_last_heartbeat_ms.name, stream_last_post_ms.name, stream_session_ends.name, x_rate_limit_limit.name,
    x_rate_limit_remaining.name, x_rate_limit_reset.name, recovered_gap_seconds.name, unrecovered_gap_seconds.name,
    backfill_requests.name, stream_gaps.name, open_gap_since_ms.name, start_time.name, pipeline_up.name, posts_received.name, posts_stored.name, commit_latency.name,
    duplicates_dropped.name, stream_notices.name, rocksdb_batches.name, ring_depth.name, dedup_rocksdb_reads.name,
    malformed_lines.name, kafka_produced.name, kafka_reproduced.name, kafka_delivered.name, kafka_queue_full.name,
    kafka_outbox_orphans.name, kafka_producer_restarts.name, kafka_delivery_errors.name, kafka_outbox_posts.name,
    kafka_outbox_bytes.name, kafka_outbox_oldest_age_ms.name, kafka_queue_depth.name, kafka_in_flight.name,
    kafka_brokers_up.name, kafka_delivery_latency.name, disk_free_bytes.name, disk_low.name,
    usage_consumed.name, usage_cap.name, usage_cap_reset_day.name, usage_cap_reset.name,
    stale_connections_closed.name,
};

// One definition per name: two constants with the same name would be the duplication this file removes.
[[nodiscard]] consteval bool names_are_unique() {
  auto sorted = all_names;
  std::ranges::sort(sorted);
  return std::ranges::adjacent_find(sorted) == sorted.end();
}
static_assert(names_are_unique(), "a metric name is defined twice in common/metric_names.hpp");
static_assert(std::ranges::all_of(all_names, [](std::string_view n) { return n.starts_with("spillway_"); }),
              "every metric name starts with spillway_");

}  // namespace spillway::common::metric
