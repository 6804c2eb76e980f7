// Property: the config loader (config/loader) never puts a secret into an error message, whatever the TOML
// text around it. A known secret (shaped like an app-only Bearer token) is planted where operators put
// tokens by mistake or on purpose:
//   - in the environment: X_BEARER_TOKEN (the variable auth.bearer_token_env names by default), Kafka
//     secret properties (SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD / __SSL_KEY_PASSWORD), the override
//     of the variable's *name* (SPILLWAY_AUTH__BEARER_TOKEN_ENV = the token itself), an unknown override;
//   - in the file, ahead of the fuzzed text: as the value of auth.bearer_token_env / auth.app_secret_env
//     (the token where its variable's name goes), of a credential-named key (auth.bearer_token) and of a
//     secret Kafka property.
// The first input byte chooses which of these are planted; the rest is the TOML text (skipped if it
// contains the secret itself: then the text, not a plant, would be quoting it).
// Also: the loader reports problems only as config_error (nothing else escapes), with at least one problem,
// and what() is exactly the problem lines joined.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/diagnostics.hpp"
#include "config/env_lookup.hpp"
#include "config/loader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace spillway::config;

namespace {

constexpr std::string_view secret = "AAAAAAAAAAAAAAAAAAAAAFuzzS3cr3t%2BPlanted%3DxK9qZ7wLmT";

env_lookup environment(std::uint8_t mask) {
  env_lookup::map_type vars{{"X_BEARER_TOKEN", std::string(secret)}};
  const std::string s(secret);
  if (mask & 0x10) vars.emplace("SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD", s);
  if (mask & 0x20) vars.emplace("SPILLWAY_AUTH__BEARER_TOKEN_ENV", s);
  if (mask & 0x40) vars.emplace("SPILLWAY_AUTH__BEARER__TOKEN", s);
  if (mask & 0x80) vars.emplace("SPILLWAY_SINKS_KAFKA_PROPERTIES__SSL_KEY_PASSWORD", s);
  return env_lookup(std::move(vars));
}

std::string planted_lines(std::uint8_t mask) {
  const std::string quoted = "\"" + std::string(secret) + "\"\n";
  std::string out;
  if (mask & 0x01) out += "auth.bearer_token_env = " + quoted;
  if (mask & 0x02) out += "auth.bearer_token = " + quoted;
  if (mask & 0x04) out += "sinks.kafka.properties.\"sasl.password\" = " + quoted;
  if (mask & 0x08) out += "auth.app_secret_env = " + quoted;
  return out;
}

// Not asserted: a TOML syntax error quotes the bytes around the error as toml++ describes them, control
// bytes included (the operator's own file, on the operator's own terminal).
void check_problem_line(std::string_view line) { FUZZ_CHECK(line.find(secret) == std::string_view::npos, line); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mask = data[0];
  const std::string_view fuzzed(reinterpret_cast<const char*>(data + 1), size - 1);
  if (fuzzed.find(secret) != std::string_view::npos) return 0;
  const std::string text = planted_lines(mask) + std::string(fuzzed);
  const env_lookup env = environment(mask);
  try {
    const settings loaded = load_settings_from_string(text, "fuzz.toml", env);
    static_cast<void>(loaded);
  } catch (const config_error& e) {
    FUZZ_CHECK(!e.problems.empty(), e.what());
    std::string joined;
    for (const auto& line : e.problems) {
      check_problem_line(line);
      joined += (joined.empty() ? "" : "\n") + line;
    }
    FUZZ_CHECK(joined == e.what(), e.what());
  }
  return 0;
}
