#include "ingest/auth/user_token_source.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "ingest/auth/atomic_file.hpp"
#include "ingest/auth/owner_only_file.hpp"
#include "ingest/xapi/endpoints.hpp"

namespace spillway::ingest::auth {
namespace {

// Holds an exclusive flock on `<store>.lock` for one read-refresh-write cycle. The lock file is separate
// from the store because the store is replaced by rename (a lock on the old inode would not exclude a
// process that opens the new one).
class store_lock {
 public:
  // Blocks until the lock is held; errc::config naming the lock file when it cannot be opened or locked.
  static common::result<store_lock> acquire(const std::string& store) {
    const std::string path = store + ".lock";
    store_lock lock(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (lock.fd_ < 0)
      return common::error(common::errc::config, "cannot open the lock file '" + path + "': " + std::strerror(errno) +
                                                     "; the directory of auth.user_token_file must be writable by this user");
    while (::flock(lock.fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      return common::error(common::errc::config, "cannot lock '" + path + "': " + std::strerror(errno));
    }
    return lock;
  }
  store_lock(store_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  store_lock& operator=(store_lock&&) = delete;
  store_lock(const store_lock&) = delete;
  store_lock& operator=(const store_lock&) = delete;
  ~store_lock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }

 private:
  explicit store_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::string_view(v) == "1";
}

common::error config_error(std::string message) { return {common::errc::config, std::move(message)}; }
common::error refused(std::string message) { return {common::errc::refused, std::move(message)}; }

std::string store_fix(const std::string& path) {
  return "re-authorize the app for the user (OAuth 2.0 authorization code flow with PKCE, scope "
         "offline.access) and write the new tokens to " + path +
         " as {\"access_token\":\"...\",\"refresh_token\":\"...\",\"expires_at\":<Unix seconds>} with mode 0600 "
         "(then check with `spillway auth refresh --config FILE`)";
}

}  // namespace

user_token_source::user_token_source(const config::auth_settings& auth, http_client& client, rate_limit_tracker& limits)
    : path_(auth.user_token_file),
      client_id_(auth.user_client_id),
      client_secret_env_(auth.user_client_secret_env),
      margin_s_(std::chrono::duration_cast<std::chrono::seconds>(auth.user_refresh_margin).count()),
      client_(client),
      limits_(limits) {}

void user_token_source::finish_interrupted_write(stale_tmp_outcome* outcome) const {
  const std::string tmp = tmp_path_for(path_);
  std::string text;
  const auto read = read_owner_only_file(tmp, text);
  if (read == owner_only_read::missing) return;
  // The tmp is written only after X answered and is fsync'ed before the rename, so one that parses
  // completely holds the newest tokens: the refresh token in `path_` was spent when X answered. Finish
  // the rename instead of throwing them away. Anything else is a write cut short: remove it.
  const bool complete = read == owner_only_read::ok && parse_user_token_file(text).has_value();
  if (complete) {
    const auto committed = commit_tmp(path_);
    if (committed) {
      spdlog::warn("finished a refresh that was interrupted before its rename: {} now holds the tokens X issued then",
                   path_);
      if (outcome != nullptr) *outcome = stale_tmp_outcome::adopted;
      return;
    }
    spdlog::warn("could not finish an interrupted refresh: {}", committed.error().message);
  }
  if (remove_stale_tmp(path_)) {
    spdlog::warn("removed {} left by a refresh that did not finish writing; {} still holds the tokens from before it",
                 tmp, path_);
    if (outcome != nullptr) *outcome = stale_tmp_outcome::removed;
  }
}

common::result<user_tokens> user_token_source::load(stale_tmp_outcome* stale_tmp) const {
  // Only ever called under the lock: a tmp seen here belongs to a writer that died before its rename.
  finish_interrupted_write(stale_tmp);
  std::string text;
  switch (read_owner_only_file(path_, text)) {
    case owner_only_read::ok:
      break;
    case owner_only_read::missing:
      return config_error("auth.user_token_file '" + path_ + "' does not exist; " + store_fix(path_));
    case owner_only_read::exposed:
      return config_error("auth.user_token_file '" + path_ + "' is readable by group or others; run: chmod 600 " + path_);
    case owner_only_read::unreadable:
      return config_error("cannot read auth.user_token_file '" + path_ + "'; check that this user owns it");
  }
  auto tokens = parse_user_token_file(text);
  if (!tokens)
    return config_error("auth.user_token_file '" + path_ + "' " + tokens.error().message + "; " + store_fix(path_));
  return tokens;
}

common::result<user_tokens> user_token_source::exchange(const user_tokens& current, std::int64_t now) {
  std::vector<std::pair<std::string, std::string>> form{{"grant_type", "refresh_token"},
                                                        {"refresh_token", current.refresh_token}};
  http_request_extra extra{"", kFormContentType, {}};
  const char* secret = client_secret_env_.empty() ? nullptr : std::getenv(client_secret_env_.c_str());
  if (!client_secret_env_.empty() && (secret == nullptr || *secret == '\0'))
    return config_error("auth.user_client_secret_env names " + client_secret_env_ +
                        ", which is not set; export the app's OAuth 2.0 client secret in it, or clear "
                        "auth.user_client_secret_env for a public client");
  // A confidential client authenticates with Basic; a public one names itself in the body (X's docs).
  if (secret != nullptr) extra.authorization = basic_authorization(client_id_, secret);
  else form.emplace_back("client_id", client_id_);
  const std::string call = paths::call("POST", paths::user_token);
  const auto answer = client_.send({"POST", std::string(paths::user_token), form_body(form), "", false}, extra);
  if (!answer) return common::error(common::errc::network, "refreshing the user token: " + answer.error().message);
  const http_response& r = *answer;
  limits_.record(call, r.rate);
  if (r.status == 200) {
    auto fresh = parse_user_tokens(r.body, now);
    // X answered 200, so the old refresh token may be spent already: say so rather than "retry".
    if (!fresh)
      return refused(call + " answered 200 without access_token and refresh_token; the stored refresh token may "
                            "be spent. Fix: check stream.base_url, then " + store_fix(path_));
    return std::move(*fresh);
  }
  const std::string said = token_error_text(r.body);
  const std::string head = call + " answered HTTP " + std::to_string(r.status) +
                           (said.empty() ? std::string() : " (" + said + ")");
  switch (classify_token_error(r.status, r.body)) {
    case token_refusal::refresh_token_used:
      return refused(head + ": the refresh token in " + path_ + " was already used or is no longer valid. X rotates "
                     "refresh tokens and each works once; this happens when a refresh was interrupted before its new "
                     "token was saved, when a copy of this file was refreshed elsewhere, or when the user revoked the "
                     "app. Fix: " + store_fix(path_));
    case token_refusal::bad_client:
    case token_refusal::bad_app_credentials:
      return refused(head + ": X does not accept the client. Fix: set auth.user_client_id to the app's OAuth 2.0 "
                            "Client ID (developer portal, Keys and tokens), and auth.user_client_secret_env only for "
                            "a confidential client");
    case token_refusal::other:
      break;
  }
  return common::error(r.status >= 500 || r.status == 429 ? common::errc::network : common::errc::refused,
                       head + ". Fix: retry later; if it persists, check stream.base_url and the app's OAuth 2.0 settings");
}

common::result<user_tokens> user_token_source::cycle(std::int64_t now, bool force) {
  if (!configured())
    return config_error("no user token: auth.user_token_file is not set; set it to the token store file "
                        "(JSON {access_token, refresh_token, expires_at}, mode 0600)");
  auto lock = store_lock::acquire(path_);
  if (!lock) return lock.error();
  // Read under the lock: another process may have rotated the tokens a moment ago.
  auto current = load();
  if (!current) return current;
  if (!force && !current->access_token.empty() && current->expires_at - margin_s_ > now) return current;
  auto fresh = exchange(*current, now);
  if (!fresh) return fresh;
  if (env_flag("SPILLWAY_TEST_CRASH_AFTER_REFRESH_RESPONSE")) ::raise(SIGKILL);
  if (auto saved = write_file_atomically(path_, serialize_user_tokens(*fresh), 0600); !saved) {
    // The old refresh token is spent and the new one is only in memory: the next start cannot refresh.
    return refused("the user token was refreshed but could not be saved: " + saved.error().message +
                   ". The refresh token in " + path_ + " is spent now. Fix: free the disk / fix the permissions, "
                   "then " + store_fix(path_));
  }
  spdlog::info("user token refreshed; the rotated tokens are saved in {}; the new access token expires {}", path_,
               describe_reset(fresh->expires_at, now));
  return fresh;
}

common::result<user_tokens> user_token_source::refresh(std::int64_t now) { return cycle(now, true); }

common::result<std::string> user_token_source::access_token(std::int64_t now) {
  auto t = cycle(now, false);
  if (!t) return t.error();
  return std::move(t->access_token);
}

user_token_state user_token_source::inspect() {
  user_token_state s;
  if (!configured()) {
    s.problem = "auth.user_token_file is not set";
    return s;
  }
  auto lock = store_lock::acquire(path_);
  if (!lock) {
    s.problem = lock.error().message;
    return s;
  }
  auto t = load(&s.stale_tmp);
  if (!t) {
    s.problem = t.error().message;
    return s;
  }
  s.readable = true;
  s.expires_at = t->expires_at;
  s.has_access_token = !t->access_token.empty();
  return s;
}

}  // namespace spillway::ingest::auth
