#include "ingest/stream/gap_tracker.hpp"

#include "common/log.hpp"

#include <algorithm>
#include <memory>

#include <spdlog/spdlog.h>

#include "ingest/reconnect/policy.hpp"

namespace spillway::ingest {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t twitter_epoch_ms = 1288834974657;

std::int64_t unix_ms(wall_time t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

wall_time snowflake_time(std::uint64_t id) noexcept {
  return wall_time{milliseconds{static_cast<std::int64_t>(id >> 22) + twitter_epoch_ms}};
}

gap_tracker::gap_tracker(reconnect::gap_ledger_store& ledger, bool backfill,
                         std::optional<wall_time> newest_post_time, common::metrics_registry& metrics)
    : ledger_(ledger),
      backfill_(backfill),
      recovered_seconds_(metrics.counter(common::metric::recovered_gap_seconds)),
      unrecovered_seconds_(metrics.counter(common::metric::unrecovered_gap_seconds)),
      backfill_requests_(metrics.counter(common::metric::backfill_requests)),
      gaps_(metrics.counter(common::metric::stream_gaps)),
      open_gap_since_(metrics.gauge(common::metric::open_gap_since_ms)) {
  const auto last = ledger_.newest();
  if (last && !last->resumed_at) {
    open_ = last->stopped_at;  // stopped (cleanly or not) while a gap was open: it goes on
    open_reason_ = last->reason;
  } else {
    std::optional<wall_time> stopped = newest_post_time;
    if (last && (!stopped || *last->resumed_at > *stopped)) stopped = last->resumed_at;
    if (stopped) {
      // Killed while delivering: the newest stored Post is a lower bound on when delivery stopped.
      open_ = stopped;
      put({*open_, std::nullopt});
    }
  }
  if (open_) {
    open_gap_since_.set(unix_ms(*open_));
    spdlog::info("gap ledger: delivery stopped at {} (before this start)", reconnect::format_utc(*open_));
  }
}

void gap_tracker::put(const reconnect::gap_record& record) {
  const auto written = ledger_.put(record);
  if (!written && !write_failed_logged_) {
    write_failed_logged_ = true;
    spdlog::error("gap ledger: {}; gaps are not recorded until this is fixed", written.error().message);
  }
}

void gap_tracker::on_delivered(wall_time at) {
  last_delivery_ = at;
  if (!open_) return;
  const auto m = reconnect::measure_gap(*open_, at);
  put({*open_, at, open_reason_});
  gaps_.add();
  const auto unrecovered = backfill_ ? m.unrecovered : m.gap;
  recovered_ms_ += (m.gap - unrecovered).count();
  unrecovered_ms_ += unrecovered.count();
  recovered_seconds_.set(recovered_ms_ / 1000);
  unrecovered_seconds_.set(unrecovered_ms_ / 1000);
  if (m.unrecovered.count() > 0 || (!backfill_ && m.gap >= milliseconds{1000})) {
    common::log_with(spdlog::level::warn,
                     {{"reason", reconnect::to_string(open_reason_)}, {"gap_ms", m.gap.count()}, {"lost_ms", unrecovered.count()}},
                     "gap ledger: the stream delivered nothing from {} to {} ({}); {} of it is lost{}",
                 reconnect::format_utc(*open_), reconnect::format_utc(at), reconnect::format_wait(m.gap),
                 reconnect::format_wait(unrecovered),
                 backfill_ ? " (X backfills at most 5 minutes); list gaps with `spillway gaps --db DIR`"
                           : "; set stream.backfill = true (Pro/Enterprise) to recover up to 5 minutes");
  }
  open_.reset();
  open_reason_ = reconnect::gap_reason::stream;
  warned_long_ = false;
  open_gap_since_.set(0);
}

void gap_tracker::on_stopped(wall_time now, reconnect::gap_reason reason) {
  // Nothing delivered yet in this database: there is no stream to have a gap in.
  if (open_ || !last_delivery_) return;
  open_ = std::min(*last_delivery_, now);
  open_reason_ = reason;
  put({*open_, std::nullopt, reason});
  open_gap_since_.set(unix_ms(*open_));
}

std::uint32_t gap_tracker::backfill_minutes(wall_time now) {
  if (!backfill_ || !open_) return 0;
  const auto m = reconnect::measure_gap(*open_, now);
  if (m.unrecovered.count() > 0 && !warned_long_) {
    warned_long_ = true;
    spdlog::warn("gap ledger: no delivery since {} ({}), longer than the 5 minutes X can backfill: Posts of the first "
                 "{} are lost; they stay listed by `spillway gaps --db DIR`",
                 reconnect::format_utc(*open_), reconnect::format_wait(m.gap),
                 reconnect::format_wait(m.unrecovered));
  }
  if (m.backfill_minutes > 0) backfill_requests_.add();
  return m.backfill_minutes;
}

}  // namespace spillway::ingest
