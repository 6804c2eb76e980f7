#pragma once
// Text renderings of the option table and of loaded settings: the effective config (for
// `spillway config check`), `spillway config --help`, and the README's option reference.
// Pure functions; any thread.
#include <string>

#include "config/settings.hpp"

namespace spillway::config {

inline constexpr std::string_view redacted = "<redacted>";

// The settings as TOML that loads back to the same settings; secrets are written as "<redacted>".
std::string render_effective(const settings& s);
std::string render_help();
// A Markdown table with one row per option.
std::string render_markdown_reference();

}  // namespace spillway::config
