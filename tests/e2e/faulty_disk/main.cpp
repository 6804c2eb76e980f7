// spillway-faulty-disk BUDGET_BYTES --config FILE: `spillway run` (the same run_command) on a RocksDB Env
// whose file system fails every append once BUDGET_BYTES have been written (failing_file_system.hpp).
// Test builds only: it proves the clean exit-1 path of a RocksDB write error (issue 10, item 1) without
// prlimit. Exit codes are spillway's.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <rocksdb/env.h>

#include "app/commands.hpp"
#include "common/log.hpp"
#include "tests/e2e/faulty_disk/failing_file_system.hpp"

int main(int argc, char** argv) {
  if (argc != 4 || std::string(argv[2]) != "--config") {
    std::cerr << "usage: spillway-faulty-disk BUDGET_BYTES --config FILE\n";
    return 2;
  }
  // As spillway's main: a closed stderr pipe or a file-size limit must not kill the process by signal.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  spillway::common::init_logging("info");
  const auto budget = std::strtoull(argv[1], nullptr, 10);
  const auto fs = std::make_shared<spillway::testing::failing_file_system>(budget);
  const std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  return static_cast<int>(spillway::app::run_command(argv[3], env.get()));
}
