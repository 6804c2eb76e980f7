#pragma once
// Loading the configuration: TOML file -> environment overrides -> validation -> settings. Every
// problem found is collected and thrown together as one config_error (start-up only; never called
// on a hot path). See README.md for the environment variable mapping.
#include <filesystem>
#include <string_view>

#include "config/diagnostics.hpp"
#include "config/env_lookup.hpp"
#include "config/render.hpp"
#include "config/settings.hpp"

namespace spillway::config {

// The file with the process's SPILLWAY_* environment variables applied on top.
settings load_settings(const std::filesystem::path& file);
settings load_settings(const std::filesystem::path& file, const env_lookup& env);
// `source_name` is what error messages call the text (normally its path).
settings load_settings_from_string(std::string_view toml_text, std::string_view source_name, const env_lookup& env);

}  // namespace spillway::config
