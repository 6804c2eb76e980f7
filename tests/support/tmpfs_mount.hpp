#pragma once
// Test support for disk faults: a small tmpfs the test mounts (CI runs as root; elsewhere mounted() is false
// and the test reports SKIP), its free space as Spillway sees it (statvfs f_bavail), and ballast to fill it.
// Test-only; any test thread. The mount lives for the object's scope.
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

namespace spillway::testing {

inline constexpr std::uint64_t mib = 1 << 20;

// A tmpfs of `size` mounted on `dir` for the scope; unmounted (lazily: a child may still hold a file)
// at its end. mounted() is false when the kernel refused (not root, no CAP_SYS_ADMIN, a container).
class tmpfs_mount {
 public:
  tmpfs_mount(const std::string& dir, const std::string& size) : dir_(dir) {
    const std::string options = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~tmpfs_mount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;
  [[nodiscard]] bool mounted() const { return mounted_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

inline std::uint64_t free_bytes(const std::string& path) {
  struct statvfs st {};
  REQUIRE(::statvfs(path.c_str(), &st) == 0);
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

// Writes `bytes` of ballast to `path` (1 MiB at a time; a short write on a full disk ends it).
inline void write_ballast(const std::string& path, std::uint64_t bytes) {
  std::ofstream out(path, std::ios::binary);
  const std::string chunk(mib, 'x');
  for (std::uint64_t left = bytes; left > 0 && out;) {
    const auto n = std::min<std::uint64_t>(left, chunk.size());
    out.write(chunk.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
}

}  // namespace spillway::testing
