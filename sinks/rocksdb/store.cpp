#include "sinks/rocksdb/store.hpp"

#include "common/big_endian.hpp"

#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <stdexcept>
#include <vector>

namespace spillway::sinks {

namespace {

const std::array<std::string, 4> family_names = {"tweets", "outbox", "meta", "deadletter"};

// Keys are big-endian snowflake ids, so inserts arrive in (nearly) ascending order: with an insert hint
// per key prefix the memtable starts each insert from where the previous one ended instead of searching
// the skip list from the top. One byte of prefix: every current id shares it, so there is one hint.
void sequential_inserts(rocksdb::ColumnFamilyOptions& o) {
  o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(1));
}

rocksdb::ColumnFamilyOptions tweets_options() {
  rocksdb::ColumnFamilyOptions o;
  // Keys arrive in (nearly) ascending order and are never overwritten: large memtables and fewer,
  // larger L0 files keep write amplification low. Values (whole Posts, ~1.5 KB) dominate the bytes.
  o.write_buffer_size = 128 << 20;
  o.max_write_buffer_number = 4;
  o.target_file_size_base = 128 << 20;
  o.max_bytes_for_level_base = 512 << 20;
  o.level0_file_num_compaction_trigger = 4;
  // Flushes (L0) and the first compaction level stay uncompressed: on two cores the memtable flush must
  // keep up with the stream, and LZ4 there was the largest single CPU cost in a profile of the e2e
  // benchmark. Deeper levels, written by background compaction, are LZ4-compressed (Posts shrink ~2–3×).
  o.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression, rocksdb::kLZ4Compression,
                             rocksdb::kLZ4Compression, rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                             rocksdb::kLZ4Compression};
  sequential_inserts(o);
  return o;
}

// The outbox holds a Post only until its delivery report: a Put and its Delete usually meet in the same
// memtable. A small memtable keeps the skip list short and cache-resident, and its flushes drop the
// Puts covered by Deletes.
rocksdb::ColumnFamilyOptions outbox_options() {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = 8 << 20;
  sequential_inserts(o);
  return o;
}

}  // namespace

post_key encode_post_key(std::uint64_t id) noexcept { return common::encode_be64(id); }

std::uint64_t decode_post_key(std::string_view key) noexcept { return common::decode_be64_exact(key); }

store::store(const std::string& path, open_mode mode) : path_(path) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  families.emplace_back(family_names[0], tweets_options());
  families.emplace_back(family_names[1], outbox_options());
  for (std::size_t i = 2; i < family_names.size(); ++i) families.emplace_back(family_names[i], rocksdb::ColumnFamilyOptions());

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st;
  if (mode == open_mode::read_only) {
    st = rocksdb::DB::OpenForReadOnly(db_options, path, families, &handles, &raw);
  } else {
    st = rocksdb::DB::Open(db_options, path, families, &handles, &raw);
  }
  if (!st.ok()) {
    std::string fix = mode == open_mode::read_only
                          ? "check that the path is a Spillway database (sinks.rocksdb.path of the running service)"
                          : st.IsIOError() && st.ToString().find("lock") != std::string::npos
                                ? "another spillway process holds this database; stop it or use another path"
                                : "check that the directory is writable and on a local disk";
    throw std::runtime_error("cannot open RocksDB at '" + path + "': " + st.ToString() + "; " + fix);
  }
  db_.reset(raw);
  for (std::size_t i = 0; i < cf_.size(); ++i) cf_[i] = handles[i + 1];
  // The default family's handle is owned by the DB; destroy it to keep the handle list tidy.
  db_->DestroyColumnFamilyHandle(handles[0]);
}

store::~store() {
  for (auto* h : cf_) {
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
  }
  db_->Close();
}

rocksdb::Status store::write(rocksdb::WriteBatch& batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  wo.disableWAL = false;  // guarantee 1: a Post is in the WAL before it is acknowledged anywhere
  return db_->Write(wo, &batch);
}

bool store::contains_post(std::uint64_t id) {
  const auto key = encode_post_key(id);
  rocksdb::PinnableSlice value;
  return db_->Get(rocksdb::ReadOptions(), tweets(), rocksdb::Slice(key.data(), key.size()), &value).ok();
}

std::uint64_t store::next_deadletter_seq() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), deadletter()));
  it->SeekToLast();
  return it->Valid() ? decode_post_key(to_view(it->key())) + 1 : 1;
}

common::result<void> store::put_meta(std::string_view key, std::string_view value) {
  const auto st = db_->Put(rocksdb::WriteOptions(), meta(), rocksdb::Slice(key.data(), key.size()),
                           rocksdb::Slice(value.data(), value.size()));
  if (st.ok()) return {};
  return common::error(common::errc::storage,
                       "RocksDB at " + path_ + " refused a meta write (" + st.ToString() +
                           "); check free space and permissions of the database directory");
}

void store::for_each_meta(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& f) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta()));
  const rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    if (!f(to_view(it->key()), to_view(it->value()))) return;
  }
}

void store::for_each_meta_reverse(std::string_view prefix,
                                  const std::function<bool(std::string_view, std::string_view)>& f) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta()));
  // The first key after every key with this prefix: the prefix with its last byte incremented (the
  // prefixes in use are ASCII, so the byte never overflows).
  std::string upper(prefix);
  upper.back() = static_cast<char>(upper.back() + 1);
  const rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->SeekForPrev(upper); it->Valid() && it->key().starts_with(p); it->Prev()) {
    if (!f(to_view(it->key()), to_view(it->value()))) return;
  }
}

}  // namespace spillway::sinks
