#pragma once
// Helpers for tests: the Posts and the dead letters of a Spillway store, read whole into maps (id or
// sequence number → value) through the store's cursors, for tests that check what the pipeline wrote.
#include <cstdint>
#include <map>
#include <string>

#include "sinks/rocksdb/store.hpp"

namespace spillway::testing {

inline std::map<std::uint64_t, std::string> stored_posts(const sinks::store& db) {
  std::map<std::uint64_t, std::string> out;
  for (auto post = db.posts(); post.valid(); post.next()) out[post.id()] = std::string(post.line());
  return out;
}

inline std::map<std::uint64_t, std::string> dead_letters(const sinks::store& db) {
  std::map<std::uint64_t, std::string> out;
  for (auto record = db.deadletters(); record.valid(); record.next()) out[record.id()] = std::string(record.record());
  return out;
}

}  // namespace spillway::testing
