// user_token_source against a canned token endpoint: refresh only when due, rotation persisted (mode
// 0600) before the new token is handed out, a spent refresh token explained, an unsafe file refused,
// and a kill between X's answer and the write leaving the old file whole.
#include <catch2/catch.hpp>

#include "tests/ingest/result_printing.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ingest/auth/atomic_file.hpp"
#include "ingest/auth/user_token_source.hpp"
#include "tests/ingest/auth_canned_server.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using namespace spillway::ingest;
using namespace std::chrono_literals;
using testing::auth_canned_server;
using testing::slurp;

namespace {

constexpr std::int64_t now = 1'780'000'000;

const std::string rotated = auth_canned_server::json(
    200, R"({"token_type":"bearer","expires_in":7200,"access_token":"ACCESS-NEW","scope":"users.read offline.access","refresh_token":"REFRESH-NEW"})",
    "x-rate-limit-limit: 75\r\nx-rate-limit-remaining: 74\r\nx-rate-limit-reset: 1780000900\r\n");
const std::string spent = auth_canned_server::json(
    400, R"({"error":"invalid_request","error_description":"Value passed for the token was invalid."})");

struct fixture {
  testing::temp_dir dir{"spillway-user-token"};
  config::auth_settings auth;
  rate_limit_tracker limits;
  std::unique_ptr<http_client> client;
  explicit fixture(const auth_canned_server& server) {
    auth.user_token_file = dir.str("user.json");
    auth.user_client_id = "client-id-1";
    client = std::make_unique<http_client>(http_client::create(endpoint{false, "127.0.0.1", server.port()}, tls_trust{}, 5000ms).value());
  }
  void store(const std::string& access, const std::string& refresh, std::int64_t expires_at, int mode = 0600) {
    std::ofstream(auth.user_token_file) << auth::serialize_user_tokens({access, refresh, expires_at});
    std::filesystem::permissions(auth.user_token_file, std::filesystem::perms(mode));
  }
  auth::user_token_source source() { return auth::user_token_source(auth, *client, limits); }
};


// A canned token endpoint in its own process, forked while this process runs no other thread. The test
// below then forks the child that is killed mid-refresh; that child starts threads (the resolver), which
// TSan allows only when the parent was single-threaded at the fork. Requests are appended to `log`.
class process_server {
 public:
  process_server(const std::vector<std::string>& responses, const std::string& log) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      for (const auto& response : responses) {  // bounded: one connection per canned response
        const int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) ::_exit(1);
        std::string req;
        char buf[4096];
        ssize_t n;
        // The request is small: read until the head is complete and its body (Content-Length) is in.
        while ((n = ::read(c, buf, sizeof buf)) > 0) {
          req.append(buf, static_cast<std::size_t>(n));
          const auto head_end = req.find("\r\n\r\n");
          const auto cl = req.find("Content-Length: ");
          if (head_end != std::string::npos &&
              (cl == std::string::npos || req.size() >= head_end + 4 + std::stoul(req.substr(cl + 16)))) break;
        }
        std::ofstream(log, std::ios::app) << req << "\n--\n";
        if (::write(c, response.data(), response.size()) < 0) ::_exit(1);
        ::close(c);
      }
      ::_exit(0);
    }
    ::close(fd);
  }
  ~process_server() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  process_server(const process_server&) = delete;
  process_server& operator=(const process_server&) = delete;
  [[nodiscard]] std::string port() const { return std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

}  // namespace

TEST_CASE("user token: a fresh token is used as stored, without calling X", "[ingest][auth]") {
  auth_canned_server server({});
  fixture f(server);
  f.store("ACCESS-OLD", "REFRESH-OLD", now + 3600);
  const auto token = f.source().access_token(now);
  REQUIRE(token);
  CHECK(*token == "ACCESS-OLD");
  CHECK(server.requests().empty());
}

TEST_CASE("user token: refreshed within the margin, rotation persisted before use", "[ingest][auth]") {
  auth_canned_server server({rotated});
  fixture f(server);
  f.store("ACCESS-OLD", "REFRESH-OLD", now + 120);  // inside the default 5 min margin
  const auto token = f.source().access_token(now);
  INFO(token.error().message);
  REQUIRE(token);
  CHECK(*token == "ACCESS-NEW");
  const auto req = server.requests().at(0);
  CHECK(req.find("POST /2/oauth2/token HTTP/1.1") == 0);
  CHECK(req.find("application/x-www-form-urlencoded") != std::string::npos);
  CHECK(req.find("grant_type=refresh_token&refresh_token=REFRESH-OLD&client_id=client-id-1") != std::string::npos);
  CHECK(req.find("Authorization") == std::string::npos);  // a public client names itself in the body
  const auto saved = auth::parse_user_token_file(slurp(f.auth.user_token_file));
  REQUIRE(saved);
  CHECK(saved->refresh_token == "REFRESH-NEW");
  CHECK(saved->access_token == "ACCESS-NEW");
  CHECK(saved->expires_at == now + 7200);
  struct stat st{};
  REQUIRE(::stat(f.auth.user_token_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(f.limits.last("POST /2/oauth2/token")->remaining == 74);
}

TEST_CASE("user token: a confidential client authenticates with Basic", "[ingest][auth]") {
  auth_canned_server server({rotated});
  fixture f(server);
  f.auth.user_client_secret_env = "SPILLWAY_TEST_USER_CLIENT_SECRET";
  ::setenv("SPILLWAY_TEST_USER_CLIENT_SECRET", "client-secret-1", 1);
  f.store("", "REFRESH-OLD", 0);
  CHECK(f.source().refresh(now));
  ::unsetenv("SPILLWAY_TEST_USER_CLIENT_SECRET");
  const auto req = server.requests().at(0);
  CHECK(req.find("Authorization: Basic " + auth::base64("client-id-1:client-secret-1")) != std::string::npos);
  CHECK(req.find("client_id=") == std::string::npos);
}

TEST_CASE("user token: a spent refresh token says so, and how to fix it", "[ingest][auth]") {
  auth_canned_server server({spent});
  fixture f(server);
  f.store("ACCESS-OLD", "REFRESH-OLD", now - 10);
  const auto before = slurp(f.auth.user_token_file);
  const auto token = f.source().access_token(now);
  REQUIRE_FALSE(token);
  const auto error = token.error();
  CHECK(error.is(common::errc::refused));
  CHECK(common::exit_code_for(error) == common::exit_code::refused);
  CHECK(error.message.find("was already used") != std::string::npos);
  CHECK(error.message.find("invalid_request") != std::string::npos);
  CHECK(error.message.find("re-authorize") != std::string::npos);
  CHECK(error.message.find(f.auth.user_token_file) != std::string::npos);
  CHECK(error.message.find("REFRESH-OLD") == std::string::npos);
  CHECK(slurp(f.auth.user_token_file) == before);
}

TEST_CASE("user token: an unsafe, missing or malformed store is refused with the fix", "[ingest][auth]") {
  auth_canned_server server({});
  fixture f(server);
  // The error of a refused access_token() call (and that it was refused).
  const auto failure = [&](auth::user_token_source source) {
    const auto token = source.access_token(now);
    CHECK_FALSE(token);
    return token.error();
  };
  CHECK(failure(f.source()).message.find("does not exist") != std::string::npos);
  f.store("A", "R", now + 3600, 0640);
  const auto exposed = failure(f.source());
  CHECK(exposed.is(common::errc::config));
  CHECK(exposed.message.find("chmod 600 " + f.auth.user_token_file) != std::string::npos);
  std::ofstream(f.auth.user_token_file) << "{\"access_token\":\"A\"}";
  std::filesystem::permissions(f.auth.user_token_file, std::filesystem::perms(0600));
  CHECK(failure(f.source()).message.find("has no \"refresh_token\"") != std::string::npos);
  config::auth_settings none;
  auth::user_token_source unset(none, *f.client, f.limits);
  CHECK_FALSE(unset.configured());
  CHECK(failure(unset).message.find("auth.user_token_file is not set") != std::string::npos);
}

TEST_CASE("user token: killed after X's answer and before the write, the old file stays whole",
          "[ingest][auth]") {
  testing::temp_dir dir{"spillway-user-token-crash"};
  process_server server({rotated, spent}, dir.str("requests.log"));
  config::auth_settings settings;
  settings.user_token_file = dir.str("user.json");
  settings.user_client_id = "client-id-1";
  std::ofstream(settings.user_token_file) << auth::serialize_user_tokens({"ACCESS-OLD", "REFRESH-OLD", now - 10});
  std::filesystem::permissions(settings.user_token_file, std::filesystem::perms(0600));
  const auto before = slurp(settings.user_token_file);
  std::ofstream(auth::tmp_path_for(settings.user_token_file)) << "{\"half";  // a previous writer's leftover
  const auto refresh = [&]() {
    rate_limit_tracker limits;
    auto client = http_client::create(endpoint{false, "127.0.0.1", server.port()}, tls_trust{}, 5000ms).value();
    return auth::user_token_source(settings, client, limits).refresh(now);
  };
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setenv("SPILLWAY_TEST_CRASH_AFTER_REFRESH_RESPONSE", "1", 1);
    (void)refresh();
    ::_exit(0);  // not reached
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  // X did answer (and so spent REFRESH-OLD)...
  CHECK(slurp(dir.str("requests.log")).find("refresh_token=REFRESH-OLD") != std::string::npos);
  // ...but nothing was written: the old file is whole, and the stale tmp was removed under the lock.
  CHECK(slurp(settings.user_token_file) == before);
  CHECK_FALSE(std::filesystem::exists(auth::tmp_path_for(settings.user_token_file)));

  // The restart meets X's 400 for the spent token: the message says exactly that.
  const auto restarted = refresh();
  REQUIRE_FALSE(restarted);
  CHECK(restarted.error().message.find("was already used") != std::string::npos);
  CHECK(slurp(settings.user_token_file) == before);
}

// Issue 10 item 6: what the refresh creates — the rewritten store and its lock file — is owner-only
// whatever the umask (the store's directory is the operator's, and Spillway never creates it).
TEST_CASE("user token: the refreshed store and its lock file are created owner-only (0600)", "[ingest][auth]") {
  auth_canned_server server({rotated});
  fixture f(server);
  f.store("ACCESS-OLD", "REFRESH-OLD", now + 120);
  const auto mode_of = [](const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
  };
  const mode_t old_umask = ::umask(0);  // a permissive umask must not widen either file
  const auto token = f.source().access_token(now);
  ::umask(old_umask);
  REQUIRE(token);
  CHECK(*token == "ACCESS-NEW");
  CHECK(mode_of(f.auth.user_token_file) == 0600);
  CHECK(mode_of(f.auth.user_token_file + ".lock") == 0600);
  CHECK_FALSE(std::filesystem::exists(f.auth.user_token_file + ".tmp"));
  CHECK(slurp(f.auth.user_token_file).find("REFRESH-NEW") != std::string::npos);
}
