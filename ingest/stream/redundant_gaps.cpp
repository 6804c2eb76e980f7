#include "ingest/stream/redundant_gaps.hpp"

namespace spillway::ingest {

redundant_gaps::redundant_gaps(gap_tracker& tracker, std::size_t connections)
    : tracker_(tracker), delivering_(connections) {
  members_.reserve(connections);
  for (std::size_t i = 0; i < connections; ++i) members_.push_back(std::make_unique<member>(*this, i));
}

void redundant_gaps::member::on_delivered(wall_time at) {
  const std::lock_guard lock(owner_.mutex_);
  owner_.delivering_.delivered(index_);
  // Always: the tracker keeps the last delivery of any connection (where a later gap starts), and closes
  // a gap only if one is open — which means every connection was down until now.
  owner_.tracker_.on_delivered(at);
}

void redundant_gaps::member::on_stopped(wall_time now, reconnect::gap_reason reason) {
  const std::lock_guard lock(owner_.mutex_);
  if (owner_.delivering_.stopped(index_)) owner_.tracker_.on_stopped(now, reason);
}

std::uint32_t redundant_gaps::member::backfill_minutes(wall_time now) {
  const std::lock_guard lock(owner_.mutex_);
  return owner_.tracker_.backfill_minutes(now);
}

}  // namespace spillway::ingest
