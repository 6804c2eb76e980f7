#include "sinks/rocksdb/spdlog_logger.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include <spdlog/spdlog.h>

namespace spillway::sinks {
namespace {

spdlog::level::level_enum spdlog_level(rocksdb::InfoLogLevel level) {
  switch (level) {
    // RocksDB's ERROR lines include benign ones (a missing directory at the first open, create_if_missing
    // makes it); a failure that matters reaches Spillway as a Status and is logged as an error there.
    case rocksdb::InfoLogLevel::WARN_LEVEL:
    case rocksdb::InfoLogLevel::ERROR_LEVEL: return spdlog::level::warn;
    case rocksdb::InfoLogLevel::FATAL_LEVEL: return spdlog::level::err;
    default: return spdlog::level::debug;
  }
}

}  // namespace

void spdlog_logger::Logv(const char* format, va_list ap) { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }

void spdlog_logger::Logv(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level < GetInfoLogLevel()) return;
  const auto to = spdlog_level(level);
  if (!spdlog::should_log(to)) return;  // the options dump alone is hundreds of lines: format only what is kept
  // A stack buffer: RocksDB may log while memory is short; longer lines are cut (vsnprintf truncates).
  char buffer[1024];
  const int n = std::vsnprintf(buffer, sizeof buffer, format, ap);
  if (n < 0) return;
  std::string_view line(buffer, std::min(static_cast<std::size_t>(n), sizeof buffer - 1));
  while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  spdlog::log(to, "rocksdb: {}", line);
}

}  // namespace spillway::sinks
