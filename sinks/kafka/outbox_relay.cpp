#include "sinks/kafka/outbox_relay.hpp"

#include <cstring>
#include <memory>

namespace spillway::sinks::kafka {

std::int64_t decode_received_ms(std::string_view value) noexcept {
  return static_cast<std::int64_t>(decode_post_key(value));  // same 8-byte big-endian encoding
}

outbox_totals measure_outbox(store& db) {
  outbox_totals t;
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(rocksdb::ReadOptions(), db.outbox()));
  rocksdb::PinnableSlice line;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (t.posts == 0) t.oldest_received_ms = decode_received_ms(store::to_view(it->value()));
    ++t.posts;
    line.Reset();
    if (db.db().Get(rocksdb::ReadOptions(), db.tweets(), it->key(), &line).ok()) t.bytes += line.size();
  }
  return t;
}

outbox_relay::outbox_relay(store& db, std::size_t max_line_bytes) : db_(db), extractor_(max_line_bytes) {
  line_.reserve(max_line_bytes + simdjson::SIMDJSON_PADDING);
}

relay_step outbox_relay::step(std::size_t budget, relay_target& target) {
  relay_step r;
  const auto start = encode_post_key(cursor_);
  std::unique_ptr<rocksdb::Iterator> it(db_.db().NewIterator(rocksdb::ReadOptions(), db_.outbox()));
  rocksdb::PinnableSlice stored;
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); r.examined < budget; it->Next()) {
    if (!it->Valid()) {
      cursor_ = 0;
      r.wrapped = true;
      break;
    }
    ++r.examined;
    const auto id = decode_post_key(store::to_view(it->key()));
    if (target.in_flight(id)) {
      cursor_ = id + 1;
      continue;
    }
    const auto received_ms = decode_received_ms(store::to_view(it->value()));
    stored.Reset();
    if (!db_.db().Get(rocksdb::ReadOptions(), db_.tweets(), it->key(), &stored).ok()) {
      target.orphan(id);  // removed by retention (or never stored): nothing left to deliver
      cursor_ = id + 1;
      continue;
    }
    // simdjson reads up to SIMDJSON_PADDING bytes past the line: copy into the padded buffer.
    line_.resize(stored.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(line_.data(), stored.data(), stored.size());
    std::memset(line_.data() + stored.size(), 0, simdjson::SIMDJSON_PADDING);
    const auto fields = extractor_.extract(line_.data(), stored.size(), line_.size());
    const auto verdict = target.relay(id, std::string_view(line_.data(), stored.size()), fields, received_ms);
    if (verdict == relay_verdict::stop) {
      cursor_ = id;
      break;
    }
    if (verdict == relay_verdict::produced) ++r.produced;
    cursor_ = id + 1;
  }
  return r;
}

}  // namespace spillway::sinks::kafka
