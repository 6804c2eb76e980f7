// `spillway stats --db DIR`: what landed, as one JSON object (Posts, bytes, id range, outbox, deadletter).
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

namespace {
struct family_stats {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

family_stats scan(sinks::store& db, rocksdb::ColumnFamilyHandle* cf) {
  family_stats s;
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(rocksdb::ReadOptions(), cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto id = sinks::decode_post_key(sinks::store::to_view(it->key()));
    if (s.count == 0) s.first = id;
    s.last = id;
    ++s.count;
    s.bytes += it->value().size();
  }
  return s;
}
}  // namespace

common::exit_code stats_command(const std::string& db_path) {
  sinks::store db(db_path, sinks::open_mode::read_only);
  const auto tweets = scan(db, db.tweets());
  const auto outbox = scan(db, db.outbox());
  const auto dead = scan(db, db.deadletter());
  std::fputs(fmt::format(R"({{"posts":{},"post_bytes":{},"first_id":"{}","last_id":"{}","outbox":{},"deadletter":{}}})"
                         "\n",
                         tweets.count, tweets.bytes, tweets.first, tweets.last, outbox.count, dead.count)
                 .c_str(),
             stdout);
  return common::exit_code::ok;
}

}  // namespace spillway::app
