// spillway-emu: the X API v2 filtered-stream emulator. Flags map 1:1 onto EmuConfig.
#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "bench/emu/emu_server.hpp"

namespace {
// The io_context lives inside EmuServer; signals are caught on a thread of their own via sigwait
// so that run() can stay on the main thread with no extra executor plumbing.
void block_signals(sigset_t& set) {
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}
}  // namespace

int main(int argc, char** argv) {
  spillway::emu::EmuConfig cfg;
  CLI::App app{"spillway-emu: emulates GET /2/tweets/search/stream of the X API v2 on 127.0.0.1"};
  std::string bearer;
  app.add_option("--port", cfg.port, "TCP port on 127.0.0.1 (0 = pick a free one)");
  app.add_option("--ready-file", cfg.ready_file, "write the base URL here (atomically) once listening");
  app.add_flag("--tls", cfg.tls, "serve HTTPS (self-signed cert unless --tls-cert/--tls-key)");
  app.add_option("--cert-out", cfg.cert_out, "write the self-signed certificate here as PEM");
  app.add_option("--tls-cert", cfg.tls_cert, "PEM certificate chain to serve (with --tls)");
  app.add_option("--tls-key", cfg.tls_key, "PEM private key for --tls-cert");
  app.add_option("--count", cfg.count, "total Posts for the emulator's lifetime (0 = unlimited)");
  app.add_option("--rate", cfg.rate, "Posts per second per connection (0 = as fast as possible)");
  app.add_option("--heartbeat", cfg.heartbeat_s, "seconds between heartbeat lines (fractions allowed)");
  auto* bearer_opt = app.add_option("--bearer", bearer, "require 'Authorization: Bearer TOKEN' (else 401)")
                         ->envname("SPILLWAY_EMU_BEARER");  // env keeps the token out of `ps`
  app.add_option("--dump", cfg.dump_path, "write every Post line sent, '\\n'-terminated, to this file");
  app.add_option("--seed", cfg.seed, "seed for Posts and chunking (same seed + --start-ms = same bytes)");
  app.add_option("--start-ms", cfg.start_ms, "Unix ms of the first Post id (0 = now)");
  app.add_flag("--exit-after-count", cfg.exit_after_count, "exit 0 once the --count-th Post is sent and closed");
  app.add_option("--pool", cfg.pool_size, "number of Post templates generated at start");
  std::size_t write_kb = cfg.write_bytes / 1024;
  app.add_option("--write-kb", write_kb, "socket write size in KiB at --rate 0")->check(CLI::Range(16, 65536));
  app.add_option("--log", cfg.log_path, "append one JSON line per connection attempt to this file");
  app.add_option("--faults", cfg.faults_path, "JSON list of scripted faults (see bench/emu/README.md)");
  std::uint64_t chaos = 0;
  auto* chaos_opt = app.add_option("--chaos", chaos, "seeded random faults (excludes --faults)");
  app.add_option("--max-connections", cfg.max_connections, "concurrent streams before 429 TooManyConnections (0 = no limit)");
  app.add_option("--reap-ms", cfg.reap_ms, "ms a client-dropped stream keeps counting toward the limit");
  app.add_flag("--require-rules", cfg.require_rules, "answer stream connects with X's 409 while no rules exist");
  CLI11_PARSE(app, argc, argv);
  if (chaos_opt->count() > 0) cfg.chaos_seed = chaos;
  cfg.write_bytes = write_kb * 1024;
  // Any TLS file option means TLS; silently serving plain HTTP instead would only confuse.
  cfg.tls = cfg.tls || !cfg.tls_cert.empty() || !cfg.tls_key.empty() || !cfg.cert_out.empty();
  if (bearer_opt->count() > 0) cfg.bearer = bearer;
  if (cfg.exit_after_count && cfg.count == 0) {
    std::cerr << "spillway-emu: --exit-after-count needs --count N (N > 0)\n";
    return 2;
  }
  sigset_t sigs;
  block_signals(sigs);  // before any thread starts, so every thread inherits the mask
  try {
    spillway::emu::EmuServer server(cfg);
    if (cfg.exit_after_count) server.stop_when_count_done();
    std::cout << server.base_url() << std::endl;
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&sigs, &sig);
      if (sig != 0) server.stop();
    });
    server.run();
    // Wake the signal thread if we ended on --exit-after-count (it is still in sigwait).
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
