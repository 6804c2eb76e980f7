#include "ingest/rules_auth.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace spillway::ingest {

std::optional<std::string> load_control_bearer(const config::auth_settings& auth, std::string& error) {
  if (!auth.bearer_token_file.empty()) {
    const std::string& path = auth.bearer_token_file;
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) {
      error = "auth.bearer_token_file '" + path + "' does not exist; create it with the app's Bearer token (mode 0600)";
      return std::nullopt;
    }
    if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
      error = "auth.bearer_token_file '" + path + "' is readable by group or others; run: chmod 600 " + path;
      return std::nullopt;
    }
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) {
      error = "auth.bearer_token_file '" + path + "' is empty; put the app's Bearer token on its first line";
      return std::nullopt;
    }
    return token;
  }
  const char* value = std::getenv(auth.bearer_token_env.c_str());
  if (value == nullptr || *value == '\0') {
    error = "no Bearer token: the environment variable " + auth.bearer_token_env +
            " is not set; export it with your app's Bearer token from the X developer portal "
            "(or set auth.bearer_token_file)";
    return std::nullopt;
  }
  return std::string(value);
}

}  // namespace spillway::ingest
