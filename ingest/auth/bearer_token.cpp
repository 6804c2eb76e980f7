#include "ingest/auth/bearer_token.hpp"

#include <cstdlib>

#include "ingest/auth/owner_only_file.hpp"

namespace spillway::ingest {

namespace {
common::error unusable(std::string message) { return {common::errc::config, std::move(message)}; }
}  // namespace

common::result<std::string> load_control_bearer(const config::auth_settings& auth) {
  if (!auth.bearer_token_file.empty()) {
    const std::string& path = auth.bearer_token_file;
    std::string content;
    switch (auth::read_owner_only_file(path, content)) {
      case auth::owner_only_read::missing:
        return unusable("auth.bearer_token_file '" + path + "' does not exist; create it with the app's Bearer token (mode 0600)");
      case auth::owner_only_read::exposed:
        return unusable("auth.bearer_token_file '" + path + "' is readable by group or others; run: chmod 600 " + path);
      case auth::owner_only_read::ok:
      case auth::owner_only_read::unreadable:  // nothing read: reported as empty below
        break;
    }
    std::string token = content.substr(0, content.find('\n'));
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty())
      return unusable("auth.bearer_token_file '" + path + "' is empty; put the app's Bearer token on its first line");
    return token;
  }
  const char* value = std::getenv(auth.bearer_token_env.c_str());
  if (value == nullptr || *value == '\0')
    return unusable("no Bearer token: the environment variable " + auth.bearer_token_env +
                   " is not set; export it with your app's Bearer token from the X developer portal "
                   "(or set auth.bearer_token_file)");
  return std::string(value);
}

}  // namespace spillway::ingest
