#pragma once
// disk_probe: how much room the database's filesystem has, from statvfs(2) — the space an unprivileged
// writer may use (f_bavail), which is what RocksDB running as the service user can fill.
// Stateless; any thread; one system call per probe.
#include <cstdint>
#include <string>

#include "common/error.hpp"

namespace spillway::app {

struct disk_space {
  std::uint64_t free_bytes = 0;   // available to the service's user: f_bavail * f_frsize
  std::uint64_t total_bytes = 0;  // the filesystem's size: f_blocks * f_frsize
};

// errc::storage naming the path, the system's reason and the fix when statvfs fails.
[[nodiscard]] common::result<disk_space> probe_disk(const std::string& path);

}  // namespace spillway::app
