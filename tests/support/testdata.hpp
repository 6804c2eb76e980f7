#pragma once
// Helpers for tests: the real X payloads (../shared/testdata/xapi, or the copy in tests/testdata/xapi) as single lines.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace spillway::testing {

inline std::filesystem::path testdata_dir() { return SPILLWAY_TESTDATA_DIR; }

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A pretty-printed JSON document folded onto one line, as the stream would send it: CR/LF outside strings
// removed (JSON strings never contain raw CR or LF, so every newline in the file is whitespace).
inline std::string as_stream_line(std::string text) {
  text.erase(std::remove_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }), text.end());
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  return text;
}

// Every stream_*.json payload, one line each, in file-name order.
inline std::vector<std::pair<std::string, std::string>> stream_payloads() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : std::filesystem::directory_iterator(testdata_dir())) {
    const auto name = e.path().filename().string();
    if (name.rfind("stream_", 0) == 0 && e.path().extension() == ".json") {
      out.emplace_back(name, as_stream_line(read_file(e.path())));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace spillway::testing
