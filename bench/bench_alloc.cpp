// bench-alloc: heap allocations per Post on the hot path (reader thread: publisher + framer + ring push;
// pipeline thread: extract + dedup + RocksDB WriteBatch + commit, and with --kafka the Kafka sink: produce,
// delivery reports, outbox deletes), in steady state, with real RocksDB. malloc & co. are interposed in
// this binary and counted only on the two hot-path threads, so RocksDB's background flush/compaction
// threads and librdkafka's broker threads are not attributed to Posts. Calls made from librdkafka's own
// code on those threads (inside rd_kafka_producev, or freeing a delivered message) are counted apart
// (pipeline_allocs_in_librdkafka), by the caller's address; the rest is our code and RocksDB (its WAL writer).
// With --kafka an in-process librdkafka mock cluster is the broker (its threads are not counted either),
// and counting lasts until every Post is delivered. Prints one JSON object.
//
//   bench-alloc --corpus FILE.jsonl [--warmup 20000] [--kafka]
#include <link.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/kafka_mock/mock_cluster.hpp"
#include "common/metrics.hpp"
#include "config/settings.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/pipeline.hpp"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}

namespace {
thread_local bool counted_thread = false;
std::atomic<bool> counting{false};
std::atomic<std::uint64_t> reader_allocs{0};
std::atomic<std::uint64_t> pipeline_allocs{0};
std::atomic<std::uint64_t> librdkafka_allocs{0};  // of those, called from librdkafka's code
thread_local std::atomic<std::uint64_t>* my_counter = nullptr;
// librdkafka's executable segment [begin, end), found once before counting starts.
std::uintptr_t rdkafka_begin = 0;
std::uintptr_t rdkafka_end = 0;

inline void note(const void* caller) {
  if (!counted_thread || !counting.load(std::memory_order_relaxed)) return;
  my_counter->fetch_add(1, std::memory_order_relaxed);
  const auto at = reinterpret_cast<std::uintptr_t>(caller);
  if (at >= rdkafka_begin && at < rdkafka_end) librdkafka_allocs.fetch_add(1, std::memory_order_relaxed);
}

void find_librdkafka() {
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void*) {
        if (info->dlpi_name == nullptr || std::strstr(info->dlpi_name, "librdkafka.so") == nullptr) return 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const auto& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
          rdkafka_begin = info->dlpi_addr + ph.p_vaddr;
          rdkafka_end = rdkafka_begin + ph.p_memsz;
        }
        return 1;
      },
      nullptr);
}
}  // namespace

#define NOTE() note(__builtin_return_address(0))
extern "C" {
void* malloc(size_t n) { NOTE(); return __libc_malloc(n); }
void* calloc(size_t a, size_t b) { NOTE(); return __libc_calloc(a, b); }
void* realloc(void* p, size_t n) { NOTE(); return __libc_realloc(p, n); }
void* aligned_alloc(size_t a, size_t n) { NOTE(); return __libc_memalign(a, n); }
void* memalign(size_t a, size_t n) { NOTE(); return __libc_memalign(a, n); }
int posix_memalign(void** out, size_t a, size_t n) {
  NOTE();
  *out = __libc_memalign(a, n);
  return *out ? 0 : 12;
}
}

int main(int argc, char** argv) {
  using namespace spillway;
  std::string path;
  std::size_t warmup = 20000;
  CLI::App app{"bench-alloc: heap allocations per Post on the reader and pipeline threads"};
  app.add_option("--corpus", path, "one Post per line, e.g. spillway-emu --count 100000 --dump FILE")->required();
  app.add_option("--warmup", warmup, "Posts processed before counting starts (steady state)");
  bool with_kafka = false;
  app.add_flag("--kafka", with_kafka, "attach the Kafka sink (in-process mock cluster, 16 partitions) and count "
                                      "until every Post is delivered");
  CLI11_PARSE(app, argc, argv);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench-alloc: cannot read corpus '%s'; make one with: spillway-emu --count 100000 --dump FILE\n",
                 path.c_str());
    return 2;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line + "\r\n");
  }
  if (lines.size() <= warmup) {
    std::fprintf(stderr, "bench-alloc: the corpus needs more than --warmup (%zu) lines\n", warmup);
    return 2;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("bench-alloc-" + std::to_string(::getpid()));
  std::uint64_t reader_n = 0, pipeline_n = 0, measured = 0;
  bool failed = false;
  {
    common::metrics_registry metrics;
    sinks::store db(dir.string(), sinks::open_mode::read_write);
    common::slab_pool pool(4 << 20, 32);
    common::spsc_ring<common::stream_item> ring(65536);
    const config::settings defaults;  // the service's defaults (config/settings.hpp)
    ingest::line_publisher publisher(ring, pool, defaults.stream.max_line_bytes, metrics);
    const sinks::pipeline_options o{.max_line_bytes = defaults.stream.max_line_bytes,
                                    .write_batch_posts = defaults.rocksdb.write_batch_posts,
                                    .dedup_window = defaults.pipeline.dedup_window};
    std::unique_ptr<bench::mock_cluster> cluster;
    std::unique_ptr<sinks::kafka::kafka_sink> kafka;
    if (with_kafka) {
      cluster = std::make_unique<bench::mock_cluster>(1);
      if (const auto err = cluster->create_topic("x.posts:16"); !err.empty()) {
        std::fprintf(stderr, "bench-alloc: mock cluster: %s\n", err.c_str());
        return 1;
      }
      config::kafka_settings ks = defaults.kafka;
      ks.bootstrap_servers = cluster->bootstraps();
      kafka = std::make_unique<sinks::kafka::kafka_sink>(db, ks, metrics, defaults.stream.max_line_bytes);
      find_librdkafka();
    }
    sinks::pipeline pipe(ring, pool, db, metrics, o, kafka.get());
    std::thread consumer([&] {
      counted_thread = true;
      my_counter = &pipeline_allocs;
      (void)pipe.run();
    });
    counted_thread = true;
    my_counter = &reader_allocs;
    auto& stored = metrics.counter(common::metric::posts_stored);
    auto& delivered = metrics.counter(common::metric::kafka_delivered);
    // Done when every Post fed so far is stored and, with Kafka, delivered (bounded: 5 minutes).
    auto wait_for = [&](std::size_t n) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(5);
      const auto want = static_cast<std::int64_t>(n);
      while ((stored.get() < want || (kafka && delivered.get() < want)) && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      return stored.get() >= want && (!kafka || delivered.get() >= want);
    };
    // Feed like the network does: reads of up to 64 KiB.
    std::size_t next = 0;
    auto feed_until = [&](std::size_t end) {
      while (next < end) {
        auto room = publisher.writable();
        std::size_t used = 0;
        while (next < end && used + lines[next].size() <= std::min<std::size_t>(room.size(), 64 * 1024)) {
          std::memcpy(room.data() + used, lines[next].data(), lines[next].size());
          used += lines[next].size();
          ++next;
        }
        // Stamped like the reader stamps a read (Unix ms now), so the Kafka sink's delivery-rate log line
        // and its latency histogram measure this run rather than the time since a fixed date.
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
        publisher.commit(used, now_ms);
      }
    };
    feed_until(warmup);
    bool complete = wait_for(warmup);
    counting = true;
    feed_until(lines.size());
    complete = wait_for(lines.size()) && complete;
    counting = false;
    measured = lines.size() - warmup;
    reader_n = reader_allocs.load();
    pipeline_n = pipeline_allocs.load();
    publisher.finish();
    pipe.request_stop();
    consumer.join();
    if (kafka) (void)kafka->flush(std::chrono::seconds(10));  // the pipeline thread is joined: main owns it now
    if (!complete) {
      std::fprintf(stderr, "bench-alloc: not every Post was stored%s within 5 minutes; no figure\n",
                   kafka ? " and delivered" : "");
      failed = true;
    }
  }
  std::filesystem::remove_all(dir);
  if (failed) return 1;
  const auto rdk_n = librdkafka_allocs.load();
  const auto per_post = [&](std::uint64_t n) { return static_cast<double>(n) / static_cast<double>(measured); };
  std::printf("{\"benchmark\":\"hot_path_allocations\",\"kafka\":%s,\"posts_measured\":%llu,\"reader_allocs\":%llu,"
              "\"pipeline_allocs\":%llu,\"reader_allocs_per_post\":%.4f,\"pipeline_allocs_per_post\":%.4f,"
              "\"pipeline_allocs_in_librdkafka_per_post\":%.4f,\"pipeline_allocs_outside_librdkafka_per_post\":%.4f}\n",
              with_kafka ? "true" : "false", static_cast<unsigned long long>(measured),
              static_cast<unsigned long long>(reader_n), static_cast<unsigned long long>(pipeline_n),
              per_post(reader_n), per_post(pipeline_n), per_post(rdk_n), per_post(pipeline_n - rdk_n));
  return 0;
}
