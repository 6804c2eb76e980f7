// bench-receive: the receive path alone — TLS (or plain HTTP) → chunked decoding → line framing → SPSC
// ring → extraction with full JSON validation → discard (a null sink: nothing stored, nothing produced).
// The same classes `spillway run` uses (stream_session, line_publisher, post_extractor), one session, no
// reconnects. Reads until --posts Posts were extracted (the emulator must send at least that many), checks
// every one was a valid Post with a distinct id, then prints one JSON object: CPU seconds of the whole
// process (both threads), Posts per CPU-second and wall-clock Posts/s. bench/bench_receive.sh runs it
// beside curl reading the same stream.
//
//   bench-receive --url https://127.0.0.1:PORT --ca ca.pem --bearer TOKEN --posts N
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "common/metrics.hpp"
#include "common/slab_pool.hpp"
#include "common/spsc_ring.hpp"
#include "common/stream_item.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "ingest/stream/stream_session.hpp"
#include "ingest/xapi/connector.hpp"
#include "ingest/xapi/url.hpp"
#include "sinks/post_extractor.hpp"

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// What the consumer thread saw.
struct tally {
  std::uint64_t posts = 0;
  std::uint64_t other = 0;      // heartbeats never reach the ring; notices, malformed lines, truncations
  std::uint64_t first_id = 0;
  std::uint64_t out_of_order = 0;  // the emulator's ids increase: a repeat or reorder shows here
  std::uint64_t last_id = 0;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace spillway;
  std::string url;
  std::string ca;
  std::string bearer = "bench";
  std::uint64_t want = 200000;
  std::size_t max_line = 1 << 20;
  CLI::App app{"bench-receive: the receive path (TLS, framing, validation) into a null sink"};
  app.add_option("--url", url, "the emulator's base URL (http:// or https://)")->required();
  app.add_option("--ca", ca, "PEM CA file for an https:// URL (the emulator's --cert-out)");
  app.add_option("--bearer", bearer, "the Bearer token the emulator expects");
  app.add_option("--posts", want, "stop after this many Posts")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  auto ep = ingest::parse_base_url(url);
  if (!ep) {
    std::fprintf(stderr, "bench-receive: --url: %s\n", ep.error().message.c_str());
    return 2;
  }
  auto tls = ingest::make_client_tls_context({ca, ca.empty()});
  if (!tls) {
    std::fprintf(stderr, "bench-receive: %s\n", tls.error().message.c_str());
    return 2;
  }

  common::metrics_registry metrics;
  common::slab_pool pool(8u << 20, 32);
  common::spsc_ring<common::stream_item> ring(65536);
  ingest::line_publisher publisher(ring, pool, max_line, metrics);
  boost::asio::io_context io;
  ingest::stream_session session(io, *tls, *ep, {std::chrono::seconds(10), std::chrono::seconds(30)}, publisher);

  std::atomic<bool> reached{false};
  std::atomic<bool> reader_done{false};
  tally seen;
  std::chrono::steady_clock::time_point first{};
  std::chrono::steady_clock::time_point last{};
  std::thread consumer([&] {
    sinks::post_extractor extractor(max_line);
    std::vector<common::stream_item> batch(256);
    std::vector<common::slab*> retired;
    retired.reserve(64);
    int idle_spins = 0;
    for (;;) {
      const auto n = ring.pop_batch(std::span(batch));
      for (std::size_t i = 0; i < n; ++i) {
        const auto& item = batch[i];
        if (item.what == common::stream_item::kind::slab_retired) {
          retired.push_back(item.owner);
          continue;
        }
        if (item.what != common::stream_item::kind::line) {
          ++seen.other;
          continue;
        }
        const std::size_t capacity = item.owner->capacity + common::slab_pool::padding_bytes - item.offset;
        const auto post = extractor.extract(item.bytes(), item.length, capacity);
        if (post.kind != sinks::line_kind::post) {
          ++seen.other;
          continue;
        }
        if (seen.posts == 0) first = std::chrono::steady_clock::now();
        ++seen.posts;
        if (seen.first_id == 0) seen.first_id = post.id;
        if (post.id <= seen.last_id) ++seen.out_of_order;
        seen.last_id = post.id;
        if (seen.posts == want) {
          last = std::chrono::steady_clock::now();
          reached.store(true);
          boost::asio::post(io, [&] { session.cancel(); });
        }
      }
      // Slabs go back after the lines in them were read, as the pipeline does after a commit.
      for (auto* s : retired) pool.release(s);
      retired.clear();
      if (n == 0) {
        if (reader_done.load() && ring.empty()) break;
        // The pipeline's idle policy (sinks/pipeline.cpp): yield first, then naps growing to 1 ms, so an
        // emulator slower than this thread does not show up as spinning CPU.
        if (++idle_spins < 64) {
          std::this_thread::yield();
        } else {
          std::this_thread::sleep_for(std::chrono::microseconds(std::min(1000, 50 << std::min(idle_spins - 64, 5))));
        }
      } else {
        idle_spins = 0;
      }
    }
  });

  const double cpu0 = cpu_seconds();
  const auto wall0 = std::chrono::steady_clock::now();
  ingest::session_result result;
  // The target is built outside the coroutine: GCC 12 mis-destroys temporaries inside a co_await
  // expression in a lambda coroutine.
  const std::string target = ingest::stream_target({});
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    result = co_await session.run(target, bearer);
  }, boost::asio::detached);
  io.run();
  publisher.finish();
  reader_done.store(true);
  consumer.join();
  const double cpu = cpu_seconds() - cpu0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  if (!reached.load()) {
    std::fprintf(stderr, "bench-receive: the stream ended after %llu of %llu Posts (%s); send more (--count)\n",
                 static_cast<unsigned long long>(seen.posts), static_cast<unsigned long long>(want),
                 result.detail.c_str());
    return 1;
  }
  if (seen.out_of_order != 0) {
    std::fprintf(stderr, "bench-receive: %llu Post ids out of order: the path reordered or repeated lines\n",
                 static_cast<unsigned long long>(seen.out_of_order));
    return 1;
  }
  const double posts_wall = std::chrono::duration<double>(last - first).count();
  std::printf("{\"posts\":%llu,\"other_lines\":%llu,\"cpu_s\":%.3f,\"wall_s\":%.3f,\"cpu_us_per_post\":%.3f,"
              "\"posts_per_cpu_s\":%.0f,\"posts_per_s\":%.0f,\"first_id\":%llu,\"last_id\":%llu}\n",
              static_cast<unsigned long long>(seen.posts), static_cast<unsigned long long>(seen.other), cpu, wall,
              cpu * 1e6 / static_cast<double>(seen.posts), static_cast<double>(seen.posts) / cpu,
              posts_wall > 0 ? static_cast<double>(seen.posts) / posts_wall : 0.0,
              static_cast<unsigned long long>(seen.first_id), static_cast<unsigned long long>(seen.last_id));
  return 0;
}
