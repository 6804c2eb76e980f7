#include "sinks/rocksdb/store.hpp"

#include "common/big_endian.hpp"
#include "common/thread_priority.hpp"

#include "sinks/rocksdb/crc32c_hw.hpp"
#include "sinks/rocksdb/spdlog_logger.hpp"

#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace spillway::sinks {

namespace {

// What DB::Open asks of the pools for max_background_jobs = 2 (RocksDB's GetBGJobLimits: a quarter of the
// jobs, at least one, flush; the rest compact).
constexpr int background_jobs = 2;
constexpr int flush_threads = 1;
constexpr int compaction_threads = background_jobs - flush_threads;

// RocksDB's pool threads (the flush, rocksdb:high, and the compaction, rocksdb:low) work behind the
// committer, which works behind the ring and the spool: they run below the reader too
// (common/thread_priority.hpp). A Linux thread starts with the nice value of the thread that creates it,
// and DB::Open starts the pools' threads in the opener's thread, at the reader's priority. So a
// short-lived thread at background priority starts them first, with the sizes DB::Open will ask for (it
// then finds them running). The pools belong to the process (Env::Default): when they are running
// already, this changes nothing.
void start_pools_below_reader(rocksdb::Env& env) {
  std::thread([&env] {
    (void)common::lower_this_thread_to_background();
    env.IncBackgroundThreadsIfNeeded(flush_threads, rocksdb::Env::Priority::HIGH);
    env.IncBackgroundThreadsIfNeeded(compaction_threads, rocksdb::Env::Priority::LOW);
  }).join();
}

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
  // 96 MiB, not 128: a 60 s broker outage at 50,000 Posts/s peaked at 535 MiB RSS with 128 MiB and 471 MiB
  // with 96 MiB (issue 13 bounds it at 512), while the e2e throughput stayed the same (medians of 3,
  // interleaved: 126.5k and 127.1k Posts/s); 64 MiB cost 8% of it (README "Performance").
  o.write_buffer_size = 96 << 20;
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

namespace {

std::string_view view(const rocksdb::Slice& s) noexcept { return {s.data(), s.size()}; }

rocksdb::Slice slice(const common::be64_bytes& b) noexcept { return {b.data(), b.size()}; }

// "RocksDB <what> at <path>: <reason>; <fix>" (the storage-fault test and operators grep for this shape).
common::error storage_error(const std::string& path, std::string_view what, const rocksdb::Status& st) {
  return common::error(common::errc::storage, "RocksDB " + std::string(what) + " at " + path + ": " + st.ToString() +
                                                  "; check disk space and permissions of the database directory");
}

// Counts a whole family through its cursor; value_size(cursor) is the current value's size.
template <typename Cursor, typename ValueSize>
common::result<void> scan(Cursor c, family_stats& f, ValueSize value_size) {
  for (; c.valid(); c.next()) {
    if (f.count == 0) f.first_id = c.id();
    f.last_id = c.id();
    ++f.count;
    f.value_bytes += value_size(c);
  }
  return c.status();
}

// Outbox batch records: 0xFF, then the sequence number big-endian. Every single entry's key is a Post id
// below 2^63, so it starts with a byte <= 0x7F and sorts before every record.
constexpr char record_marker = static_cast<char>(0xFF);
constexpr std::size_t record_key_size = 9;
constexpr std::size_t record_entry_size = 17;  // id, received_at (big-endian), source byte

std::array<char, record_key_size> record_key(std::uint64_t seq) noexcept {
  std::array<char, record_key_size> key{};
  key[0] = record_marker;
  const auto be = common::encode_be64(seq);
  std::copy(be.begin(), be.end(), key.begin() + 1);
  return key;
}

bool is_record_key(const rocksdb::Slice& key) noexcept {
  return key.size() == record_key_size && key[0] == record_marker;
}

std::uint64_t record_seq(const rocksdb::Slice& key) noexcept { return common::read_be64(key.data() + 1); }

}  // namespace

void commit_batch::put_outbox_record(std::uint64_t seq) {
  if (record_.empty()) return;
  const auto key = record_key(seq);
  batch_.Put(outbox_, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(record_.data(), record_.size()));
  record_.clear();
}

void commit_batch::delete_outbox_record(std::uint64_t seq) {
  const auto key = record_key(seq);
  batch_.Delete(outbox_, rocksdb::Slice(key.data(), key.size()));
}

commit_batch::commit_batch(const store& db) noexcept
    : tweets_(db.family(store::tweets_cf)), outbox_(db.family(store::outbox_cf)),
      deadletter_(db.family(store::deadletter_cf)) {}

void commit_batch::put_deadletter(std::uint64_t seq, std::string_view kind, std::string_view reason,
                                  std::string_view bytes) {
  const auto key = common::encode_be64(seq);
  const rocksdb::Slice key_part = slice(key);
  const std::array<rocksdb::Slice, 5> value_parts = {
      rocksdb::Slice(kind.data(), kind.size()), rocksdb::Slice(": ", 2), rocksdb::Slice(reason.data(), reason.size()),
      rocksdb::Slice("\n", 1), rocksdb::Slice(bytes.data(), bytes.size())};
  batch_.Put(deadletter_, rocksdb::SliceParts(&key_part, 1),
             rocksdb::SliceParts(value_parts.data(), static_cast<int>(value_parts.size())));
}

id_cursor::id_cursor(const store& db, rocksdb::ColumnFamilyHandle* family, std::uint64_t from_id, std::uint64_t to_id)
    : path_(&db.path()), it_(db.db_->NewIterator(rocksdb::ReadOptions(), family)), to_id_(to_id) {
  const auto from = common::encode_be64(from_id);
  it_->Seek(slice(from));
  settle();
}

id_cursor::id_cursor(id_cursor&&) noexcept = default;
id_cursor& id_cursor::operator=(id_cursor&&) noexcept = default;
id_cursor::~id_cursor() = default;

void id_cursor::next() {
  if (!valid_) return;
  it_->Next();
  settle();
}

void id_cursor::settle() noexcept {
  valid_ = it_->Valid();
  if (!valid_) return;
  id_ = common::decode_be64_exact(view(it_->key()));
  valid_ = id_ <= to_id_;
}

std::string_view id_cursor::value() const noexcept { return view(it_->value()); }

common::result<void> id_cursor::status() const {
  if (!it_) return {};  // moved from: it walked nothing
  const auto st = it_->status();
  if (st.ok()) return {};
  return storage_error(*path_, "read failed", st);
}

store::store(const std::string& path, open_mode mode, rocksdb::Env* env) : path_(path) {
  rocksdb::DBOptions db_options;
  // RocksDB's info log goes to spdlog, never to a LOG file beside the data (sinks/rocksdb/spdlog_logger).
  db_options.info_log = std::make_shared<spdlog_logger>();
  if (env != nullptr) db_options.env = env;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = background_jobs;
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
    start_pools_below_reader(*db_options.env);
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
  // Every WAL byte is checksummed with CRC32C: say what computes it (sinks/rocksdb/crc32c_hw.hpp).
  spdlog::debug("RocksDB at '{}': WAL checksums (CRC32C) by {}", path, crc32c_in_use().name);
  // The default family's handle is owned by the DB; destroy it to keep the handle list tidy.
  db_->DestroyColumnFamilyHandle(handles[0]);
  std::unique_ptr<rocksdb::Iterator> last(db_->NewIterator(rocksdb::ReadOptions(), family(outbox_cf)));
  last->SeekToLast();
  if (last->Valid() && is_record_key(last->key())) next_outbox_record_ = record_seq(last->key()) + 1;
}

store::~store() {
  for (auto* h : cf_) {
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
  }
  db_->Close();
}

common::result<void> store::commit(commit_batch& batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  wo.disableWAL = false;  // guarantee 1: a Post is in the WAL before it is acknowledged anywhere
  const auto st = db_->Write(wo, &batch.batch_);
  if (st.ok()) return {};
  return storage_error(path_, "write failed", st);
}

outbox_cursor::outbox_cursor(const store& db, std::uint64_t from_id, outbox_scope scope)
    : db_(&db), it_(db.db_->NewIterator(rocksdb::ReadOptions(), db.family(store::outbox_cf))), from_id_(from_id),
      scope_(scope) {
  const auto from = common::encode_be64(from_id);
  it_->Seek(slice(from));
  settle();
}

outbox_cursor::outbox_cursor(outbox_cursor&&) noexcept = default;
outbox_cursor& outbox_cursor::operator=(outbox_cursor&&) noexcept = default;
outbox_cursor::~outbox_cursor() = default;

void outbox_cursor::next() {
  if (!valid_) return;
  if (record_ != 0) {
    offset_ += record_entry_size;
  } else {
    it_->Next();
  }
  settle();
}

bool outbox_cursor::load_entry() {
  const auto v = it_->value();
  const char* e = v.data() + offset_;
  id_ = common::read_be64(e);
  received_ms_ = static_cast<std::int64_t>(common::read_be64(e + 8));
  source_ = common::post_source_from_byte(static_cast<std::uint8_t>(e[16]));
  if (id_ < from_id_) return false;
  // Moved out to a single entry (visited there already): listed once.
  const auto key = common::encode_be64(id_);
  std::string ignored;
  return !db_->db_->Get(rocksdb::ReadOptions(), db_->family(store::outbox_cf), slice(key), &ignored).ok();
}

void outbox_cursor::settle() {
  for (;;) {
    valid_ = it_->Valid();
    if (!valid_) return;
    const auto key = it_->key();
    if (!is_record_key(key)) {
      record_ = 0;
      id_ = common::decode_be64_exact(view(key));
      const auto v = it_->value();
      received_ms_ = static_cast<std::int64_t>(
          common::decode_be64_exact(v.size() == 9 ? view(v).substr(0, 8) : view(v)));
      source_ = v.size() == 9 ? common::post_source_from_byte(static_cast<std::uint8_t>(v[8]))
                              : common::post_source::stream;
      return;
    }
    if (scope_ == outbox_scope::singles) {
      valid_ = false;  // records sort after every single entry
      return;
    }
    if (record_ != record_seq(key)) {  // a record reached by Next(): from its first entry
      record_ = record_seq(key);
      offset_ = 0;
    }
    for (; offset_ + record_entry_size <= it_->value().size(); offset_ += record_entry_size) {
      if (load_entry()) return;
    }
    it_->Next();
    record_ = 0;
  }
}

common::result<void> outbox_cursor::status() const {
  if (!it_) return {};
  const auto st = it_->status();
  if (st.ok()) return {};
  return storage_error(db_->path(), "read failed", st);
}

post_cursor store::posts(std::uint64_t from_id, std::uint64_t to_id) const {
  return post_cursor(*this, family(tweets_cf), from_id, to_id);
}

outbox_cursor store::outbox(std::uint64_t from_id, outbox_scope scope) const {
  return outbox_cursor(*this, from_id, scope);
}

common::result<std::uint64_t> store::unpack(std::uint64_t seq, std::string_view record) {
  commit_batch batch(*this);
  std::uint64_t moved = 0;
  for (std::size_t at = 0; at + record_entry_size <= record.size(); at += record_entry_size) {
    const char* e = record.data() + at;
    batch.put_outbox(common::read_be64(e), static_cast<std::int64_t>(common::read_be64(e + 8)),
                     common::post_source_from_byte(static_cast<std::uint8_t>(e[16])));
    ++moved;
  }
  batch.delete_outbox_record(seq);
  if (auto written = commit(batch); !written) return written.error();
  return moved;
}

common::result<std::uint64_t> store::unpack_outbox_records() {
  std::uint64_t moved = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family(outbox_cf)));
  const std::array<char, 1> first = {record_marker};
  for (it->Seek(rocksdb::Slice(first.data(), first.size())); it->Valid(); it->Next()) {
    if (!is_record_key(it->key())) continue;
    const auto n = unpack(record_seq(it->key()), view(it->value()));
    if (!n) return n.error();
    moved += *n;
  }
  if (!it->status().ok()) return storage_error(path_, "read failed", it->status());
  return moved;
}

common::result<std::uint64_t> store::unpack_outbox_record(std::uint64_t seq) {
  const auto key = record_key(seq);
  std::string value;
  const auto st = db_->Get(rocksdb::ReadOptions(), family(outbox_cf), rocksdb::Slice(key.data(), key.size()), &value);
  if (st.IsNotFound()) return std::uint64_t{0};
  if (!st.ok()) return storage_error(path_, "read failed", st);
  return unpack(seq, value);
}

deadletter_cursor store::deadletters() const {
  return deadletter_cursor(*this, family(deadletter_cf), 0, last_possible_id);
}

bool store::read_post(std::uint64_t id, pinned_line& out) const {
  const auto key = common::encode_be64(id);
  out.slice_.Reset();
  return db_->Get(rocksdb::ReadOptions(), family(tweets_cf), slice(key), &out.slice_).ok();
}

bool store::contains_post(std::uint64_t id) const {
  pinned_line ignored;
  return read_post(id, ignored);
}

common::result<store_stats> store::stats() const {
  store_stats s;
  if (auto r = scan(posts(), s.posts, [](const post_cursor& c) { return c.line().size(); }); !r) return r.error();
  if (auto r = scan(outbox(), s.outbox, [](const outbox_cursor&) { return sizeof(common::be64_bytes); }); !r) {
    return r.error();
  }
  if (auto r = scan(deadletters(), s.deadletter, [](const deadletter_cursor& c) { return c.record().size(); }); !r) {
    return r.error();
  }
  return s;
}

std::uint64_t store::next_deadletter_seq() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family(deadletter_cf)));
  it->SeekToLast();
  return it->Valid() ? common::decode_be64_exact(view(it->key())) + 1 : 1;
}

common::result<void> store::put_meta(std::string_view key, std::string_view value) {
  const auto st = db_->Put(rocksdb::WriteOptions(), family(meta_cf), rocksdb::Slice(key.data(), key.size()),
                           rocksdb::Slice(value.data(), value.size()));
  if (st.ok()) return {};
  return storage_error(path_, "meta write failed", st);
}

void store::for_each_meta(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& f) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family(meta_cf)));
  const rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    if (!f(view(it->key()), view(it->value()))) return;
  }
}

void store::for_each_meta_reverse(std::string_view prefix,
                                  const std::function<bool(std::string_view, std::string_view)>& f) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family(meta_cf)));
  // The first key after every key with this prefix: the prefix with its last byte incremented (the
  // prefixes in use are ASCII, so the byte never overflows).
  std::string upper(prefix);
  upper.back() = static_cast<char>(upper.back() + 1);
  const rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->SeekForPrev(upper); it->Valid() && it->key().starts_with(p); it->Prev()) {
    if (!f(view(it->key()), view(it->value()))) return;
  }
}

}  // namespace spillway::sinks
