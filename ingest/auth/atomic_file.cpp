#include "ingest/auth/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace spillway::ingest::auth {
namespace {

constexpr const char* fix =
    "; check that the directory exists and is writable by this user and the disk is not full";

// errno as the system says it, with the step, the path and the fix.
common::error failed(const std::string& step, const std::string& path, std::string_view note = {}) {
  return {common::errc::storage, step + " '" + path + "' failed: " + std::strerror(errno) + std::string(note) + fix};
}

// Closes the descriptor on every path out of write_file_atomically.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool test_crash_requested() {
  const char* v = std::getenv("SPILLWAY_TEST_CRASH_BEFORE_RENAME");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace

std::string tmp_path_for(const std::string& path) { return path + ".tmp"; }

common::result<void> write_file_atomically(const std::string& path, std::string_view content, mode_t mode) {
  const std::string tmp = tmp_path_for(path);
  {
    fd_guard f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)};
    if (f.fd < 0) return failed("creating", tmp);
    // O_CREAT's mode is filtered by the umask and ignored for an existing file: set it exactly.
    if (::fchmod(f.fd, mode) != 0 || !write_all(f.fd, content) || ::fsync(f.fd) != 0) {
      auto error = failed("writing", tmp);
      ::unlink(tmp.c_str());
      return error;
    }
  }
  if (test_crash_requested()) ::raise(SIGKILL);
  return commit_tmp(path);
}

common::result<void> commit_tmp(const std::string& path) {
  const std::string tmp = tmp_path_for(path);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto error = failed("renaming " + tmp + " to", path);
    ::unlink(tmp.c_str());
    return error;
  }
  // The rename lives in the directory: without this fsync a power loss could bring back the old file.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || ::fsync(d.fd) != 0)
    return failed("syncing the directory", dir, " (the new file is in place but may not survive a power loss)");
  return {};
}

bool remove_stale_tmp(const std::string& path) {
  return ::unlink(tmp_path_for(path).c_str()) == 0;
}

}  // namespace spillway::ingest::auth
