// `spillway export --db DIR`: every stored Post in id order, as the exact bytes received, one per line.
#include <cstdio>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/number_format.hpp"
#include "app/progress_line.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

common::exit_code export_command(const std::string& db_path, std::uint64_t from_id, std::uint64_t to_id) {
  // Read-only: works while `spillway run` holds the database (it sees what was committed at open time).
  const sinks::store db(db_path, sinks::open_mode::read_only);
  static char out_buffer[1 << 20];
  std::setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
  std::uint64_t count = 0, bytes = 0;
  // On a terminal, a running count on stderr (stdout carries the Posts); nothing when stderr is piped.
  progress_line progress(stderr, progress_line::on_terminal(stderr), std::chrono::milliseconds(100),
                         [] { return std::chrono::steady_clock::now(); });
  auto post = db.posts(from_id, to_id);
  for (; post.valid(); post.next()) {
    const auto line = post.line();
    bytes += line.size() + 1;
    if ((count & 1023) == 0) {
      progress.show("export: " + grouped_count(count) + " Posts, " + grouped_count(bytes >> 20) + " MiB");
    }
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fputc('\n', stdout) == EOF) {
      progress.finish();
      spdlog::error("export: writing to standard output failed after {} Posts", count);
      return common::exit_code::runtime;
    }
    ++count;
  }
  if (const auto read = post.status(); !read) {
    progress.finish();
    spdlog::error("export: {} (after {} Posts)", read.error().message, count);
    return common::exit_code_for(read.error());
  }
  std::fflush(stdout);
  progress.finish();
  spdlog::info("export: {} Posts from {}", count, db_path);
  return common::exit_code::ok;
}

}  // namespace spillway::app
