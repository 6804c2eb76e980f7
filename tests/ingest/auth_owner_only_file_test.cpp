// owner_only_file: a secret file readable by group or others is refused, and one that a POSIX ACL opens to
// the reading user only — the shape of a systemd LoadCredential= file — is accepted.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ingest/auth/owner_only_file.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::ingest::auth;

namespace {

struct acl_entry {
  std::uint16_t tag;
  std::uint16_t permissions;
  std::uint32_t id;
};
constexpr std::uint16_t user_obj = 0x01, user = 0x02, group_obj = 0x04, group = 0x08, mask = 0x10, other = 0x20;
constexpr std::uint32_t no_id = 0xffffffff;

void put_le(std::vector<unsigned char>& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

// Writes `text` with `mode`, then the access ACL (as setfacl would). False when the file system has no ACLs.
bool make_file(const std::string& path, mode_t mode, const std::vector<acl_entry>& acl) {
  std::ofstream(path) << "secret-token-value\n";
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  if (acl.empty()) return true;
  std::vector<unsigned char> blob;
  put_le(blob, 2, 4);
  for (const auto& e : acl) {
    put_le(blob, e.tag, 2);
    put_le(blob, e.permissions, 2);
    put_le(blob, e.id, 4);
  }
  if (::setxattr(path.c_str(), "system.posix_acl_access", blob.data(), blob.size(), 0) == 0) return true;
  REQUIRE((errno == ENOTSUP || errno == EOPNOTSUPP));
  return false;
}

owner_only_read read(const std::string& path) {
  std::string content;
  const auto r = read_owner_only_file(path, content);
  if (r == owner_only_read::ok) CHECK(content == "secret-token-value\n");
  return r;
}

}  // namespace

TEST_CASE("owner-only file: mode bits decide when there is no ACL", "[ingest][auth][owner-only]") {
  spillway::testing::temp_dir dir;
  const auto path = dir.str("token");
  CHECK(read(path) == owner_only_read::missing);
  make_file(path, 0600, {});
  CHECK(read(path) == owner_only_read::ok);
  make_file(path, 0640, {});
  CHECK(read(path) == owner_only_read::exposed);
  make_file(path, 0604, {});
  CHECK(read(path) == owner_only_read::exposed);
}

TEST_CASE("owner-only file: an ACL that adds only the reading user is accepted (systemd credentials)",
          "[ingest][auth][owner-only]") {
  spillway::testing::temp_dir dir;
  const auto path = dir.str("x_bearer_token");
  const std::uint32_t self = ::geteuid();
  // systemd: fchmod(0400), then user:<service uid>:r. The mask (r) shows as the group bits: 0440.
  if (!make_file(path, 0400, {{user_obj, 4, no_id}, {user, 4, self}, {group_obj, 0, no_id}, {mask, 4, no_id}, {other, 0, no_id}})) {
    WARN("this file system has no POSIX ACLs; the ACL cases cannot run here");
    return;
  }
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0440);  // what a plain mode check refused
  CHECK(read(path) == owner_only_read::ok);
}

TEST_CASE("owner-only file: an ACL that lets anyone else read is refused", "[ingest][auth][owner-only]") {
  spillway::testing::temp_dir dir;
  const auto path = dir.str("token");
  const std::uint32_t self = ::geteuid();
  const std::uint32_t stranger = self + 4242;
  struct acl_case {
    const char* what;
    std::vector<acl_entry> acl;
    owner_only_read expected;
  };
  const std::vector<acl_case> cases{
      {"another named user", {{user_obj, 6, no_id}, {user, 4, stranger}, {group_obj, 0, no_id}, {mask, 4, no_id}, {other, 0, no_id}},
       owner_only_read::exposed},
      {"the owning group", {{user_obj, 6, no_id}, {user, 4, self}, {group_obj, 4, no_id}, {mask, 4, no_id}, {other, 0, no_id}},
       owner_only_read::exposed},
      {"a named group", {{user_obj, 6, no_id}, {group_obj, 0, no_id}, {group, 4, 4242}, {mask, 4, no_id}, {other, 0, no_id}},
       owner_only_read::exposed},
      {"a stranger whose read the mask removes", {{user_obj, 6, no_id}, {user, 4, stranger}, {group_obj, 0, no_id}, {mask, 0, no_id}, {other, 0, no_id}},
       owner_only_read::ok},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    std::filesystem::remove(path);
    if (!make_file(path, 0600, c.acl)) {
      WARN("this file system has no POSIX ACLs; the ACL cases cannot run here");
      return;
    }
    CHECK(read(path) == c.expected);
  }
}
