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
constexpr milliseconds backfill_window{max_backfill_minutes * 60'000};

void put_time(std::string& out, system_clock::time_point t) {
  const auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count());
  common::append_be64(out, ms);
}

system_clock::time_point get_time(std::string_view bytes) {
  const std::uint64_t ms = common::read_be64(bytes.data());
  return system_clock::time_point{
      std::chrono::duration_cast<system_clock::duration>(milliseconds{static_cast<std::int64_t>(ms)})};
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

std::string serialize(const gap_record& record) {
  std::string out;
  out.reserve(gap_record_size);
  out.push_back(static_cast<char>(record_version));
  out.push_back(static_cast<char>(record.resumed_at ? flag_resumed : 0));
  put_time(out, record.stopped_at);
  put_time(out, record.resumed_at.value_or(system_clock::time_point{}));
  return out;
}

boost::system::result<gap_record> deserialize_gap_record(std::string_view bytes) {
  const auto bad = boost::system::errc::make_error_code(boost::system::errc::bad_message);
  if (bytes.size() != gap_record_size || static_cast<std::uint8_t>(bytes[0]) != record_version) return bad;
  const auto flags = static_cast<std::uint8_t>(bytes[1]);
  if ((flags & ~flag_resumed) != 0) return bad;
  gap_record record{get_time(bytes.substr(2, 8)), std::nullopt};
  if ((flags & flag_resumed) != 0) {
    record.resumed_at = get_time(bytes.substr(10, 8));
    if (*record.resumed_at < record.stopped_at) return bad;
  }
  return record;
}

}  // namespace spillway::reconnect
