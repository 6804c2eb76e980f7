// bench-crc32c: RocksDB's WAL checksum, Debian librocksdb's own CRC32C (a table loop: the package is
// built without SSE4.2) beside the one Spillway puts in its place (sinks/rocksdb/crc32c_hw: SSE4.2 in
// three interleaved lanes), on buffers the size of a WAL fragment (32 KiB blocks) and of one Post.
// Both results are checked equal on every buffer before anything is timed. Prints one JSON object with
// the median thread-CPU time per round and GB/s for each.
//
//   bench-crc32c [--rounds 7] [--mb 256]
#include <rocksdb/version.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_machine.hpp"
#include "bench/bench_stats.hpp"
#include "sinks/rocksdb/crc32c_hw.hpp"

namespace {

using spillway::bench::median;
using spillway::bench::thread_cpu_seconds;

// Checksums `total` bytes as consecutive pieces of `piece` bytes, chained as RocksDB chains a record's
// header and payload; returns the last value so the work cannot be dropped.
template <typename Fn>
std::uint32_t run(Fn fn, const std::vector<char>& bytes, std::size_t piece, std::size_t total) {
  std::uint32_t crc = 0;
  for (std::size_t done = 0; done < total; done += piece) {
    const std::size_t at = done % (bytes.size() - piece);
    crc = fn(crc, bytes.data() + at, piece);
  }
  return crc;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 7;
  std::size_t mb = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rounds") {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--mb") {
      mb = static_cast<std::size_t>(std::max(1, std::atoi(argv[i + 1])));
    } else {
      std::fprintf(stderr, "usage: bench-crc32c [--rounds N] [--mb M]\n");
      return 2;
    }
  }
  const auto library = spillway::sinks::librocksdb_crc32c();
  const auto in_use = spillway::sinks::crc32c_in_use();
  if (library == nullptr || !in_use.interposed) {
    std::fprintf(stderr, "bench-crc32c: librocksdb's CRC32C is not interposed here (%s); nothing to compare\n",
                 in_use.name);
    return 1;
  }
  std::vector<char> bytes(1 << 20);
  std::mt19937_64 random(7);
  for (auto& b : bytes) b = static_cast<char>(random());

  // Check first: both agree on every piece size and offset used below, chained.
  for (std::size_t piece : {std::size_t{1600}, std::size_t{32768}}) {
    const std::size_t total = 64 * piece;
    if (run(library, bytes, piece, total) != run(rocksdb::crc32c::Extend, bytes, piece, total)) {
      std::fprintf(stderr, "bench-crc32c: the two CRC32C disagree on %zu-byte pieces\n", piece);
      return 1;
    }
  }

  const std::size_t total = mb << 20;
  std::string json = "{\"benchmark\":\"crc32c\",\"mb\":" + std::to_string(mb) + ",\"in_use\":\"" + in_use.name + "\"";
  for (std::size_t piece : {std::size_t{1600}, std::size_t{32768}}) {
    double medians[2];
    for (int which = 0; which < 2; ++which) {
      std::vector<double> cpu;
      volatile std::uint32_t sink = 0;
      for (int r = 0; r < rounds; ++r) {
        const double c0 = thread_cpu_seconds();
        sink = sink ^ (which == 0 ? run(library, bytes, piece, total) : run(rocksdb::crc32c::Extend, bytes, piece, total));
        cpu.push_back(thread_cpu_seconds() - c0);
      }
      medians[which] = median(cpu);
    }
    const auto gbps = [&](double s) { return static_cast<double>(total) / s / 1e9; };
    char row[256];
    std::snprintf(row, sizeof row,
                  ",\"piece_%zu\":{\"librocksdb_gb_per_s\":%.2f,\"spillway_gb_per_s\":%.2f,\"speedup\":%.1f}", piece,
                  gbps(medians[0]), gbps(medians[1]), medians[0] / medians[1]);
    json += row;
  }
  // Naming the library version also makes this program need librocksdb (linked as needed): without it,
  // there would be no librocksdb function to interpose or compare with.
  json += ",\"rocksdb\":\"" + rocksdb::GetRocksVersionAsString(true) + "\",\"cpu\":\"" + spillway::bench::cpu_model() + "\"}";
  std::puts(json.c_str());
  return 0;
}
