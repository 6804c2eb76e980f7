#include "bench/emu/connection_table.hpp"

#include <algorithm>

#include "bench/emu/rng.hpp"

namespace spillway::emu {
namespace {

// 8-4-4-4-12 lower-case hex, version-4 layout, from a seeded generator (no OpenSSL: these are ids, not secrets).
std::string make_uuid(std::uint64_t seed, std::uint64_t no) {
  Rng rng(seed ^ (no * 0xD6E8FEB86659FD93ULL) ^ 0xC0117EC7ULL);
  std::string u;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) u += '-';
    int v = int(rng.below(16));
    if (i == 12) v = 4;
    if (i == 16) v = 8 | (v & 3);
    u += "0123456789abcdef"[v];
  }
  return u;
}

}  // namespace

const std::string& ConnectionTable::open(std::uint64_t no, std::string endpoint_name, std::string client_ip,
                                         std::int64_t now_ms, std::function<void()> kill) {
  ConnectionEntry e;
  e.uuid = make_uuid(seed_, no);
  e.no = no;
  e.endpoint_name = std::move(endpoint_name);
  e.client_ip = std::move(client_ip);
  e.connected_ms = now_ms;
  e.kill = std::move(kill);
  entries_.push_back(std::move(e));
  return entries_.back().uuid;
}

void ConnectionTable::close(std::uint64_t no, std::string reason, std::int64_t now_ms, std::int64_t lingering_ms) {
  for (auto& e : entries_) {
    if (e.no != no || e.disconnected_ms != 0) continue;
    e.disconnected_ms = now_ms;
    e.lingering_until_ms = lingering_ms > 0 ? now_ms + lingering_ms : 0;
    e.disconnect_reason = std::move(reason);
    e.kill = nullptr;
    break;
  }
  trim();
}

void ConnectionTable::trim() {
  std::size_t closed = 0;
  for (const auto& e : entries_) closed += e.disconnected_ms != 0 ? 1 : 0;
  // Drop the oldest closed entries past keep_closed (open ones are never dropped).
  for (auto it = entries_.begin(); closed > keep_closed_ && it != entries_.end();) {
    if (it->disconnected_ms != 0) {
      it = entries_.erase(it);
      --closed;
    } else {
      ++it;
    }
  }
}

std::vector<const ConnectionEntry*> ConnectionTable::list(Filter f, std::int64_t now_ms) const {
  std::vector<const ConnectionEntry*> out;
  for (const auto& e : entries_) {
    const bool is_active = active(e, now_ms);
    if (f == Filter::all || (f == Filter::active) == is_active) out.push_back(&e);
  }
  return out;
}

ConnectionEntry* ConnectionTable::find(std::string_view uuid) {
  const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const ConnectionEntry& e) { return e.uuid == uuid; });
  return it == entries_.end() ? nullptr : &*it;
}

ConnectionTable::KillResult ConnectionTable::kill(std::string_view uuid, std::int64_t now_ms,
                                                  const std::function<void(std::uint64_t)>& forget_lingering) {
  ConnectionEntry* e = find(uuid);
  if (e == nullptr) return KillResult::not_found;
  if (!active(*e, now_ms)) return KillResult::not_active;
  if (e->disconnected_ms == 0) {
    // The session's action closes it and calls close() (reason "killed") before it returns.
    auto action = e->kill;
    if (action) action();
    return KillResult::killed;
  }
  forget_lingering(e->no);
  e->lingering_until_ms = 0;
  e->disconnect_reason = "killed";
  return KillResult::killed;
}

std::vector<std::string> ConnectionTable::active_uuids(std::int64_t now_ms, std::string_view endpoint_name) const {
  std::vector<std::string> out;
  for (const auto& e : entries_)
    if (active(e, now_ms) && (endpoint_name.empty() || e.endpoint_name == endpoint_name)) out.push_back(e.uuid);
  return out;
}

}  // namespace spillway::emu
