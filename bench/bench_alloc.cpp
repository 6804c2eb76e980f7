// bench-alloc: heap allocations per Post on the hot path (reader thread: publisher + framer + ring push;
// pipeline thread: extract + dedup + RocksDB WriteBatch + commit), in steady state, with real RocksDB.
// malloc & co. are interposed in this binary and counted only on the two hot-path threads, so RocksDB's
// background flush/compaction threads are not attributed to Posts. Prints one JSON object.
//
//   bench-alloc --corpus FILE.jsonl [--warmup 20000]
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

#include "common/metrics.hpp"
#include "config/settings.hpp"
#include "ingest/stream/line_publisher.hpp"
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
thread_local std::atomic<std::uint64_t>* my_counter = nullptr;

inline void note() {
  if (counted_thread && counting.load(std::memory_order_relaxed)) my_counter->fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* malloc(size_t n) { note(); return __libc_malloc(n); }
void* calloc(size_t a, size_t b) { note(); return __libc_calloc(a, b); }
void* realloc(void* p, size_t n) { note(); return __libc_realloc(p, n); }
void* aligned_alloc(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void* memalign(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
int posix_memalign(void** out, size_t a, size_t n) {
  note();
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
    sinks::pipeline pipe(ring, pool, db, metrics, o, nullptr);
    std::thread consumer([&] {
      counted_thread = true;
      my_counter = &pipeline_allocs;
      (void)pipe.run();
    });
    counted_thread = true;
    my_counter = &reader_allocs;
    auto& stored = metrics.counter(common::metric::posts_stored);
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
        publisher.commit(used, 1700000000000);
      }
    };
    feed_until(warmup);
    while (stored.get() < static_cast<std::int64_t>(warmup)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    counting = true;
    feed_until(lines.size());
    while (stored.get() < static_cast<std::int64_t>(lines.size())) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    counting = false;
    measured = lines.size() - warmup;
    reader_n = reader_allocs.load();
    pipeline_n = pipeline_allocs.load();
    publisher.finish();
    pipe.request_stop();
    consumer.join();
  }
  std::filesystem::remove_all(dir);
  std::printf("{\"benchmark\":\"hot_path_allocations\",\"posts_measured\":%llu,\"reader_allocs\":%llu,"
              "\"pipeline_allocs\":%llu,\"reader_allocs_per_post\":%.4f,\"pipeline_allocs_per_post\":%.4f}\n",
              static_cast<unsigned long long>(measured), static_cast<unsigned long long>(reader_n),
              static_cast<unsigned long long>(pipeline_n), static_cast<double>(reader_n) / static_cast<double>(measured),
              static_cast<double>(pipeline_n) / static_cast<double>(measured));
  return 0;
}
