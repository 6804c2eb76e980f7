#pragma once
// Recovery on the filtered stream (Enterprise): `start_time`/`end_time` on GET /2/tweets/search/stream
// re-stream the Posts matched in that window, up to 24 hours back, oldest first, then the body ends
// (XAPI.md "Healing longer gaps"). This reads and checks the two parameters; the session streams the
// window (stream_session_recovery.cpp). X documents neither whether a recovery connection counts
// toward the connection limit nor a completion marker: the emulator counts it (the conservative
// reading — a client must plan for it) and ends the chunked body cleanly when the window is sent.
// Pure; any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace spillway::emu {

struct RecoveryWindow {
  std::int64_t start_ms = 0;  // inclusive, on the Posts' created_at
  std::int64_t end_ms = 0;    // exclusive
};

struct RecoveryRefusal {
  int status;        // 400 (invalid parameters) or 403 (the access level has no Recovery)
  std::string body;  // the complete problem document
};

// nullopt (inside the variant): no start_time/end_time, a live connection. end_time defaults to now.
std::variant<std::optional<RecoveryWindow>, RecoveryRefusal> read_recovery_window(std::string_view query,
                                                                                    bool recovery_allowed,
                                                                                    std::int64_t now_unix_ms);

}  // namespace spillway::emu
