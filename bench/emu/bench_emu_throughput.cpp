// bench-emu-throughput: how fast the emulator serves at --rate 0. Starts an EmuServer in-process on
// its own thread (the "one core" the emulator gets), reads N MB over loopback with a blocking client
// on the main thread, plain HTTP and then TLS, and prints one JSON object.
// The client de-chunks and counts Post lines, and checks a sample of lines (valid JSON, increasing
// ids) before it reports any figure: a benchmark of wrong bytes is worthless.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "bench/emu/bench_reader.hpp"
#include "bench/emu/emu_server.hpp"

using namespace spillway::emu::bench;

int main(int argc, char** argv) {
  std::size_t mb = 2000;
  std::uint64_t seed = 1;
  bool plain = true, tls = true;
  CLI::App app{"bench-emu-throughput: spillway-emu serving rate at --rate 0, plain and TLS"};
  app.add_option("--mb", mb, "MB to read per run");
  app.add_option("--seed", seed, "emulator seed");
  app.add_flag("!--no-plain", plain, "skip the plain-HTTP run");
  app.add_flag("!--no-tls", tls, "skip the TLS run");
  CLI11_PARSE(app, argc, argv);
  std::cout << "{\"hardware\":{\"cpu\":\"" << cpu_model() << "\",\"threads\":" << std::thread::hardware_concurrency()
            << "},\"mb_per_run\":" << mb << ",\"runs\":[";
  bool first = true;
  for (bool use_tls : {false, true}) {
    if ((use_tls && !tls) || (!use_tls && !plain)) continue;
    spillway::emu::EmuConfig cfg;
    cfg.seed = seed;
    cfg.tls = use_tls;
    cfg.heartbeat_s = 20;
    const ReadLimits limits{mb << 20, 0};
    const MeasuredRun run = measured_run(cfg, limits);
    const BodyCounter& counter = run.counter;
    const double secs = run.read.seconds, server_cpu = run.server_cpu_s;
    // An unlimited stream never ends by itself: an end before the MB were read is a failure too.
    const std::string err =
        run.read.error.empty() && run.read.body_bytes < limits.max_body_bytes ? "the stream ended early" : run.read.error;
    if (!err.empty() || !counter.check()) {
      std::cout << "]}\n";
      std::cerr << "bench-emu-throughput: " << (err.empty() ? "sampled lines failed the check" : err) << "\n";
      return 1;
    }
    std::printf("%s{\"transport\":\"%s\",\"seconds\":%.3f,\"MB_per_s\":%.1f,\"posts\":%zu,\"posts_per_s\":%.0f,"
                "\"mean_post_bytes\":%.0f,\"server_cpu_s\":%.3f,\"MB_per_server_cpu_s\":%.0f}",
                first ? "" : ",", use_tls ? "tls" : "plain", secs, double(mb) / secs, counter.posts,
                double(counter.posts) / secs, double(mb << 20) / double(counter.posts), server_cpu, double(mb) / server_cpu);
    std::fflush(stdout);
    first = false;
  }
  std::cout << "]}\n";
  return 0;
}
