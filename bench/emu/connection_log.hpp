#pragma once
// ConnectionLog: one JSON line per connection attempt (--log FILE), written when the attempt ends:
// when it started, what was asked, what was answered, how many Posts went out, how it ended.
// Owns the file; used on the emulator's io thread. A disabled log (no path) ignores records.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace spillway::emu {

struct ConnectionRecord {
  std::uint64_t connection = 0;
  std::int64_t start_unix_ms = 0;
  std::int64_t end_unix_ms = 0;
  std::string path;
  std::string query;
  int status = 0;            // 0 = no HTTP response was sent
  std::string outcome;       // "stream", "unauthorized", "rate_limited", "not_found", "fault", ...
  std::uint64_t posts = 0;   // Posts written to this connection (backfill included)
  std::uint64_t backfilled = 0;
  std::uint64_t lost = 0;    // slow-reader cut: Posts that fell due but were never written (logged when > 0)
  std::string ended;         // "count_reached", "client_closed", "server_stopped", "fault_close", ...
};

class ConnectionLog {
 public:
  // Opens (appends to) `path`; throws std::runtime_error naming the fix when it cannot.
  void open(const std::string& path);
  bool enabled() const { return file_ != nullptr; }
  void write(const ConnectionRecord& r);

 private:
  struct Closer {
    void operator()(std::FILE* f) const {
      if (f) std::fclose(f);
    }
  };
  std::unique_ptr<std::FILE, Closer> file_;
};

}  // namespace spillway::emu
