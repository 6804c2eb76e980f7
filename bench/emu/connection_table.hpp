#pragma once
// ConnectionTable: the app's streaming connections as X's Connections API shows them — every stream the
// emulator opened, with a uuid, the endpoint it serves, the client's address, when it connected and, once
// closed, when and why. What GET /2/connections lists and what the DELETE calls kill.
//
// A stream the client dropped keeps counting for --reap-ms (connection_slots.hpp): it stays "active" here
// until then, as X keeps listing a dead client's connection — the case the Connections API exists for —
// and killing it frees its slot at once. Closed entries are kept (the newest keep_closed) for
// status=inactive and their disconnect_reason.
// Owns: the entries and each live one's kill action. Time is passed in (Unix ms), so tests need no
// sleeping. Used on the emulator's io thread only.

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace spillway::emu {

struct ConnectionEntry {
  std::string uuid;
  std::uint64_t no = 0;            // the connection number (connection log)
  std::string endpoint_name;       // X's endpoint id, e.g. "filtered_stream"
  std::string client_ip;
  std::int64_t connected_ms = 0;   // Unix ms
  std::int64_t disconnected_ms = 0;  // 0 while open (or lingering)
  std::int64_t lingering_until_ms = 0;  // client-dropped: still counted (and listed active) until then
  std::string disconnect_reason;   // the connection log's `ended`, or "killed" (by the Connections API)
  std::function<void()> kill;      // closes the live session and frees its slot; empty once closed
};

class ConnectionTable {
 public:
  enum class Filter { active, inactive, all };

  explicit ConnectionTable(std::uint64_t seed, std::size_t keep_closed = 256) : seed_(seed), keep_closed_(keep_closed) {}

  // A stream opened. Returns its uuid (deterministic from the seed and the connection number).
  const std::string& open(std::uint64_t no, std::string endpoint_name, std::string client_ip, std::int64_t now_ms,
                          std::function<void()> kill);
  // The stream ended with `reason`; lingering_ms > 0 when the client dropped it (the slot lingers).
  void close(std::uint64_t no, std::string reason, std::int64_t now_ms, std::int64_t lingering_ms);

  bool active(const ConnectionEntry& e, std::int64_t now_ms) const {
    return e.disconnected_ms == 0 || e.lingering_until_ms > now_ms;
  }
  std::vector<const ConnectionEntry*> list(Filter f, std::int64_t now_ms) const;

  enum class KillResult { killed, not_found, not_active };
  // Kills the active connection `uuid`: a live one is closed at once (its kill action), a lingering one
  // stops counting. `forget_lingering` is called with the connection number of a lingering one.
  KillResult kill(std::string_view uuid, std::int64_t now_ms, const std::function<void(std::uint64_t)>& forget_lingering);
  // The uuids of every active connection, or of those of one endpoint (empty = all).
  std::vector<std::string> active_uuids(std::int64_t now_ms, std::string_view endpoint_name = {}) const;

 private:
  ConnectionEntry* find(std::string_view uuid);
  void trim();

  std::uint64_t seed_;
  std::size_t keep_closed_;
  std::deque<ConnectionEntry> entries_;  // in connection order
};

}  // namespace spillway::emu
