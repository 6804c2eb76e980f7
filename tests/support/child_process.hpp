#pragma once
// child_process: starts a program of ours (emulator, broker, spillway) for an integration test and
// always ends it by its pid: SIGTERM on request, SIGKILL at scope exit if it is still running.
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace spillway::testing {

inline std::string bin(const std::string& name) { return std::string(SPILLWAY_BIN_DIR) + "/" + name; }

class child_process {
 public:
  // env: extra NAME=VALUE entries added to this process's environment. stdout/stderr go to log_file.
  child_process(const std::vector<std::string>& argv, const std::string& log_file,
                const std::vector<std::pair<std::string, std::string>>& env = {}) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      const int null_in = ::open("/dev/null", O_RDONLY);
      if (null_in >= 0) ::dup2(null_in, 0);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~child_process() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  void signal(int signo) const { ::kill(pid_, signo); }

  // The exit code (128+signal when killed), or nullopt if still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
  }
  [[nodiscard]] bool running() { return !wait(std::chrono::milliseconds(0)); }
  // The clean way to end one of our programs: SIGTERM, then wait() up to `timeout` for its exit code.
  std::optional<int> terminate(std::chrono::milliseconds timeout) {
    signal(SIGTERM);
    return wait(timeout);
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// Polls until `ready()` is true; false on timeout.
template <typename F>
bool eventually(F&& ready, std::chrono::milliseconds timeout, std::chrono::milliseconds every = std::chrono::milliseconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(every);
  }
  return ready();
}

// Runs a command through the shell and returns its standard output (tests only).
inline std::string capture(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The last `n` bytes of `text` (all of it when shorter): a log's tail for a failure message.
inline std::string last_bytes(const std::string& text, std::size_t n) {
  return text.substr(text.size() > n ? text.size() - n : 0);
}

}  // namespace spillway::testing
