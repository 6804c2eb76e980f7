// bench-alloc: heap allocations per Post on the hot path, in steady state, with real RocksDB, on each of
// the three hot-path threads: the reader (publisher + framer + ring push), the pipeline (extract + dedup +
// filling the RocksDB WriteBatch) and the committer (the RocksDB write, and with --kafka the Kafka sink:
// produce, delivery reports, outbox deletes). malloc & co. and operator new are interposed in this binary
// and counted only on those threads, so RocksDB's background flush/compaction threads and librdkafka's
// broker threads are not attributed to Posts. Each thread's count is split by the caller's address: code in
// librdkafka (inside rd_kafka_producev, freeing a delivered message), code in librocksdb (its WAL writer),
// and the rest (our code, libstdc++ called from it). With --kafka an in-process librdkafka mock cluster is
// the broker (its threads are not counted either), and counting lasts until every Post is delivered.
// Prints one JSON object.
//
//   bench-alloc --corpus FILE.jsonl [--warmup 20000] [--kafka]
#include <link.h>
#include <malloc.h>
#include <sys/prctl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

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
// One thread's allocations, split by the library whose code asked for them.
struct thread_count {
  std::atomic<std::uint64_t> all{0};
  std::atomic<std::uint64_t> in_librdkafka{0};
  std::atomic<std::uint64_t> in_librocksdb{0};
};
thread_count reader_allocs;
thread_count pipeline_allocs;
thread_count committer_allocs;
std::atomic<bool> counting{false};
thread_local thread_count* my_counter = nullptr;
thread_local bool named_checked = false;

// A library's executable segment [begin, end), found once before counting starts.
struct code_range {
  const char* name;
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
  [[nodiscard]] bool holds(std::uintptr_t at) const noexcept { return at >= begin && at < end; }
};
code_range librdkafka{"librdkafka.so"};
code_range librocksdb{"librocksdb.so"};

inline void note(const void* caller) {
  if (!counting.load(std::memory_order_relaxed)) return;
  if (my_counter == nullptr) {
    // The committer thread is started inside pipeline::run(): known by the name it gives itself (read
    // with prctl, which does not allocate), once per thread.
    if (named_checked) return;
    named_checked = true;
    char name[16] = {};
    if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0 || std::strcmp(name, "committer") != 0) return;
    my_counter = &committer_allocs;
  }
  my_counter->all.fetch_add(1, std::memory_order_relaxed);
  const auto at = reinterpret_cast<std::uintptr_t>(caller);
  if (librdkafka.holds(at)) my_counter->in_librdkafka.fetch_add(1, std::memory_order_relaxed);
  if (librocksdb.holds(at)) my_counter->in_librocksdb.fetch_add(1, std::memory_order_relaxed);
}

void find_code(code_range& range) {
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* arg) {
        auto& r = *static_cast<code_range*>(arg);
        if (info->dlpi_name == nullptr || std::strstr(info->dlpi_name, r.name) == nullptr) return 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const auto& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
          r.begin = info->dlpi_addr + ph.p_vaddr;
          r.end = r.begin + ph.p_memsz;
        }
        return 1;
      },
      &range);
}
}  // namespace

#define NOTE() note(__builtin_return_address(0))
// operator new is interposed too, so a C++ library's allocation is attributed to its own code (the caller
// of new) rather than to libstdc++'s operator new. libstdc++'s operator delete calls free(), which is right
// for these blocks.
void* operator new(std::size_t n) {
  NOTE();
  if (void* p = __libc_malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  NOTE();
  if (void* p = __libc_malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  NOTE();
  return __libc_malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  NOTE();
  return __libc_malloc(n == 0 ? 1 : n);
}
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
  std::uint64_t measured = 0;
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
    }
    find_code(librdkafka);
    find_code(librocksdb);
    sinks::pipeline pipe(ring, pool, db, metrics, o, kafka.get());
    std::thread consumer([&] {
      my_counter = &pipeline_allocs;
      (void)pipe.run();
    });
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
  const auto per_post = [&](const std::atomic<std::uint64_t>& n) {
    return static_cast<double>(n.load()) / static_cast<double>(measured);
  };
  const auto thread_json = [&](const char* name, const thread_count& c) {
    const auto own = c.all.load() - c.in_librdkafka.load() - c.in_librocksdb.load();
    std::printf(",\"%s_allocs\":%llu,\"%s_allocs_per_post\":%.4f,\"%s_allocs_in_librdkafka_per_post\":%.4f,"
                "\"%s_allocs_in_librocksdb_per_post\":%.4f,\"%s_allocs_elsewhere_per_post\":%.4f",
                name, static_cast<unsigned long long>(c.all.load()), name, per_post(c.all), name,
                per_post(c.in_librdkafka), name, per_post(c.in_librocksdb), name,
                static_cast<double>(own) / static_cast<double>(measured));
  };
  std::printf("{\"benchmark\":\"hot_path_allocations\",\"kafka\":%s,\"posts_measured\":%llu",
              with_kafka ? "true" : "false", static_cast<unsigned long long>(measured));
  thread_json("reader", reader_allocs);
  thread_json("pipeline", pipeline_allocs);
  thread_json("committer", committer_allocs);
  std::printf("}\n");
  return 0;
}
