#pragma once
// store: Spillway's embedded RocksDB database and its column families.
//
//   tweets     key = Post id, 8-byte big-endian (so keys sort by id, i.e. by time); value = raw JSON line
//   outbox     key = Post id (same encoding); value = received_at (Unix ms, 8-byte big-endian). A Post is
//              here from the moment it is stored until Kafka's delivery report says "delivered".
//   meta       small records: the gap ledger, rotated refresh token, rule-set hash
//   deadletter key = 8-byte big-endian sequence number; value = reason '\n' raw bytes (or sample)
//
// Owns: the rocksdb::DB and its column-family handles.
// Threads: RocksDB is thread-safe. In the service the pipeline thread writes tweets, outbox and
// deadletter; `meta` records (the gap ledger) are written through put_meta from the reader thread, rarely
// and never per Post. Read-only instances (export) can open the same directory while the service runs.
// Must outlive: every batch and iterator created from it.
#include <array>
#include <functional>
#include <optional>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "common/error.hpp"

namespace spillway::sinks {

using post_key = std::array<char, 8>;

[[nodiscard]] post_key encode_post_key(std::uint64_t id) noexcept;
[[nodiscard]] std::uint64_t decode_post_key(std::string_view key) noexcept;  // 0 when not 8 bytes

enum class open_mode { read_write, read_only };

class store {
 public:
  // Throws std::runtime_error naming the path, RocksDB's reason and the fix (start-up only).
  store(const std::string& path, open_mode mode);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  rocksdb::DB& db() noexcept { return *db_; }
  rocksdb::ColumnFamilyHandle* tweets() const noexcept { return cf_[0]; }
  rocksdb::ColumnFamilyHandle* outbox() const noexcept { return cf_[1]; }
  rocksdb::ColumnFamilyHandle* meta() const noexcept { return cf_[2]; }
  rocksdb::ColumnFamilyHandle* deadletter() const noexcept { return cf_[3]; }

  // Durable commit of one batch (WAL on). sync=true also fsyncs the WAL (used at shutdown).
  [[nodiscard]] rocksdb::Status write(rocksdb::WriteBatch& batch, bool sync = false);

  // The newest `limit` Post ids, newest first — used to warm the dedup window at start-up.
  template <typename F>
  void for_each_newest_id(std::size_t limit, F&& f) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), tweets()));
    std::size_t n = 0;
    for (it->SeekToLast(); it->Valid() && n < limit; it->Prev(), ++n) f(decode_post_key(to_view(it->key())));
  }

  // True when a Post with this id is stored (a point lookup: used only off the hot path).
  [[nodiscard]] bool contains_post(std::uint64_t id);

  // `meta` records: small keyed values (the gap ledger). put_meta fails with errc::storage naming the
  // path, RocksDB's reason and the fix.
  [[nodiscard]] common::result<void> put_meta(std::string_view key, std::string_view value);
  // Every meta record whose key starts with `prefix`, in key order; f(key, value) returns false to stop.
  void for_each_meta(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& f);
  // Meta records with `prefix`, newest key first; f(key, value) returns false to stop.
  void for_each_meta_reverse(std::string_view prefix,
                             const std::function<bool(std::string_view, std::string_view)>& f);

  // Next deadletter sequence number (continues after the highest stored one).
  [[nodiscard]] std::uint64_t next_deadletter_seq();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  static std::string_view to_view(const rocksdb::Slice& s) noexcept { return {s.data(), s.size()}; }

 private:
  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, 4> cf_{};
};

}  // namespace spillway::sinks
