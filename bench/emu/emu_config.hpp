#pragma once
// EmuConfig: every setting of the emulator, filled by main.cpp from flags or directly by tests.
// A plain value type.

#include <cstdint>
#include <optional>
#include <string>

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
  std::size_t history_limit = 1 << 20;   // Posts remembered for backfill
  int connects_per_window = 50;          // X: 50 stream connects per 15 minutes
  std::string log_path;                  // JSON line per connection attempt
  std::string faults_path;               // scripted faults (JSON list)
  std::optional<std::uint64_t> chaos_seed;  // seeded random faults
  int max_connections = 1;               // concurrent streams; X: 1 below Enterprise (0 = no limit)
  std::int64_t reap_ms = 3000;           // a client-dropped stream keeps its slot this long
  bool require_rules = false;            // stream connects with no rules get X's 409
};

}  // namespace spillway::emu
