// bench-kafka-sink: Posts/s through RocksDB (tweets + outbox WriteBatch) and the Kafka sink until every
// delivery report has arrived, against the same path without Kafka (RocksDB only), so the cost of Kafka is
// visible. Checks its result (delivered == Posts, outbox empty) before printing one JSON object.
// Broker: --bootstrap ADDR (e.g. spillway-kafka-mock in its own process), else an in-process mock cluster.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <prometheus/metric_family.h>
#include <spdlog/spdlog.h>

#include "bench/bench_machine.hpp"
#include "bench/kafka_mock/mock_cluster.hpp"
#include "common/metrics.hpp"
#include "sinks/post_extractor.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/rocksdb/store.hpp"

namespace {

using namespace spillway;
using clock_type = std::chrono::steady_clock;

struct bench_post {
  std::string buffer;
  std::size_t length = 0;
  sinks::extracted_post fields;
};

std::vector<bench_post> make_posts(std::size_t count, std::size_t line_bytes) {
  sinks::post_extractor extractor(1 << 20);
  std::vector<bench_post> posts(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::string line = R"({"data":{"id":")" + std::to_string(1800000000000000000ull + i * 4096) +
                       R"(","author_id":"1507176760634449922","text":")";
    const std::string tail = R"("},"matching_rules":[{"id":"1519772640537456640","tag":"bench"},{"id":"1519772640537456641","tag":""}]})";
    while (line.size() + tail.size() < line_bytes) line += "lorem ipsum \\u00e9 ";
    line += tail;
    auto& p = posts[i];
    p.length = line.size();
    p.buffer = line;
    p.buffer.resize(line.size() + simdjson::SIMDJSON_PADDING, '\0');
    p.fields = extractor.extract(p.buffer.data(), p.length, p.buffer.size());
  }
  return posts;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Upper bound of the histogram bucket holding quantile q (the histogram's resolution).
double quantile(const common::metrics_registry& m, double q) {
  for (const auto& family : m.shared_prometheus_registry()->Collect()) {
    if (family.name != common::metric::kafka_delivery_latency.name || family.metric.empty()) continue;
    const auto& h = family.metric[0].histogram;
    const double target = q * static_cast<double>(h.sample_count);
    for (const auto& b : h.bucket) {
      if (static_cast<double>(b.cumulative_count) >= target) return b.upper_bound;
    }
  }
  return -1;
}

struct run_result {
  double seconds = 0;
  double cpu = 0;
};

// kafka == nullptr: RocksDB only; with outbox_only, also the outbox record put + delete that delivery would
// cause (an instantly acknowledging Kafka), to separate the outbox's RocksDB cost from librdkafka's. Each
// batch's Posts are listed in one outbox record, as the pipeline writes them.
run_result run(const std::vector<bench_post>& posts, std::size_t batch, const config::kafka_settings* kafka,
               common::metrics_registry& metrics, bool& ok, bool outbox_only = false) {
  const auto dir = std::filesystem::temp_directory_path() / ("spillway-bench-kafka-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  run_result r;
  {
    sinks::store db(dir.string(), sinks::open_mode::read_write);
    std::unique_ptr<sinks::kafka::kafka_sink> sink;
    if (kafka != nullptr) sink = std::make_unique<sinks::kafka::kafka_sink>(db, *kafka, metrics, 1 << 20);
    sinks::commit_batch wb(db);
    std::vector<sinks::committed_post> committed;
    committed.reserve(batch);
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const auto cpu0 = cpu_seconds();
    const auto t0 = clock_type::now();
    for (std::size_t i = 0; i < posts.size(); i += batch) {
      wb.clear();
      committed.clear();
      const auto at_ms = now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
      for (std::size_t j = i; j < std::min(posts.size(), i + batch); ++j) {
        const auto& p = posts[j];
        const std::string_view line(p.buffer.data(), p.length);
        wb.put_post(p.fields.id, line);
        if (sink || outbox_only) wb.add_to_outbox_record(p.fields.id, at_ms, common::post_source::stream);
        committed.push_back({p.fields.id, line, &p.fields, at_ms, common::post_source::stream, 0});
      }
      const auto record = sink || outbox_only ? db.next_outbox_record() : 0;
      wb.put_outbox_record(record);
      for (auto& c : committed) c.outbox_record = record;
      if (!db.commit(wb)) {
        ok = false;
        break;
      }
      if (sink) {
        sink->on_committed(committed);
        sink->poll();
      } else if (outbox_only) {
        sinks::commit_batch deletes(db);
        deletes.delete_outbox_record(record);
        ok = ok && db.commit(deletes).has_value();
      }
    }
    if (sink) {
      const auto until = clock_type::now() + std::chrono::minutes(5);
      while (sink->outbox_posts() > 0 && clock_type::now() < until) {
        sink->poll();
        ::usleep(1000);
      }
      ok = ok && sink->outbox_posts() == 0 &&
           metrics.counter(common::metric::kafka_delivered).get() >= static_cast<std::int64_t>(posts.size());
    }
    r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    r.cpu = cpu_seconds() - cpu0;
  }
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench-kafka-sink: RocksDB + Kafka sink throughput vs RocksDB only"};
  std::size_t count = 200000;
  std::size_t line_bytes = 1500;
  std::size_t batch = 512;
  int partitions = 64;
  std::string bootstrap;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<std::string> props;
  bool kafka_first = false;
  app.add_option("--posts", count, "Posts per run");
  app.add_option("--line-bytes", line_bytes, "bytes per Post line");
  app.add_option("--batch", batch, "Posts per WriteBatch");
  app.add_option("--bootstrap", bootstrap, "a running cluster (else an in-process mock)");
  app.add_option("--partitions", partitions, "partitions of x.posts on the in-process mock");
  app.add_option("--property", props, "NAME=VALUE passed to librdkafka (repeatable)");
  app.add_flag("--kafka-first", kafka_first, "run the Kafka pass before the RocksDB-only pass");
  CLI11_PARSE(app, argc, argv);
  for (const auto& p : props) {
    const auto eq = p.find('=');
    if (eq == std::string::npos) {
      std::cerr << "--property wants NAME=VALUE, got '" << p << "'\n";
      return 1;
    }
    properties.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  spdlog::set_level(spdlog::level::warn);
  try {
    std::unique_ptr<bench::mock_cluster> mock;
    if (bootstrap.empty()) {
      mock = std::make_unique<bench::mock_cluster>(1);
      const auto err = mock->create_topic("x.posts:" + std::to_string(partitions));
      if (!err.empty()) throw std::runtime_error(err);
      bootstrap = mock->bootstraps();
    }
    const auto posts = make_posts(count, line_bytes);
    config::kafka_settings kafka;
    kafka.enabled = true;
    kafka.bootstrap_servers = bootstrap;
    kafka.properties = properties;

    bool ok = true;
    // The order matters on a small machine (the first pass's dirty pages are still being written back
    // during the second): --kafka-first shows the other side.
    common::metrics_registry rocks_metrics;
    common::metrics_registry kafka_metrics;
    run_result rocks;
    run_result both;
    if (kafka_first) both = run(posts, batch, &kafka, kafka_metrics, ok);
    rocks = run(posts, batch, nullptr, rocks_metrics, ok);
    common::metrics_registry outbox_metrics;
    const auto outbox = run(posts, batch, nullptr, outbox_metrics, ok, true);
    if (!kafka_first) both = run(posts, batch, &kafka, kafka_metrics, ok);
    if (!ok) {
      std::cerr << "bench-kafka-sink: result check failed (undelivered Posts or a RocksDB error)\n";
      return 1;
    }
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const double mb = static_cast<double>(count * line_bytes) / 1e6;
    std::printf(
        "{\"bench\":\"kafka_sink\",\"kafka_first\":%s,\"posts\":%zu,\"line_bytes\":%zu,\"batch\":%zu,\"broker\":\"%s\","
        "\"rocksdb_only\":{\"posts_per_s\":%.0f,\"mb_per_s\":%.1f,\"cpu_us_per_post\":%.2f},"
        "\"rocksdb_with_outbox_instant_ack\":{\"posts_per_s\":%.0f,\"cpu_us_per_post\":%.2f},"
        "\"rocksdb_and_kafka\":{\"posts_per_s\":%.0f,\"mb_per_s\":%.1f,\"cpu_us_per_post\":%.2f,"
        "\"latency_p50_s_le\":%g,\"latency_p99_s_le\":%g,\"latency_p999_s_le\":%g},"
        "\"peak_rss_mb\":%.0f,\"cpus\":%ld,\"cpu_model\":\"%s\"}\n",
        kafka_first ? "true" : "false", count, line_bytes, batch, mock ? "in-process mock" : bootstrap.c_str(), static_cast<double>(count) / rocks.seconds,
        mb / rocks.seconds, rocks.cpu * 1e6 / static_cast<double>(count), static_cast<double>(count) / outbox.seconds,
        outbox.cpu * 1e6 / static_cast<double>(count), static_cast<double>(count) / both.seconds,
        mb / both.seconds, both.cpu * 1e6 / static_cast<double>(count), quantile(kafka_metrics, 0.5),
        quantile(kafka_metrics, 0.99), quantile(kafka_metrics, 0.999), static_cast<double>(u.ru_maxrss) / 1024.0,
        ::sysconf(_SC_NPROCESSORS_ONLN), spillway::bench::cpu_model().c_str());
  } catch (const std::exception& e) {
    std::cerr << "bench-kafka-sink: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
