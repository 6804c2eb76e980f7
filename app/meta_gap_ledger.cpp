#include "app/meta_gap_ledger.hpp"

#include <spdlog/spdlog.h>

#include "common/big_endian.hpp"

namespace spillway::app {

std::string gap_key(std::chrono::system_clock::time_point stopped_at) {
  std::string key(gap_key_prefix);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(stopped_at.time_since_epoch()).count();
  common::append_be64(key, static_cast<std::uint64_t>(ms));
  return key;
}

std::optional<reconnect::gap_record> meta_gap_ledger::newest() {
  std::optional<reconnect::gap_record> found;
  db_.for_each_meta_reverse(gap_key_prefix, [&](std::string_view, std::string_view value) {
    if (auto r = reconnect::deserialize_gap_record(value)) {
      found = *r;
      return false;
    }
    spdlog::warn("gap ledger: skipping an unreadable record in RocksDB meta");
    return true;
  });
  return found;
}

common::result<void> meta_gap_ledger::put(const reconnect::gap_record& record) {
  return db_.put_meta(gap_key(record.stopped_at), reconnect::serialize(record));
}

void meta_gap_ledger::for_each(const std::function<void(const reconnect::gap_record&)>& f, std::size_t& unreadable) {
  db_.for_each_meta(gap_key_prefix, [&](std::string_view, std::string_view value) {
    if (auto r = reconnect::deserialize_gap_record(value)) f(*r);
    else ++unreadable;
    return true;
  });
}

}  // namespace spillway::app
