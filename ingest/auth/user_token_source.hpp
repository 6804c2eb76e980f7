#pragma once
// user_token_source: the OAuth 2.0 user-context access token (for /2/users/me and other user-context
// calls), kept in the token store file `auth.user_token_file` — JSON {access_token, refresh_token,
// expires_at} — and refreshed before it expires (auth.user_refresh_margin) with POST /2/oauth2/token,
// grant_type=refresh_token.
//
// X rotates refresh tokens: the one sent is void as soon as X answers, so the answer must be on disk
// before anything else happens. The order is therefore: lock `<file>.lock` (flock; another spillway
// process refreshing at the same time would otherwise spend the same refresh token twice), re-read the
// file, refresh, write the new tokens atomically (atomic_file: tmp + fsync + rename + dir fsync, mode
// 0600), unlock, and only then hand out the new access token. A process that dies in between leaves the
// complete old file, and its refresh token is then spent (the message says so and how to fix it) — unless
// it died after the tmp was complete: the next start then finishes the rename (the tmp holds the newest
// tokens); a tmp cut short is removed.
//
// Owns: nothing but settings copies. Thread: the caller's (blocking). Must outlive it: the http_client
// and the rate_limit_tracker. Test hook: SPILLWAY_TEST_CRASH_AFTER_REFRESH_RESPONSE=1 kills the process
// (SIGKILL) after X's 200 with the new tokens and before they are persisted.
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "config/settings.hpp"
#include "ingest/auth/token_endpoint.hpp"
#include "ingest/xapi/http_client.hpp"
#include "ingest/xapi/rate_limits.hpp"

namespace spillway::ingest::auth {

// What happened to a `<file>.tmp` left by an interrupted refresh.
enum class stale_tmp_outcome { none, adopted, removed };

// What `spillway auth status` shows about the store; never a token.
struct user_token_state {
  bool readable = false;
  std::string problem;  // why not, with the fix
  std::int64_t expires_at = 0;
  bool has_access_token = false;
  stale_tmp_outcome stale_tmp = stale_tmp_outcome::none;
};

class user_token_source {
 public:
  user_token_source(const config::auth_settings& auth, http_client& client, rate_limit_tracker& limits);

  [[nodiscard]] bool configured() const { return !path_.empty(); }
  [[nodiscard]] const std::string& path() const { return path_; }

  // The access token to use at `now`: the stored one, or a new one when the stored one expires within
  // the margin (persisted before it is returned). Errors: errc::config (the store or the client settings
  // need fixing), errc::network (X unreachable, 5xx, 429), errc::refused (X refused the refresh token or
  // the client, or the rotated tokens could not be saved: a human must act); never a token in a message.
  [[nodiscard]] common::result<std::string> access_token(std::int64_t now_unix_s);
  // Refreshes whatever the expiry; returns the new tokens (the caller must not print them).
  [[nodiscard]] common::result<user_tokens> refresh(std::int64_t now_unix_s);
  // Reads the store under the lock (finishing or removing a stale tmp) without calling X.
  [[nodiscard]] user_token_state inspect();

 private:
  common::result<user_tokens> load(stale_tmp_outcome* stale_tmp = nullptr) const;
  // A tmp left by a writer that died before its rename: adopted when complete, else removed.
  void finish_interrupted_write(stale_tmp_outcome* outcome) const;
  // Lock, read, refresh when `force` or due, persist, unlock.
  common::result<user_tokens> cycle(std::int64_t now_unix_s, bool force);
  common::result<user_tokens> exchange(const user_tokens& current, std::int64_t now_unix_s);

  std::string path_;
  std::string client_id_;
  std::string client_secret_env_;
  std::int64_t margin_s_;
  http_client& client_;
  rate_limit_tracker& limits_;
};

}  // namespace spillway::ingest::auth
