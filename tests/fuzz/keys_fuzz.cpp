// Property: the byte formats Spillway reads back from RocksDB — bytes a crash, a bad disk or another
// version may have left there — decode without undefined behaviour (UBSan) and have one encoding each:
//   - gap records (ingest/reconnect/gap_ledger, RocksDB `meta`): whatever deserialize_gap_record accepts
//     serializes back to exactly the same bytes; a record it writes, it reads back equal;
//   - 8-byte big-endian keys and values (common/big_endian.hpp: Post ids in `tweets`/`outbox`, gap times,
//     deadletter sequence numbers): encode(decode(b)) == b, decode(encode(v)) == v, anything but 8 bytes
//     decodes to 0, and the bytewise order of two encodings (RocksDB's order) is their numeric order.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/big_endian.hpp"
#include "ingest/reconnect/gap_ledger.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace spillway;

namespace {

std::uint64_t u64_at(std::string_view bytes, std::size_t at) {
  char b[8] = {};
  if (at < bytes.size()) std::memcpy(b, bytes.data() + at, std::min<std::size_t>(8, bytes.size() - at));
  return common::read_be64(b);
}

void check_be64(std::string_view input) {
  const std::uint64_t a = u64_at(input, 0);
  const std::uint64_t b = u64_at(input, 8);
  const auto ea = common::encode_be64(a);
  const auto eb = common::encode_be64(b);
  const std::string_view va(ea.data(), ea.size());
  const std::string_view vb(eb.data(), eb.size());
  FUZZ_CHECK(common::decode_be64_exact(va) == a && common::decode_be64_exact(vb) == b, va);
  const int bytewise = va.compare(vb);  // unsigned bytes, as RocksDB's BytewiseComparator
  FUZZ_CHECK((bytewise < 0) == (a < b) && (bytewise == 0) == (a == b), va);
  std::string appended = "gap/";
  common::append_be64(appended, a);
  FUZZ_CHECK(appended.substr(4) == va, appended);
  if (input.size() == 8) {
    const auto back = common::encode_be64(common::decode_be64_exact(input));
    FUZZ_CHECK(std::string_view(back.data(), back.size()) == input, input);
  } else {
    FUZZ_CHECK(common::decode_be64_exact(input) == 0, input);
  }
}

void check_gap_record(std::string_view input) {
  if (const auto record = reconnect::deserialize_gap_record(input)) {
    FUZZ_CHECK(reconnect::serialize(*record) == input, reconnect::serialize(*record));
  }
  // A record written from the input's numbers (milliseconds, as the ledger stores time) reads back. They
  // stay within ±2^43 ms (±278 years of 1970): the wall clock counts nanoseconds in 64 bits (±292 years).
  using std::chrono::milliseconds;
  const auto at = [](std::uint64_t v) {
    const milliseconds m{static_cast<std::int64_t>(v % (std::uint64_t{1} << 44)) - (std::int64_t{1} << 43)};
    return std::chrono::system_clock::time_point{std::chrono::duration_cast<std::chrono::system_clock::duration>(m)};
  };
  const auto stopped = at(u64_at(input, 0));
  const auto resumed = at(u64_at(input, 8));
  reconnect::gap_record written{stopped, std::nullopt};
  if (resumed >= stopped && !input.empty() && (input[0] & 1) != 0) written.resumed_at = resumed;
  if (!input.empty() && (input[0] & 2) != 0) written.reason = reconnect::gap_reason::disk_low;
  const auto back = reconnect::deserialize_gap_record(reconnect::serialize(written));
  FUZZ_CHECK(back && *back == written, reconnect::serialize(written));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_be64(input);
  check_gap_record(input);
  return 0;
}
