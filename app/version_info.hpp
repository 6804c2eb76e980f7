#pragma once
// `spillway --version`: Spillway's version (git describe at build time), the build type, the compiler, and
// the versions of the libraries in use — the runtime version where the library reports one (OpenSSL,
// librdkafka, RocksDB), else the version of the headers it was built with (Boost, simdjson).
// Lives in app/ because only the composition root links every one of those libraries.
// Pure function; any thread; nothing to outlive.
#include <string>

namespace spillway::app {

// Several lines, the first "spillway <version>", the others "name: value"; no newline after the last.
std::string version_report();

}  // namespace spillway::app
