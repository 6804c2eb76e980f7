#pragma once
// owner_only_file: reads a small file that holds a secret (the Bearer token file, the user token store
// and its tmp), refusing one that group or others can read — a token that others can read must be
// treated as leaked, so the caller says "chmod 600" instead of using it. A POSIX ACL that grants read
// only to the reading user is accepted: that is how systemd hands over a LoadCredential= file (root's
// file, mode 0400, plus "user:<service user>:r", which stat shows as 0440).
//
// Free function; any thread; no state.
#include <cstdint>
#include <string>

namespace spillway::ingest::auth {

enum class owner_only_read : std::uint8_t {
  ok,          // `content` holds the whole file
  missing,     // no such file
  exposed,     // readable by group or others: not read
  unreadable,  // exists, but this user cannot read it
};

[[nodiscard]] owner_only_read read_owner_only_file(const std::string& path, std::string& content);

}  // namespace spillway::ingest::auth
