#pragma once
// Helpers for tests: one RocksDB column family of a Spillway store, read whole into a map (id or
// sequence number → value), for tests that check what the pipeline wrote.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "sinks/rocksdb/store.hpp"

namespace spillway::testing {

inline std::map<std::uint64_t, std::string> read_column_family(sinks::store& db, rocksdb::ColumnFamilyHandle* cf) {
  std::map<std::uint64_t, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(rocksdb::ReadOptions(), cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out[sinks::decode_post_key(sinks::store::to_view(it->key()))] = it->value().ToString();
  }
  return out;
}

}  // namespace spillway::testing
