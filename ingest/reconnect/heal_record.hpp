#pragma once
// heal_record: where healing one gap stands, kept in RocksDB `meta` next to the gap's own record (key
// "gapheal/" + the gap's stopped_at) so `spillway gaps heal` resumes after a restart instead of paying
// for the same Posts twice. The gap ledger's own record format is left as it is.
//
// States (issue 12): open → backfilled | recovered | partially_recovered (rules search cannot express,
// listed in `detail`) | unrecoverable (`detail` says why). `progress` is the healer's resume point
// (search: the rule index and next_token; stream: the newest Post id seen).
// Pure values and functions, any thread.

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace spillway::reconnect {

enum class heal_state : std::uint8_t { open, backfilled, recovered, partially_recovered, unrecoverable };
enum class heal_method : std::uint8_t { none, stream, search };

[[nodiscard]] std::string_view to_string(heal_state s) noexcept;
[[nodiscard]] std::string_view to_string(heal_method m) noexcept;

struct heal_record {
  heal_state state = heal_state::open;
  heal_method method = heal_method::none;
  bool in_progress = false;     // a heal started and has not finished (a restart resumes it)
  std::uint64_t posts = 0;      // Posts read while healing (stored or already present)
  std::uint64_t requests = 0;   // HTTP requests spent
  std::string detail;           // partially_recovered: the rules' tags/values; unrecoverable: the reason
  std::string progress;         // the healer's resume point (opaque here)
  friend bool operator==(const heal_record&, const heal_record&) = default;
};

// version (1) · state · method · in_progress · posts (be64) · requests (be64) · detail length (be64) ·
// detail · progress (the rest).
[[nodiscard]] std::string serialize(const heal_record& r);
// errc::bad_message for a short record, an unknown version, state or method, or a detail longer than the rest.
[[nodiscard]] boost::system::result<heal_record> deserialize_heal_record(std::string_view bytes);

}  // namespace spillway::reconnect
