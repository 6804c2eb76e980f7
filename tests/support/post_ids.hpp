#pragma once
// Test support: the data.id of each Post line in a text of JSON lines (the emulator's --dump, the output of
// `spillway export`), in order; lines that do not parse or have no data.id are skipped, and so is the
// emulator's malformed-fault line (id "0000000000000000000").
#include <rapidjson/document.h>

#include <sstream>
#include <string>
#include <vector>

namespace spillway::testing {

inline std::vector<std::string> post_ids(const std::string& text) {
  std::vector<std::string> ids;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    rapidjson::Document d;
    d.Parse(line.data(), line.size());
    if (d.HasParseError() || !d.IsObject()) continue;
    const auto data = d.FindMember("data");
    if (data == d.MemberEnd() || !data->value.IsObject()) continue;
    const auto id = data->value.FindMember("id");
    if (id == data->value.MemberEnd() || !id->value.IsString()) continue;
    if (std::string(id->value.GetString()) == "0000000000000000000") continue;  // the malformed fault's line
    ids.emplace_back(id->value.GetString());
  }
  return ids;
}

}  // namespace spillway::testing
