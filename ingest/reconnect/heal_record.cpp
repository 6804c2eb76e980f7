#include "ingest/reconnect/heal_record.hpp"

#include "common/big_endian.hpp"
#include "common/error.hpp"

namespace spillway::reconnect {
namespace {
constexpr char kVersion = 1;
constexpr std::size_t kFixed = 4 + 8 + 8 + 8;
}  // namespace

std::string_view to_string(heal_state s) noexcept {
  switch (s) {
    case heal_state::open: return "open";
    case heal_state::backfilled: return "backfilled";
    case heal_state::recovered: return "recovered";
    case heal_state::partially_recovered: return "partially recovered";
    case heal_state::unrecoverable: return "unrecoverable";
  }
  return "?";
}

std::string_view to_string(heal_method m) noexcept {
  switch (m) {
    case heal_method::none: return "none";
    case heal_method::stream: return "stream";
    case heal_method::search: return "search";
  }
  return "?";
}

std::string serialize(const heal_record& r) {
  std::string out;
  out.reserve(kFixed + r.detail.size() + r.progress.size());
  out.push_back(kVersion);
  out.push_back(char(r.state));
  out.push_back(char(r.method));
  out.push_back(char(r.in_progress ? 1 : 0));
  common::append_be64(out, r.posts);
  common::append_be64(out, r.requests);
  common::append_be64(out, r.detail.size());
  out += r.detail;
  out += r.progress;
  return out;
}

boost::system::result<heal_record> deserialize_heal_record(std::string_view b) {
  const auto bad = common::make_error_code(common::errc::bad_message);
  if (b.size() < kFixed || b[0] != kVersion) return bad;
  if (std::uint8_t(b[1]) > std::uint8_t(heal_state::unrecoverable) || std::uint8_t(b[2]) > std::uint8_t(heal_method::search) ||
      std::uint8_t(b[3]) > 1)
    return bad;
  heal_record r;
  r.state = heal_state(b[1]);
  r.method = heal_method(b[2]);
  r.in_progress = b[3] == 1;
  r.posts = common::read_be64(b.data() + 4);
  r.requests = common::read_be64(b.data() + 12);
  const std::uint64_t detail = common::read_be64(b.data() + 20);
  if (detail > b.size() - kFixed) return bad;
  r.detail.assign(b.substr(kFixed, std::size_t(detail)));
  r.progress.assign(b.substr(kFixed + std::size_t(detail)));
  return r;
}

}  // namespace spillway::reconnect
