#pragma once
// auth_error: why a token could not be had, sorted by what the caller does about it — the process exit
// code of the commands (2 configuration, 1 network or unexpected answer: retry, 3 X refused us for good:
// a human must act). The message names the problem and the fix and never holds a secret.
#include <cstdint>
#include <string>

namespace spillway::ingest::auth {

enum class auth_errc : std::uint8_t { config, network, refused };

struct auth_error {
  auth_errc code = auth_errc::network;
  std::string message;
  [[nodiscard]] int exit_code() const noexcept {
    switch (code) {
      case auth_errc::config: return 2;
      case auth_errc::refused: return 3;
      case auth_errc::network: break;
    }
    return 1;
  }
};

}  // namespace spillway::ingest::auth
