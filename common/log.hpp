#pragma once
// Logging setup: one spdlog logger to stderr, shared by every thread (spdlog's _mt sinks are thread-safe).
// Hot paths never log per Post; they count, and log the first occurrence of each kind with a sample.
#include <string_view>

#include <spdlog/spdlog.h>

namespace spillway::common {

// level: trace|debug|info|warn|error|critical|off. Unknown names fall back to info.
void init_logging(std::string_view level);

// A printable, bounded excerpt of untrusted bytes for a log line: control bytes escaped, cut at max_bytes.
std::string log_sample(std::string_view bytes, std::size_t max_bytes = 160);

}  // namespace spillway::common
