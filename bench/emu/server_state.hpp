#pragma once
// ServerState: everything the emulator's connections share — config, the access level's caps, the
// Post pool, feed and search index, the per-endpoint rate windows, rules, tokens, the dump and log files, and the registry of live connections (so stop() can
// close them). Held by shared_ptr by the server and by every connection coroutine, so it outlives
// them all whatever order they end in. Touched only on the emulator's io thread.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "bench/emu/connection_log.hpp"
#include "bench/emu/connection_slots.hpp"
#include "bench/emu/connection_table.hpp"
#include "bench/emu/emu_config.hpp"
#include "bench/emu/fault_plan.hpp"
#include "bench/emu/post_feed.hpp"
#include "bench/emu/post_index.hpp"
#include "bench/emu/post_pool.hpp"
#include "bench/emu/rate_window.hpp"
#include "bench/emu/rule_store.hpp"
#include "bench/emu/token_endpoints.hpp"
#include "bench/emu/usage_meter.hpp"

namespace spillway::emu {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};

struct ServerState {
  ServerState(EmuConfig c, std::int64_t start_ms)
      : config(std::move(c)),
        caps(caps_for(config.access)),
        pool(config.seed, config.pool_size, start_ms),
        feed(pool, config.seed, start_ms, config.rate, config.count, config.history_limit),
        index(pool),
        window(config.connects_per_window, config.rate_window_s),
        rules_get_window(config.rules_get_per_window, config.rate_window_s),
        rules_post_window(config.rules_post_per_window, config.rate_window_s),
        users_me_window(config.users_me_per_window, config.rate_window_s),
        search_recent_window(config.search_recent_per_window, config.rate_window_s),
        search_all_window(config.search_all_per_window, config.rate_window_s),
        rules(caps.max_rules, caps.max_rule_length),
        slots(config.max_connections.value_or(caps.max_connections), config.reap_ms),
        tokens(config),
        connections(config.seed),
        connections_window(config.connections_per_window, config.rate_window_s),
        kill_all_window(config.kill_all_per_window, config.rate_window_s),
        usage(config.usage_cap, config.usage_reset_day, config.usage_start) {}

  EmuConfig config;
  AccessCaps caps;
  PostPool pool;
  PostFeed feed;
  PostIndex index;  // search's view of the pool's templates
  RateWindow window;  // stream connects
  RateWindow rules_get_window;  // rules GET and rules/counts share it
  RateWindow rules_post_window;
  RateWindow users_me_window;
  RateWindow search_recent_window;
  RateWindow search_all_window;
  std::int64_t search_all_last_ms = INT64_MIN / 2;  // last /all request (its 1 request/s)
  std::uint64_t search_posts_returned = 0;          // Posts in search results (X bills each one read)
  RuleStore rules;
  ConnectionSlots slots;
  TokenEndpoints tokens;
  ConnectionTable connections;  // the Connections API's view of the streams
  RateWindow connections_window;  // GET /2/connections, DELETE by id/uuids, GET /2/usage/tweets
  RateWindow kill_all_window;     // DELETE /2/connections/all (X: 25 per 15 min)
  UsageMeter usage;
  std::string base_url;  // "http(s)://127.0.0.1:PORT", set once listening
  FaultPlan faults;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::unique_ptr<std::FILE, FileCloser> dump;
  ConnectionLog log;
  std::uint64_t next_connection_no = 1;
  // Lanes held by live streams, bit N-1 = lane N (FaultPlan's `lane`): a stream takes the lowest free one.
  std::uint64_t lanes_held = 0;
  bool stopping = false;
  // Live connections by number: each entry closes that connection's socket and timers.
  std::map<std::uint64_t, std::function<void()>> live;
  // Called once when the Post that uses up --count has been written and its stream closed.
  std::function<void()> on_count_done;
};

}  // namespace spillway::emu
