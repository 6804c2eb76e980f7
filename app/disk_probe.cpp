#include "app/disk_probe.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

namespace spillway::app {

common::result<disk_space> probe_disk(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) {
    return common::error(common::errc::storage, "cannot measure the free space of " + path + ": " +
                                                    std::strerror(errno) +
                                                    "; check that sinks.rocksdb.path exists and is readable");
  }
  const std::uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  return disk_space{static_cast<std::uint64_t>(st.f_bavail) * unit, static_cast<std::uint64_t>(st.f_blocks) * unit};
}

}  // namespace spillway::app
