// atomic_file: the token store is replaced whole or not at all — mode 0600 whatever the umask, the
// old content intact when the writer is killed before its rename, and the stale tmp removable.
#include <catch2/catch.hpp>

#include "tests/ingest/result_printing.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "ingest/auth/atomic_file.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::ingest::auth;
using spillway::testing::slurp;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("atomic file: writes, replaces, and sets the mode exactly", "[ingest][auth]") {
  spillway::testing::temp_dir dir{"spillway-atomic"};
  const auto path = dir.str("tokens.json");
  const mode_t old_umask = ::umask(0);  // a permissive umask must not widen the mode
  REQUIRE(write_file_atomically(path, "first\n", 0600));
  ::umask(old_umask);
  CHECK(slurp(path) == "first\n");
  CHECK(mode_of(path) == 0600);
  std::filesystem::permissions(path, std::filesystem::perms(0644));
  REQUIRE(write_file_atomically(path, "second", 0600));
  CHECK(slurp(path) == "second");
  CHECK(mode_of(path) == 0600);  // the new inode carries the mode, not the old file's
  CHECK_FALSE(std::filesystem::exists(tmp_path_for(path)));
  CHECK_FALSE(remove_stale_tmp(path));

  const auto failed = write_file_atomically(dir.str("no-such-dir/tokens.json"), "x", 0600);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().is(spillway::common::errc::storage));
  CHECK(failed.error().message.find("no-such-dir") != std::string::npos);
  CHECK(failed.error().message.find("writable") != std::string::npos);
}

TEST_CASE("atomic file: killed before the rename, the old content stays whole", "[ingest][auth]") {
  spillway::testing::temp_dir dir{"spillway-atomic-crash"};
  const auto path = dir.str("tokens.json");
  REQUIRE(write_file_atomically(path, "old complete content", 0600));
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setenv("SPILLWAY_TEST_CRASH_BEFORE_RENAME", "1", 1);
    (void)write_file_atomically(path, "new complete content", 0600);
    ::_exit(0);  // not reached: the hook kills the process
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(slurp(path) == "old complete content");
  CHECK(slurp(tmp_path_for(path)) == "new complete content");
  CHECK(mode_of(tmp_path_for(path)) == 0600);  // even the leftover was never readable by others
  CHECK(remove_stale_tmp(path));
  CHECK_FALSE(std::filesystem::exists(tmp_path_for(path)));
}
