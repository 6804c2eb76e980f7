// `spillway stats --db DIR`: what landed, as one JSON object (Posts, bytes, id range, outbox, deadletter).
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

common::exit_code stats_command(const std::string& db_path) {
  const sinks::store db(db_path, sinks::open_mode::read_only);
  const auto stats = db.stats();
  if (!stats) {
    spdlog::error("stats: {}", stats.error().message);
    return common::exit_code_for(stats.error());
  }
  const auto& s = *stats;
  std::fputs(fmt::format(R"({{"posts":{},"post_bytes":{},"first_id":"{}","last_id":"{}","outbox":{},"deadletter":{}}})"
                         "\n",
                         s.posts.count, s.posts.value_bytes, s.posts.first_id, s.posts.last_id, s.outbox.count,
                         s.deadletter.count)
                 .c_str(),
             stdout);
  return common::exit_code::ok;
}

}  // namespace spillway::app
