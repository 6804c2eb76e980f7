#include "ingest/auth/owner_only_file.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <fstream>
#include <sstream>

namespace spillway::ingest::auth {
namespace {

// The access ACL as Linux stores it in the "system.posix_acl_access" attribute (linux/posix_acl_xattr.h):
// a little-endian u32 version (2), then 8-byte entries {u16 tag, u16 permissions, u32 uid/gid}.
constexpr std::uint32_t acl_version = 2;
constexpr std::uint16_t acl_user_obj = 0x01, acl_user = 0x02, acl_group_obj = 0x04, acl_group = 0x08,
                        acl_mask = 0x10, acl_other = 0x20;
constexpr std::uint16_t acl_read = 0x04;

std::uint32_t little_endian(const unsigned char* p, std::size_t bytes) {
  std::uint32_t v = 0;
  for (std::size_t i = bytes; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

enum class acl_state : std::uint8_t { none, private_to_owner, exposed };

// With an access ACL the group bits of st_mode show the ACL mask, not the owning group's permission, so
// the mode alone cannot say who may read. systemd's credential files (LoadCredential=) are exactly that
// case: owned by root, mode 0400, plus "user:<service user>:r" — shown as 0440 while only root and the
// service user can read them. Read access for anyone but the owner and the reading user is exposure.
acl_state check_access_acl(const std::string& path, uid_t owner) {
  std::array<unsigned char, 4 + 8 * 64> buffer{};
  const ssize_t size = ::getxattr(path.c_str(), "system.posix_acl_access", buffer.data(), buffer.size());
  if (size < 0) return errno == ERANGE ? acl_state::exposed : acl_state::none;  // ERANGE: > 64 entries
  const auto n = static_cast<std::size_t>(size);
  if (n < 4 || (n - 4) % 8 != 0 || little_endian(buffer.data(), 4) != acl_version) return acl_state::exposed;
  std::uint16_t mask = 0x07;  // no mask entry: named entries count as they are
  for (std::size_t at = 4; at < n; at += 8) {
    if (little_endian(buffer.data() + at, 2) == acl_mask) mask = static_cast<std::uint16_t>(little_endian(buffer.data() + at + 2, 2));
  }
  const uid_t self = ::geteuid();
  for (std::size_t at = 4; at < n; at += 8) {
    const auto tag = static_cast<std::uint16_t>(little_endian(buffer.data() + at, 2));
    const auto permissions = static_cast<std::uint16_t>(little_endian(buffer.data() + at + 2, 2));
    const auto id = static_cast<uid_t>(little_endian(buffer.data() + at + 4, 4));
    const bool reads = (permissions & acl_read) != 0;
    switch (tag) {
      case acl_user_obj:
      case acl_mask: break;
      case acl_user:
        if (reads && (mask & acl_read) != 0 && id != owner && id != self) return acl_state::exposed;
        break;
      case acl_group_obj:
      case acl_group:
        if (reads && (mask & acl_read) != 0) return acl_state::exposed;
        break;
      case acl_other:
        if (reads) return acl_state::exposed;
        break;
      default: return acl_state::exposed;  // an entry type this check does not know: do not guess
    }
  }
  return acl_state::private_to_owner;
}

}  // namespace

owner_only_read read_owner_only_file(const std::string& path, std::string& content) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return owner_only_read::missing;
  if ((st.st_mode & S_IROTH) != 0) return owner_only_read::exposed;
  if ((st.st_mode & S_IRGRP) != 0 && check_access_acl(path, st.st_uid) != acl_state::private_to_owner) {
    return owner_only_read::exposed;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return owner_only_read::unreadable;
  content = text.str();
  return owner_only_read::ok;
}

}  // namespace spillway::ingest::auth
