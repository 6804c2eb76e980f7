#include "sinks/kafka/outbox_relay.hpp"

namespace spillway::sinks::kafka {

outbox_totals measure_outbox(const store& db) {
  outbox_totals t;
  pinned_line line;
  for (auto entry = db.outbox(); entry.valid(); entry.next()) {
    if (t.posts == 0) t.oldest_received_ms = entry.received_ms();
    ++t.posts;
    if (db.read_post(entry.id(), line)) t.bytes += line.view().size();
  }
  return t;
}

outbox_relay::outbox_relay(const store& db, std::size_t max_line_bytes)
    : db_(db), extractor_(max_line_bytes), line_(max_line_bytes) {}

relay_step outbox_relay::step(std::size_t budget, relay_target& target) {
  relay_step r;
  for (auto entry = db_.outbox(cursor_, outbox_scope::singles); r.examined < budget; entry.next()) {
    if (!entry.valid()) {
      cursor_ = 0;
      r.wrapped = true;
      break;
    }
    ++r.examined;
    const auto id = entry.id();
    if (target.in_flight(id)) {
      cursor_ = id + 1;
      continue;
    }
    if (!db_.read_post(id, stored_)) {
      target.orphan(id);  // removed by retention (or never stored): nothing left to deliver
      cursor_ = id + 1;
      continue;
    }
    const auto line = line_.assign(stored_.view());
    const auto verdict = target.relay(id, line, line_.extract(extractor_), entry.received_ms(), entry.source());
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
