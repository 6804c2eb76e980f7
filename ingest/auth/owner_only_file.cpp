#include "ingest/auth/owner_only_file.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace spillway::ingest::auth {

owner_only_read read_owner_only_file(const std::string& path, std::string& content) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return owner_only_read::missing;
  if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) return owner_only_read::exposed;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return owner_only_read::unreadable;
  content = text.str();
  return owner_only_read::ok;
}

}  // namespace spillway::ingest::auth
