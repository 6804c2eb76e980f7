// `spillway export --db DIR`: every stored Post in id order, as the exact bytes received, one per line.
#include <cstdio>
#include <memory>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

common::exit_code export_command(const std::string& db_path, std::uint64_t from_id, std::uint64_t to_id) {
  // Read-only: works while `spillway run` holds the database (it sees what was committed at open time).
  sinks::store db(db_path, sinks::open_mode::read_only);
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(rocksdb::ReadOptions(), db.tweets()));
  static char out_buffer[1 << 20];
  std::setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
  const auto from_key = sinks::encode_post_key(from_id);
  std::uint64_t count = 0;
  for (it->Seek(rocksdb::Slice(from_key.data(), from_key.size())); it->Valid(); it->Next()) {
    if (sinks::decode_post_key(sinks::store::to_view(it->key())) > to_id) break;
    const auto value = it->value();
    if (std::fwrite(value.data(), 1, value.size(), stdout) != value.size() || std::fputc('\n', stdout) == EOF) {
      spdlog::error("export: writing to standard output failed after {} Posts", count);
      return common::exit_code::runtime;
    }
    ++count;
  }
  if (!it->status().ok()) {
    spdlog::error("export: reading {} failed after {} Posts: {}", db_path, count, it->status().ToString());
    return common::exit_code::runtime;
  }
  std::fflush(stdout);
  spdlog::info("export: {} Posts from {}", count, db_path);
  return common::exit_code::ok;
}

}  // namespace spillway::app
