#pragma once
// atomic_file: replaces a small file (the user token store) so that whoever reads it next — another
// process, or this one after a crash or power loss — finds either the complete old or the complete new
// content, never a mix: the new content goes to `<path>.tmp` in the same directory (same file system,
// so rename(2) is atomic), is fsync'ed, renamed over `path`, and then the directory is fsync'ed so that
// the rename itself is durable. The tmp is created with the final mode: it is never readable by others.
//
// Free functions; any thread; no state. Test hook: SPILLWAY_TEST_CRASH_BEFORE_RENAME=1 in the environment
// kills the process (SIGKILL) after the tmp is complete and before the rename, to test recovery.
#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace spillway::ingest::auth {

[[nodiscard]] std::string tmp_path_for(const std::string& path);

// errc::storage (the step, the path and the fix) when any step failed; `path` is then unchanged.
[[nodiscard]] common::result<void> write_file_atomically(const std::string& path, std::string_view content,
                                                         mode_t mode);

// Renames a complete, fsync'ed `<path>.tmp` over `path` and fsyncs the directory: the last step of
// write_file_atomically, also used to finish a write whose process died just before its rename.
// errc::storage as above.
[[nodiscard]] common::result<void> commit_tmp(const std::string& path);

// Removes `<path>.tmp` left behind by a writer that died before its rename. True when one was removed.
bool remove_stale_tmp(const std::string& path);

}  // namespace spillway::ingest::auth
