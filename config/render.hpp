#pragma once
// Text renderings of the option table and of loaded settings: the effective config (for
// `spillway config check`), `spillway config --help`, and the README's option reference.
// Pure functions; any thread.
#include <string>
#include <string_view>

#include "config/settings.hpp"

namespace spillway::config {

inline constexpr std::string_view redacted = "<redacted>";

// The settings as TOML that loads back to the same settings; secrets are written as "<redacted>".
std::string render_effective(const settings& s);
std::string render_help();
// A Markdown table with one row per option.
std::string render_markdown_reference();
// A commented TOML config file listing every option under its table, each with its help text, accepted
// values and environment variable: an option whose value in `s` differs from what an empty file loads is
// written as set; every other one as a commented-out line showing its default. Generated from the option
// table (the packaged /etc/spillway/spillway.toml is made this way), so it never drifts from it.
// `intro`: comment lines for the top of the file. Secret Kafka properties are never written, only named.
std::string render_commented(const settings& s, std::string_view intro);
// `spillway config example [FILE]`: render_commented of FILE's settings (only the file: SPILLWAY_* variables
// are not applied), introduced by FILE's leading comment lines; with no FILE, of the defaults.
// Throws config_error when FILE does not load.
std::string render_example(const std::string& overlay_file);

}  // namespace spillway::config
