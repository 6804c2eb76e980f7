// The real spillway-emu binary, started as a child process and ended by its pid.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu::test;

namespace {

pid_t spawn(std::vector<std::string> args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::freopen("/dev/null", "w", stdout);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits up to max_s for the child; returns its exit status, or -1 if it is still running.
int wait_exit(pid_t pid, double max_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_s);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string wait_ready(const std::string& path, double max_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_s);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream f(path);
    std::string url;
    if (f && std::getline(f, url) && !url.empty()) return url;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

}  // namespace

TEST_CASE("spillway-emu binary: ready file, TLS stream, --exit-after-count, SIGTERM", "[bench][integration]") {
  const std::string dir = (std::filesystem::temp_directory_path() / ("spillway-emu-bin-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  const std::string bin = std::string(SPILLWAY_BIN_DIR) + "/spillway-emu";
  REQUIRE(std::filesystem::exists(bin));

  const pid_t pid = spawn({bin, "--port", "0", "--tls", "--cert-out", dir + "/cert.pem", "--ready-file", dir + "/ready",
                           "--count", "200", "--exit-after-count", "--bearer", "tok", "--heartbeat", "0.5", "--seed", "5",
                           "--pool", "128"});
  REQUIRE(pid > 0);
  const std::string url = wait_ready(dir + "/ready", 10);
  if (url.empty()) {
    ::kill(pid, SIGKILL);
    wait_exit(pid, 5);
    FAIL("spillway-emu did not write its ready file");
  }
  CHECK(url.rfind("https://127.0.0.1:", 0) == 0);
  const auto port = std::uint16_t(std::stoi(url.substr(url.rfind(':') + 1)));
  std::ifstream cf(dir + "/cert.pem");
  const std::string pem((std::istreambuf_iterator<char>(cf)), std::istreambuf_iterator<char>());
  {
    TestClient c(port, pem);
    c.get("/2/tweets/search/stream", "tok");
    auto r = read_response(c, [](const Response& x) { return x.chunks.done(); });
    CHECK(r.status == 200);
    CHECK(r.chunks.done());
    std::size_t posts = 0;
    for (const auto& l : split_lines(r.chunks.body())) posts += !l.empty();
    CHECK(posts == 200);
  }
  const int rc = wait_exit(pid, 10);
  if (rc == -1) ::kill(pid, SIGKILL), wait_exit(pid, 5);
  CHECK(rc == 0);

  // SIGTERM during a stream: exit 0.
  std::filesystem::remove(dir + "/ready");
  const pid_t pid2 = spawn({bin, "--port", "0", "--ready-file", dir + "/ready", "--pool", "64"});
  REQUIRE(pid2 > 0);
  const std::string url2 = wait_ready(dir + "/ready", 10);
  CHECK(url2.rfind("http://127.0.0.1:", 0) == 0);
  if (!url2.empty()) {
    TestClient c(std::uint16_t(std::stoi(url2.substr(url2.rfind(':') + 1))));
    c.get("/2/tweets/search/stream");
    auto r = read_response(c, [](const Response& x) { return x.chunks.body().size() > 10000; });
    CHECK(r.status == 200);
  }
  ::kill(pid2, SIGTERM);
  const int rc2 = wait_exit(pid2, 10);
  if (rc2 == -1) ::kill(pid2, SIGKILL), wait_exit(pid2, 5);
  CHECK(rc2 == 0);
  std::filesystem::remove_all(dir);
}
