#pragma once
// emulator_process: spillway-emu (bench/emu) as a child process of an integration test, on a port it
// picks itself (--port 0), with the URL it wrote to its ready file once it listens. It ends like every
// child_process: SIGTERM on request (terminate), SIGKILL at scope exit if still running.
// Test-only (Catch2 assertions inside: no URL within the timeout fails the test); any test thread.
// Must outlive it: the directory holding its ready file and its log (emu.log).
#include <chrono>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

namespace spillway::testing {

class emulator_process : public child_process {
 public:
  // `args`: the emulator's options after --port 0 --ready-file <dir/ready_name>.
  emulator_process(const temp_dir& dir, const std::vector<std::string>& args, const std::string& ready_name = "url",
                   std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : child_process(argv(dir.str(ready_name), args), dir.str("emu.log")),
        url(wait_for_url(dir.str(ready_name), timeout)) {}

  const std::string url;  // e.g. http://127.0.0.1:41234, https://… with --tls

 private:
  static std::vector<std::string> argv(const std::string& ready_file, const std::vector<std::string>& args) {
    std::vector<std::string> all{bin("spillway-emu"), "--port", "0", "--ready-file", ready_file};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }
};

}  // namespace spillway::testing
