#pragma once
// crc32c_hw: RocksDB's CRC32C (every byte written to the WAL is checksummed with it) on the SSE4.2
// instruction, in place of the table loop Debian's librocksdb 7.8 ships.
//
// Why: Debian builds RocksDB portable, without SSE4.2, and librocksdb has no run-time dispatch for CRC32C,
// so its `rocksdb::crc32c::Extend` is a software loop over every WAL byte: ≈ 15% of the pipeline thread
// at full speed (perf, README "Performance"). librocksdb calls that function through its PLT, so a
// definition with the same signature in our executable takes its place (ELF symbol interposition; the
// dynamic linker binds librocksdb's calls to the executable's definition first). crc32c_hw.cpp defines it:
// SSE4.2 `crc32` when the CPU has it and it agrees with librocksdb's own function on known inputs, else
// librocksdb's own function (found with dlsym(RTLD_NEXT)). The checksum is the same CRC32C either way, so
// databases written before and after are interchangeable. On other architectures nothing is interposed.
//
// Owns: the choice, made once on first use (thread-safe). Threads: any (RocksDB's writers and background
// jobs call it). Must outlive it: nothing.
#include <cstddef>
#include <cstdint>

namespace spillway::sinks {

struct crc32c_implementation {
  bool interposed = false;  // librocksdb's calls resolve to Spillway's definition
  bool hardware = false;    // that definition uses the SSE4.2 instruction (else it forwards to librocksdb's)
  // For the start-up log and --version: "SSE4.2 (Spillway's, in place of librocksdb's table loop)",
  // "librocksdb's own", or (librocksdb's not found and no SSE4.2) "bitwise (...)".
  const char* name = "";
};

// What RocksDB's CRC32C runs on in this process. store's constructor logs it (and thereby links the
// interposing definition into every executable that opens a store).
[[nodiscard]] crc32c_implementation crc32c_in_use() noexcept;

// librocksdb's own CRC32C (the function interposed), or nullptr when it cannot be found. For tests and the
// start-up cross-check.
using crc32c_extend_fn = std::uint32_t (*)(std::uint32_t init_crc, const char* data, std::size_t n);
[[nodiscard]] crc32c_extend_fn librocksdb_crc32c() noexcept;

}  // namespace spillway::sinks

// librocksdb's CRC32C entry point (util/crc32c.h), declared exactly as there so that its mangled name is the
// one librocksdb imports through its PLT. crc32c_hw.cpp defines it on x86-64; calling it anywhere runs
// whichever definition the dynamic linker bound (Spillway's when crc32c_in_use().interposed).
namespace rocksdb::crc32c {
std::uint32_t Extend(std::uint32_t init_crc, const char* data, std::size_t n);
}  // namespace rocksdb::crc32c
