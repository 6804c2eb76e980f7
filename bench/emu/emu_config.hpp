#pragma once
// EmuConfig: every setting of the emulator, filled by main.cpp from flags or directly by tests.
// A plain value type.

#include <cstdint>
#include <optional>
#include <string>

#include "bench/emu/access_level.hpp"
#include "bench/emu/status_page.hpp"

namespace spillway::emu {

struct EmuConfig {
  std::uint16_t port = 0;  // 0 = pick a free port
  bool tls = false;
  std::string cert_out;  // --tls without --tls-cert: write the self-signed cert here
  std::string tls_cert;
  std::string tls_key;
  std::uint64_t count = 0;   // Posts for the emulator's lifetime; 0 = unlimited
  double rate = 0;           // Posts/s per connection; 0 = as fast as possible
  double heartbeat_s = 20;   // "\r\n" every this many seconds
  std::optional<std::string> bearer;  // required token; unset = accept any request
  std::string dump_path;
  std::uint64_t seed = 1;
  std::int64_t start_ms = 0;  // timestamp of the first Post id; 0 = now
  bool exit_after_count = false;
  std::string ready_file;
  std::size_t pool_size = 2048;          // Post templates built at start
  std::size_t write_bytes = 512 * 1024;  // target size of one socket write at --rate 0
  std::size_t history_limit = 1 << 20;   // Posts remembered for backfill, recovery and search
  // The feed's clock started this many seconds before now: the Posts of that span (at --rate) are
  // made at start and kept in the history, as if matched while no client was connected, so a
  // 30-minute gap can be healed in a test that runs for seconds. Needs --rate > 0.
  std::int64_t clock_offset_s = 0;
  // Search (GET /2/tweets/search/recent and /all): X's app windows are 450 and 300 per 15 minutes;
  // /all also allows 1 request per second.
  int search_recent_per_window = 450;
  int search_all_per_window = 300;
  std::int64_t search_all_min_interval_ms = 1000;
  // X's per-endpoint windows (15 minutes; stream connects 50, rules GET 450, POST 100, users/me 75).
  std::int64_t rate_window_s = 900;
  int connects_per_window = 50;
  int rules_get_per_window = 450;
  int rules_post_per_window = 100;
  int users_me_per_window = 75;
  std::string log_path;                  // JSON line per connection attempt
  std::string faults_path;               // scripted faults (JSON list)
  std::optional<std::uint64_t> chaos_seed;  // seeded random faults
  // Concurrent streams (0 = no limit); unset = the access level's (1; Enterprise 2).
  std::optional<int> max_connections;
  std::optional<AccessLevel> access;     // unset = historical defaults (see access_level.hpp)
  std::int64_t reap_ms = 3000;           // a client-dropped stream keeps its slot this long
  bool require_rules = false;            // stream connects with no rules get X's 409
  // Every live stream gets every Post (X's redundant Enterprise connections each carry a full copy);
  // off: concurrent streams share one id sequence (each Post goes to one of them).
  bool full_copies = false;
  // POST /oauth2/token (client credentials): enabled when both are set.
  std::string app_key, app_secret;
  // POST /2/oauth2/token (refresh_token grant) and user tokens on /2/users/me: enabled when both set.
  std::string user_client_id, user_refresh_token;
  std::int64_t user_token_ttl_s = 7200;
  std::string user_refresh_token_file;   // each refresh token issued is appended here, one per line
  StatusLevel status = StatusLevel::none;  // GET /api/v2/status.json
  std::size_t slow_reader_bytes = 0;
  // Connections API (connections_endpoints.hpp): DELETE /2/connections/all per window (X: 25), and the
  // window the other connections calls and GET /2/usage/tweets share (X publishes no figure: 50).
  int kill_all_per_window = 25;
  int connections_per_window = 50;
  // Usage (usage_meter.hpp): the project cap in Posts (0 = none), the day of the month it resets, and
  // the Posts consumed before the emulator started.
  std::uint64_t usage_cap = 0;
  int usage_reset_day = 1;
  std::uint64_t usage_start = 0;     // with rate > 0: due-but-unaccepted bytes before SlowReader (0 = off)
};

}  // namespace spillway::emu
