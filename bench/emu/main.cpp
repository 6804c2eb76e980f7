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
  using namespace spillway::emu;
  EmuConfig cfg;
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
  app.add_option("--clock-offset-s", cfg.clock_offset_s,
                 "start the feed's clock this many seconds ago and keep that span's Posts (at --rate) as history "
                 "for recovery and search, as if no client had been connected")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--history-limit", cfg.history_limit, "Posts remembered for backfill, recovery and search");
  app.add_option("--limit-search-recent", cfg.search_recent_per_window, "GET /2/tweets/search/recent per window")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--limit-search-all", cfg.search_all_per_window, "GET /2/tweets/search/all per window")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--exit-after-count", cfg.exit_after_count, "exit 0 once the --count-th Post is sent and closed");
  app.add_option("--pool", cfg.pool_size, "number of Post templates generated at start");
  std::size_t write_kb = cfg.write_bytes / 1024;
  app.add_option("--write-kb", write_kb, "socket write size in KiB at --rate 0")->check(CLI::Range(16, 65536));
  app.add_option("--log", cfg.log_path, "append one JSON line per connection attempt to this file");
  app.add_option("--faults", cfg.faults_path, "JSON list of scripted faults (see bench/emu/README.md)");
  std::uint64_t chaos = 0;
  auto* chaos_opt = app.add_option("--chaos", chaos, "seeded random faults (excludes --faults)");
  int max_connections = 1;
  auto* max_conn_opt = app.add_option("--max-connections", max_connections,
                                      "concurrent streams before 429 TooManyConnections (0 = no limit; default: "
                                      "the --access level's, 1, Enterprise 2)");
  app.add_option("--reap-ms", cfg.reap_ms, "ms a client-dropped stream keeps counting toward the limit");
  app.add_flag("--full-copies", cfg.full_copies,
               "every live stream gets every Post (X's redundant Enterprise connections); off: streams share one id "
               "sequence");
  app.add_flag("--require-rules", cfg.require_rules, "answer stream connects with X's 409 while no rules exist");
  std::string access, status = "none";
  const std::vector<std::string> access_names(kAccessLevelNames.begin(), kAccessLevelNames.end());
  const std::vector<std::string> status_names(kStatusLevelNames.begin(), kStatusLevelNames.end());
  auto* access_opt = app.add_option("--access", access, "X API access level to play (caps, 403s, backfill; see README)")
                         ->check(CLI::IsMember(access_names));
  app.add_option("--rate-window-s", cfg.rate_window_s, "length of every rate-limit window in seconds (X: 900)")
      ->check(CLI::PositiveNumber);
  app.add_option("--limit-connect", cfg.connects_per_window, "stream connects per window")->check(CLI::NonNegativeNumber);
  app.add_option("--limit-rules-get", cfg.rules_get_per_window, "rules GET (and rules/counts) per window")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--limit-rules-post", cfg.rules_post_per_window, "rules POST per window")->check(CLI::NonNegativeNumber);
  app.add_option("--limit-users-me", cfg.users_me_per_window, "GET /2/users/me per window")->check(CLI::NonNegativeNumber);
  app.add_option("--app-key", cfg.app_key, "enable POST /oauth2/token (client credentials) with this API key");
  app.add_option("--app-secret", cfg.app_secret, "the API key secret for --app-key")->envname("SPILLWAY_EMU_APP_SECRET");
  app.add_option("--user-client-id", cfg.user_client_id, "enable POST /2/oauth2/token (refresh_token) for this client id");
  app.add_option("--user-refresh-token", cfg.user_refresh_token, "the first valid user refresh token (single use)")
      ->envname("SPILLWAY_EMU_USER_REFRESH_TOKEN");
  app.add_option("--user-token-ttl", cfg.user_token_ttl_s, "seconds a user access token lives (X: 7200)")
      ->check(CLI::PositiveNumber);
  app.add_option("--user-refresh-token-file", cfg.user_refresh_token_file,
                 "append each refresh token issued to this file, one per line");
  app.add_option("--status", status, "indicator of GET /api/v2/status.json")->check(CLI::IsMember(status_names));
  app.add_option("--slow-reader-bytes", cfg.slow_reader_bytes,
                 "with --rate > 0: cut a client once this many due bytes wait unaccepted (0 = off)");
  app.add_option("--limit-kill-all", cfg.kill_all_per_window, "DELETE /2/connections/all per window (X: 25)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--limit-connections", cfg.connections_per_window,
                 "GET /2/connections, DELETE by id or uuids, and GET /2/usage/tweets per window (shared)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--usage-cap", cfg.usage_cap,
                 "project cap in Posts: at it, open streams end and connects get 429 UsageCapExceeded (0 = none)");
  app.add_option("--usage-reset-day", cfg.usage_reset_day, "day of the month the usage cap resets (cap_reset_day)")
      ->check(CLI::Range(1, 31));
  app.add_option("--usage-start", cfg.usage_start, "Posts the project had consumed before the emulator started");
  CLI11_PARSE(app, argc, argv);
  if (access_opt->count() > 0) cfg.access = parse_access_level(access);
  cfg.status = parse_status_level(status).value_or(StatusLevel::none);
  if (max_conn_opt->count() > 0) cfg.max_connections = max_connections;
  if (cfg.slow_reader_bytes > 0 && cfg.rate <= 0)
    std::cerr << "spillway-emu: warning: --slow-reader-bytes does nothing at --rate 0 (Posts only fall due at a "
                 "set rate); pass --rate N to use it\n";
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
