// bench-emu-schedule: does the emulator keep X's clock at --rate R? Starts an EmuServer in-process on
// its own thread, reads one stream of --count Posts over loopback (plain or TLS) with a blocking client
// that discards as fast as it can or, with --read-mb-s, no faster than that (a slow client), and prints
// one JSON object per run: how long the Posts took against the schedule ((count - 1) / rate), the
// emulator's CPU, and how the emulator's connection log says the stream ended (count_reached, or
// slow_reader when --slow-reader-bytes is set and the client fell that far behind).
// Sampled lines are checked (valid JSON, increasing ids) before any figure is reported.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <string>
#include <thread>

#include "bench/emu/bench_reader.hpp"
#include "bench/emu/emu_server.hpp"

using namespace spillway::emu::bench;

namespace {

struct Options {
  double rate = 250000;
  std::uint64_t count = 300000;
  std::size_t slow_reader_bytes = 0;
  double read_mb_s = 0;
  bool tls = false;
  std::uint64_t seed = 1;
  int runs = 1;
};

// The emulator's record of the stream connection (the last line of its --log).
struct StreamRecord {
  std::string outcome, ended;
  std::uint64_t posts_sent = 0, posts_lost = 0;
  std::int64_t connection_ms = 0;
};

StreamRecord last_record(const std::string& log_path) {
  std::ifstream in(log_path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  StreamRecord r;
  rapidjson::Document d;
  if (last.empty() || d.Parse(last.c_str()).HasParseError() || !d.IsObject()) return r;
  r.outcome = d["outcome"].GetString();
  r.ended = d["ended"].GetString();
  r.posts_sent = d["posts_sent"].GetUint64();
  r.posts_lost = d.HasMember("posts_lost") ? d["posts_lost"].GetUint64() : 0;
  r.connection_ms = d["end_ms"].GetInt64() - d["time_ms"].GetInt64();
  return r;
}

// One paced stream; prints its JSON object. False (with a message on stderr) when the run is unusable.
bool run_once(const Options& o, int run_no, bool first) {
  spillway::emu::EmuConfig cfg;
  cfg.seed = o.seed + std::uint64_t(run_no);
  cfg.tls = o.tls;
  cfg.rate = o.rate;
  cfg.count = o.count;
  cfg.slow_reader_bytes = o.slow_reader_bytes;
  cfg.heartbeat_s = 20;
  cfg.log_path = (std::filesystem::temp_directory_path() /
                  ("bench-emu-schedule-" + std::to_string(::getpid()) + "-" + std::to_string(run_no) + ".jsonl"))
                     .string();
  std::filesystem::remove(cfg.log_path);
  const MeasuredRun run = measured_run(cfg, ReadLimits{SIZE_MAX, o.read_mb_s * 1e6});
  const ReadResult& read = run.read;
  const BodyCounter& counter = run.counter;
  const double server_cpu = run.server_cpu_s;
  const StreamRecord rec = last_record(cfg.log_path);
  std::filesystem::remove(cfg.log_path);
  if (!read.error.empty() || !read.ended || !counter.check() || rec.outcome.empty()) {
    std::cerr << "bench-emu-schedule: "
              << (!read.error.empty() ? read.error
                  : !read.ended       ? "the stream did not end"
                  : rec.outcome.empty() ? "no connection record in the emulator's log"
                                        : "sampled lines failed the check")
              << "\n";
    return false;
  }
  const double schedule = double(o.count - 1) / o.rate;
  std::printf("%s{\"transport\":\"%s\",\"seconds\":%.3f,\"schedule_s\":%.3f,\"behind_s\":%.3f,\"posts\":%zu,"
              "\"posts_per_s\":%.0f,\"MB_per_s\":%.1f,\"server_cpu_s\":%.3f,\"outcome\":\"%s\",\"ended\":\"%s\","
              "\"posts_sent\":%llu,\"posts_lost\":%llu,\"emu_connection_s\":%.3f}",
              first ? "" : ",", o.tls ? "tls" : "plain", read.seconds, schedule, read.seconds - schedule,
              counter.posts, double(counter.posts) / read.seconds, double(read.body_bytes) / 1e6 / read.seconds,
              server_cpu, rec.outcome.c_str(), rec.ended.c_str(), static_cast<unsigned long long>(rec.posts_sent),
              static_cast<unsigned long long>(rec.posts_lost), double(rec.connection_ms) / 1000);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"bench-emu-schedule: spillway-emu at --rate R against a fast or a throttled client"};
  app.add_option("--rate", o.rate, "Posts per second")->check(CLI::PositiveNumber);
  app.add_option("--count", o.count, "Posts in the stream")->check(CLI::Range(std::uint64_t(2), std::uint64_t(1) << 40));
  app.add_option("--slow-reader-bytes", o.slow_reader_bytes, "the emulator's --slow-reader-bytes (0 = off)");
  app.add_option("--read-mb-s", o.read_mb_s, "read no faster than this many MB/s (0 = as fast as possible)");
  app.add_flag("--tls", o.tls, "serve and read over TLS");
  app.add_option("--seed", o.seed, "emulator seed (run i uses seed + i)");
  app.add_option("--runs", o.runs, "runs, one after another")->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);
  std::printf("{\"hardware\":{\"cpu\":\"%s\",\"threads\":%u},\"rate\":%.0f,\"count\":%llu,\"slow_reader_bytes\":%zu,"
              "\"read_mb_s\":%.1f,\"runs\":[",
              cpu_model().c_str(), std::thread::hardware_concurrency(), o.rate,
              static_cast<unsigned long long>(o.count), o.slow_reader_bytes, o.read_mb_s);
  for (int i = 0; i < o.runs; ++i) {
    if (!run_once(o, i, i == 0)) {
      std::printf("]}\n");
      return 1;
    }
  }
  std::printf("]}\n");
  return 0;
}
