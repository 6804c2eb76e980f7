#pragma once
// What every benchmark reports about the machine it ran on (STYLE.md: say which hardware).
#include <fstream>
#include <string>

namespace spillway::bench {

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

}  // namespace spillway::bench
