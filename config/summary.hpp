#pragma once
// What a loaded configuration will do, in a few lines: the end of `spillway config check`. The stream URL,
// where the token comes from (never the token), which sinks are active and where data goes. Every line is
// a TOML comment, so `config check` output as a whole still loads back as a config file.
// Pure function; any thread.
#include <string>
#include <string_view>

#include "config/settings.hpp"

namespace spillway::config {

// `stream_target`: the request target the stream connects to ("/2/tweets/search/stream?tweet.fields=..."),
// built by the caller with ingest's URL builder (config/ knows no X API paths).
std::string render_summary(const settings& s, std::string_view stream_target);

}  // namespace spillway::config
