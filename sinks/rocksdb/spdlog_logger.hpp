#pragma once
// spdlog_logger: RocksDB's info log, sent to Spillway's log (spdlog) instead of a `LOG` file in the
// database directory. On a full disk RocksDB's error handler writes to its info log: a `LOG` file on the
// same filesystem then fails inside RocksDB (Debian's build keeps assertions on) and aborts the process.
// Through spdlog those lines go to stderr/journald, never to the disk that is full.
//
// Levels: RocksDB's header and info lines (its options dump, flushes, compactions) are spdlog debug;
// warn, error → warn (failures that matter come back as a Status, which Spillway logs as an error);
// fatal → error. Each line is prefixed "rocksdb: ".
// Owns nothing but its level. Thread: any (RocksDB logs from its background threads; spdlog's default
// logger is thread-safe). Handed to RocksDB as a shared_ptr in DBOptions::info_log, which keeps it alive.
#include <cstdarg>

#include <rocksdb/env.h>

namespace spillway::sinks {

class spdlog_logger final : public rocksdb::Logger {
 public:
  spdlog_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Logv(rocksdb::InfoLogLevel level, const char* format, va_list ap) override;
};

}  // namespace spillway::sinks
