#include "ingest/reconnect/gap_ledger.hpp"

#include "common/big_endian.hpp"

#include <boost/system/errc.hpp>

#include <algorithm>

namespace spillway::reconnect {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr std::uint8_t record_version = 1;
constexpr std::uint8_t flag_resumed = 0x01;
constexpr std::uint8_t flag_disk_low = 0x02;
constexpr std::uint8_t known_flags = flag_resumed | flag_disk_low;
constexpr milliseconds backfill_window{max_backfill_minutes * 60'000};

void put_time(std::string& out, system_clock::time_point t) {
  const auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count());
  common::append_be64(out, ms);
}

// The stored milliseconds as a time_point; nullopt when they are beyond what the wall clock holds (its
// nanosecond count: about ±292 years around 1970) — a corrupt value, whose conversion would overflow.
std::optional<system_clock::time_point> get_time(std::string_view bytes) {
  const auto ms = static_cast<std::int64_t>(common::read_be64(bytes.data()));
  constexpr auto limit = std::chrono::duration_cast<milliseconds>(system_clock::duration::max()).count();
  if (ms > limit || ms < -limit) return std::nullopt;
  return system_clock::time_point{std::chrono::duration_cast<system_clock::duration>(milliseconds{ms})};
}

}  // namespace

std::uint32_t backfill_minutes_for(milliseconds gap) noexcept {
  if (gap <= milliseconds{0}) return 0;
  if (gap >= backfill_window) return max_backfill_minutes;
  return static_cast<std::uint32_t>(std::chrono::ceil<std::chrono::minutes>(gap).count());
}

milliseconds unrecovered_for(milliseconds gap) noexcept { return std::max(gap - backfill_window, milliseconds{0}); }

gap_measure measure_gap(system_clock::time_point stopped, system_clock::time_point resumed) noexcept {
  gap_measure m;
  m.gap = std::max(std::chrono::ceil<milliseconds>(resumed - stopped), milliseconds{0});
  m.backfill_minutes = backfill_minutes_for(m.gap);
  m.unrecovered = unrecovered_for(m.gap);
  return m;
}

std::string_view to_string(gap_reason reason) noexcept {
  switch (reason) {
    case gap_reason::stream: return "stream";
    case gap_reason::disk_low: return "disk_low";
  }
  return "stream";
}

std::string serialize(const gap_record& record) {
  std::string out;
  out.reserve(gap_record_size);
  out.push_back(static_cast<char>(record_version));
  const std::uint8_t flags = (record.resumed_at ? flag_resumed : 0) |
                             (record.reason == gap_reason::disk_low ? flag_disk_low : 0);
  out.push_back(static_cast<char>(flags));
  put_time(out, record.stopped_at);
  put_time(out, record.resumed_at.value_or(system_clock::time_point{}));
  return out;
}

boost::system::result<gap_record> deserialize_gap_record(std::string_view bytes) {
  const auto bad = boost::system::errc::make_error_code(boost::system::errc::bad_message);
  if (bytes.size() != gap_record_size || static_cast<std::uint8_t>(bytes[0]) != record_version) return bad;
  const auto flags = static_cast<std::uint8_t>(bytes[1]);
  if ((flags & ~known_flags) != 0) return bad;
  const auto stopped = get_time(bytes.substr(2, 8));
  if (!stopped) return bad;
  gap_record record{*stopped, std::nullopt, (flags & flag_disk_low) != 0 ? gap_reason::disk_low : gap_reason::stream};
  if ((flags & flag_resumed) == 0) {
    // serialize() writes zeros there: anything else is not a record we wrote (one encoding per record).
    if (common::read_be64(bytes.data() + 10) != 0) return bad;
    return record;
  }
  record.resumed_at = get_time(bytes.substr(10, 8));
  if (!record.resumed_at || *record.resumed_at < record.stopped_at) return bad;
  return record;
}

}  // namespace spillway::reconnect
