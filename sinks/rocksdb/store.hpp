#pragma once
// store: Spillway's embedded RocksDB database — its column families and every read and write made on them.
//
//   tweets     key = Post id, 8-byte big-endian (so keys sort by id, i.e. by time); value = raw JSON line
//   outbox     A Post is here from the moment it is stored until Kafka's delivery report says "delivered",
//              in one of two shapes:
//              - a single entry: key = Post id (same encoding); value = received_at (Unix ms, 8-byte
//                big-endian), then one byte common::post_source when it is not the live stream (absent:
//                stream). Written for Posts that wait (no room in librdkafka's queue, a failed delivery).
//              - a batch record: key = 0xFF, then the record's sequence number (8-byte big-endian), after
//                every Post id (ids are below 2^63); value = one 17-byte entry per Post (id, received_at,
//                source). The pipeline writes one per commit, in the same WriteBatch as the Posts: one
//                memtable insert and one delete per batch instead of a Put and a Delete per Post.
//   meta       small records: the gap ledger, rotated refresh token, rule-set hash
//   deadletter key = 8-byte big-endian sequence number; value = kind ": " reason '\n' raw bytes (or sample)
//
// Nobody outside sinks/rocksdb/ sees a RocksDB handle or encodes a key: writers fill a commit_batch and
// commit it, readers walk a cursor or make a point lookup. Every integer in a key or value goes through
// common/big_endian.hpp, the one codec.
//
// Owns: the rocksdb::DB and its column-family handles.
// Threads: RocksDB is thread-safe. In the service the pipeline's committer thread writes tweets, outbox
// and deadletter (the pipeline thread fills the batches and numbers the outbox records); `meta` records (the gap ledger) are written through put_meta from the reader thread, rarely
// and never per Post. Read-only instances (export, stats, replay) can open the same directory while the
// service runs. A commit_batch, cursor or pinned_line belongs to one thread.
// Must outlive: every commit_batch, cursor and pinned_line created from it.
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "common/big_endian.hpp"
#include "common/error.hpp"
#include "common/post_source.hpp"

namespace spillway::sinks {

enum class open_mode { read_write, read_only };

class store;

// Writes that land together or not at all (one RocksDB WriteBatch, committed by store::commit).
// Reusable: clear() keeps the buffer, so once it has grown to a batch's size, filling it again allocates
// nothing — the pipeline fills one per batch of Posts on its hot path (inline, no virtual call, the line
// bytes are copied once, into the batch).
class commit_batch {
 public:
  explicit commit_batch(const store& db) noexcept;

  // tweets[id] = line (the raw JSON, byte for byte).
  void put_post(std::uint64_t id, std::string_view line) {
    const auto key = common::encode_be64(id);
    batch_.Put(tweets_, slice(key), rocksdb::Slice(line.data(), line.size()));
  }
  // outbox[id] = received_ms (+ source): the Post waits for its Kafka delivery report.
  void put_outbox(std::uint64_t id, std::int64_t received_ms,
                  common::post_source source = common::post_source::stream) {
    const auto key = common::encode_be64(id);
    const auto at = common::encode_be64(static_cast<std::uint64_t>(received_ms));
    std::array<char, 9> value{};
    std::copy(at.begin(), at.end(), value.begin());
    value[8] = static_cast<char>(source);
    batch_.Put(outbox_, slice(key), rocksdb::Slice(value.data(), source == common::post_source::stream ? 8 : 9));
  }
  // Kafka acknowledged the Post: it leaves the outbox.
  void delete_outbox(std::uint64_t id) {
    const auto key = common::encode_be64(id);
    batch_.Delete(outbox_, slice(key));
  }
  // One Post of the next batch record (kept in this batch's record buffer until put_outbox_record).
  void add_to_outbox_record(std::uint64_t id, std::int64_t received_ms, common::post_source source) {
    const auto key = common::encode_be64(id);
    const auto at = common::encode_be64(static_cast<std::uint64_t>(received_ms));
    record_.append(key.data(), key.size());
    record_.append(at.data(), at.size());
    record_.push_back(static_cast<char>(source));
  }
  // outbox[record seq] = the Posts added since the last record; no-op when none were added.
  void put_outbox_record(std::uint64_t seq);
  // Every Post of the record is delivered or has a single entry of its own.
  void delete_outbox_record(std::uint64_t seq);
  // deadletter[seq] = kind ": " reason '\n' bytes, assembled in the batch (no intermediate string).
  void put_deadletter(std::uint64_t seq, std::string_view kind, std::string_view reason, std::string_view bytes);

  [[nodiscard]] bool empty() const noexcept { return batch_.Count() == 0; }
  // Puts and deletes in the batch.
  [[nodiscard]] std::uint32_t operations() const noexcept { return batch_.Count(); }
  void clear() {
    batch_.Clear();
    record_.clear();
  }

 private:
  friend class store;
  static rocksdb::Slice slice(const common::be64_bytes& b) noexcept { return {b.data(), b.size()}; }

  rocksdb::WriteBatch batch_;
  std::string record_;  // the next outbox batch record's value; keeps its capacity across clear()
  rocksdb::ColumnFamilyHandle* tweets_;
  rocksdb::ColumnFamilyHandle* outbox_;
  rocksdb::ColumnFamilyHandle* deadletter_;
};

// Walks one column family in id order, from a first id up to a last id (inclusive). It reads the version
// of the database current when it was created (RocksDB pins it): keep cursors short-lived.
class id_cursor {
 public:
  id_cursor(id_cursor&&) noexcept;
  id_cursor& operator=(id_cursor&&) noexcept;
  ~id_cursor();

  // False past the last id, at the end of the family, or after a read error (see status()).
  [[nodiscard]] bool valid() const noexcept { return valid_; }
  void next();
  // The key of the current entry (valid() only).
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  // Once valid() is false: an error naming the database, RocksDB's reason and the fix if a read failed.
  [[nodiscard]] common::result<void> status() const;

 protected:
  id_cursor(const store& db, rocksdb::ColumnFamilyHandle* family, std::uint64_t from_id, std::uint64_t to_id);
  // The current entry's value; valid until next().
  [[nodiscard]] std::string_view value() const noexcept;

 private:
  void settle() noexcept;

  const std::string* path_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::uint64_t to_id_;
  std::uint64_t id_ = 0;
  bool valid_ = false;
};

// tweets: id → the stored line.
class post_cursor : public id_cursor {
 public:
  [[nodiscard]] std::string_view line() const noexcept { return value(); }

 private:
  friend class store;
  using id_cursor::id_cursor;
};

// Which outbox entries a cursor walks.
enum class outbox_scope {
  all,     // every Post waiting: single entries in id order, then the batch records' Posts in record order
  singles  // single entries only, in id order (the relay: batch records' Posts are the live sink's)
};

// outbox: one Post waiting for its delivery report per position — its id, when it was received and how.
// A Post listed both in a batch record and as a single entry (moved out of the record while the record's
// other Posts were in flight) is visited once, as the single entry.
class outbox_cursor {
 public:
  outbox_cursor(outbox_cursor&&) noexcept;
  outbox_cursor& operator=(outbox_cursor&&) noexcept;
  ~outbox_cursor();

  [[nodiscard]] bool valid() const noexcept { return valid_; }
  void next();
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  // Unix ms; 0 when a single entry's value is not 8 or 9 bytes.
  [[nodiscard]] std::int64_t received_ms() const noexcept { return received_ms_; }
  [[nodiscard]] common::post_source source() const noexcept { return source_; }
  // The batch record holding the current Post; 0 for a single entry.
  [[nodiscard]] std::uint64_t record() const noexcept { return record_; }
  [[nodiscard]] common::result<void> status() const;

 private:
  friend class store;
  outbox_cursor(const store& db, std::uint64_t from_id, outbox_scope scope);
  void settle();                        // from the iterator's position to the next Post to visit
  [[nodiscard]] bool load_entry();      // the record entry at offset_ into the members; false to skip it

  const store* db_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::uint64_t from_id_;
  outbox_scope scope_;
  std::size_t offset_ = 0;  // inside the current batch record's value
  std::uint64_t id_ = 0;
  std::int64_t received_ms_ = 0;
  common::post_source source_ = common::post_source::stream;
  std::uint64_t record_ = 0;
  bool valid_ = false;
};

// deadletter: sequence number (id()) → kind ": " reason '\n' bytes.
class deadletter_cursor : public id_cursor {
 public:
  [[nodiscard]] std::string_view record() const noexcept { return value(); }

 private:
  friend class store;
  using id_cursor::id_cursor;
};

// A stored line read by store::read_post without copying when RocksDB can pin it (a block-cache entry);
// reused across reads, so it allocates only while growing to the longest line read from a memtable.
class pinned_line {
 public:
  [[nodiscard]] std::string_view view() const noexcept { return {slice_.data(), slice_.size()}; }

 private:
  friend class store;
  rocksdb::PinnableSlice slice_;
};

// What one column family holds (spillway stats).
struct family_stats {
  std::uint64_t count = 0;
  std::uint64_t value_bytes = 0;  // the sum of the values' sizes (for tweets: the lines)
  std::uint64_t first_id = 0;     // 0 when empty
  std::uint64_t last_id = 0;
};
struct store_stats {
  family_stats posts;
  family_stats outbox;
  family_stats deadletter;
};

class store {
 public:
  static constexpr std::uint64_t last_possible_id = std::numeric_limits<std::uint64_t>::max();

  // Throws std::runtime_error naming the path, RocksDB's reason and the fix (start-up only). `env`: the
  // RocksDB environment to use instead of the default one (tests inject write faults through it); it must
  // outlive the store. RocksDB's info log goes to spdlog (no LOG file in the directory).
  store(const std::string& path, open_mode mode, rocksdb::Env* env = nullptr);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // Durable commit of one batch (WAL on); sync=true also fsyncs the WAL (used at shutdown). The batch is
  // left as it was: the caller clears it. Fails with errc::storage naming the path, the reason and the fix.
  [[nodiscard]] common::result<void> commit(commit_batch& batch, bool sync = false);

  // Stored Posts with from_id <= id <= to_id, in id order.
  [[nodiscard]] post_cursor posts(std::uint64_t from_id = 0, std::uint64_t to_id = last_possible_id) const;
  // Outbox Posts with id >= from_id (see outbox_scope for the order).
  [[nodiscard]] outbox_cursor outbox(std::uint64_t from_id = 0, outbox_scope scope = outbox_scope::all) const;
  // The sequence number for the next outbox batch record (continues after the highest stored one).
  // Called by the one thread that numbers records (the pipeline's), in the order they are written.
  [[nodiscard]] std::uint64_t next_outbox_record() noexcept { return next_outbox_record_++; }
  // Turns every outbox batch record into single entries (one WriteBatch per record: its single entries
  // and its delete), so a previous run's records are re-produced by the relay. Returns the Posts moved.
  // Start-up only, before records are written.
  [[nodiscard]] common::result<std::uint64_t> unpack_outbox_records();
  // The same for one record (its Posts' delivery reports will never come); 0 when it is not there.
  [[nodiscard]] common::result<std::uint64_t> unpack_outbox_record(std::uint64_t seq);
  // Deadletter records in sequence order.
  [[nodiscard]] deadletter_cursor deadletters() const;

  // Point lookup of one stored line into `out`; false when no Post with this id is stored.
  [[nodiscard]] bool read_post(std::uint64_t id, pinned_line& out) const;
  // True when a Post with this id is stored (a point lookup: used only off the hot path).
  [[nodiscard]] bool contains_post(std::uint64_t id) const;

  // The newest `limit` Post ids, newest first — used to warm the dedup window at start-up.
  template <typename F>
  void for_each_newest_id(std::size_t limit, F&& f) const {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family(tweets_cf)));
    std::size_t n = 0;
    for (it->SeekToLast(); it->Valid() && n < limit; it->Prev(), ++n) {
      f(common::decode_be64_exact(std::string_view(it->key().data(), it->key().size())));
    }
  }

  // Count, value bytes and id range of tweets, outbox and deadletter (one scan of each).
  [[nodiscard]] common::result<store_stats> stats() const;

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

 private:
  friend class commit_batch;
  friend class id_cursor;
  friend class outbox_cursor;
  enum family_index : std::size_t { tweets_cf, outbox_cf, meta_cf, deadletter_cf, family_count };
  [[nodiscard]] rocksdb::ColumnFamilyHandle* family(family_index i) const noexcept { return cf_[i]; }
  // Writes the record's Posts as single entries and deletes the record, in one batch.
  [[nodiscard]] common::result<std::uint64_t> unpack(std::uint64_t seq, std::string_view record);

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, family_count> cf_{};
  std::uint64_t next_outbox_record_ = 1;
};

}  // namespace spillway::sinks
