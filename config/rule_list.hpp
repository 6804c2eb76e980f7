#pragma once
// [[rules]]: the filtered-stream rules the operator wants live. Loads and checks them (value
// required, 1-2048 characters, unique; tag optional; no other keys). Pure; runs on the loading thread.
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/diagnostics.hpp"
#include "config/settings.hpp"

namespace spillway::config {

// X accepts rules of up to 1,024 characters on self-serve access and 2,048 on Enterprise; the
// server has the final word, so the config only rejects what no access level accepts.
inline constexpr std::size_t max_rule_length = 2048;

std::vector<rule_spec> load_rules(const toml::node& node, std::string_view source, problem_list& problems);

}  // namespace spillway::config
