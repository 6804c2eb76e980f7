#pragma once
// TokenEndpoints: the emulator's two OAuth 2.0 token endpoints and the user tokens they issue.
//  - POST /oauth2/token, grant_type=client_credentials with Basic base64(key:secret): the app-only
//    Bearer (--app-key/--app-secret).
//  - POST /2/oauth2/token, grant_type=refresh_token: rotates the one valid refresh token (X's
//    refresh tokens are single-use: the one spent is dead at once) and issues a new access token,
//    which supersedes the previous one and expires after --user-token-ttl.
// classify() tells /2/users/me whether a Bearer is the current user token, a stale one (expired or
// superseded: 401) or something else (an app-only token: 403).
// Owns the token state and the --user-refresh-token-file; used on the emulator's io thread.
// Time is passed in (monotonic ms) so tests need no sleeping.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "bench/emu/emu_config.hpp"

namespace spillway::emu {

class TokenEndpoints {
 public:
  // Throws std::runtime_error naming the fix for a half-given flag pair or an unwritable token file.
  explicit TokenEndpoints(const EmuConfig& cfg);

  struct Reply {
    int status;
    std::string_view canned;  // an X body, or empty when `body` holds a generated one
    std::string body;
    std::string_view text() const { return canned.empty() ? std::string_view(body) : canned; }
  };

  bool app_enabled() const { return !app_key_.empty(); }
  bool user_enabled() const { return !client_id_.empty(); }

  // authorization: the request's Authorization header; body: the form-encoded request body.
  Reply client_credentials(std::string_view authorization, std::string_view body) const;
  Reply refresh(std::string_view authorization, std::string_view body, std::int64_t now_ms);

  enum class Kind { user_current, user_stale, other };
  Kind classify(std::string_view authorization, std::int64_t now_ms) const;

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const {
      if (f) std::fclose(f);
    }
  };

  std::string app_key_, app_secret_, app_bearer_;
  std::string client_id_;
  std::string refresh_token_;  // the one refresh token that works now
  std::string access_token_;   // the current user access token ("" before the first refresh)
  std::int64_t access_expires_ms_ = 0;
  std::int64_t ttl_s_;
  std::unordered_set<std::string> issued_;  // every access token handed out: stale ones get 401
  std::unique_ptr<std::FILE, FileCloser> refresh_file_;
};

}  // namespace spillway::emu
