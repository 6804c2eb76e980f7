// app_token_source: which source `auto` picks, the client-credentials grant against a canned
// /oauth2/token (Basic auth, form body), a refused key/secret explained without quoting it, and the
// refresh (re-obtain) used after a 401.
#include <catch2/catch.hpp>

#include "tests/ingest/result_printing.hpp"

#include <cstdlib>

#include "ingest/auth/app_token_source.hpp"
#include "ingest/auth/token_endpoint.hpp"
#include "tests/ingest/auth_canned_server.hpp"

using namespace spillway;
using namespace spillway::ingest;
using testing::auth_canned_server;

namespace {

// Sets environment variables for one test and removes them again.
struct scoped_env {
  std::vector<std::string> names;
  scoped_env(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [k, v] : vars) {
      ::setenv(k, v, 1);
      names.emplace_back(k);
    }
  }
  ~scoped_env() {
    for (const auto& n : names) ::unsetenv(n.c_str());
  }
};

config::settings settings_for(const std::string& url) {
  config::settings s;
  s.stream.base_url = url;
  s.auth.bearer_token_env = "SPILLWAY_TEST_APP_BEARER";
  s.auth.app_key_env = "SPILLWAY_TEST_APP_KEY";
  s.auth.app_secret_env = "SPILLWAY_TEST_APP_SECRET";
  return s;
}

// The token, or the error's message in its place (so a failure shows why).
std::string token_of(auth::app_token_source& app) {
  const auto t = app.token();
  return t ? *t : "error: " + t.error().message;
}

const std::string granted = auth_canned_server::json(200, R"({"token_type":"bearer","access_token":"APP-BEARER-1"})");

}  // namespace

TEST_CASE("app token: auto prefers a configured Bearer, else client credentials", "[ingest][auth]") {
  auto s = settings_for("http://127.0.0.1:1");
  CHECK(auth::resolve_app_source(s.auth) == auth::app_source_kind::bearer);  // nothing set: the bearer error
  {
    scoped_env env{{"SPILLWAY_TEST_APP_KEY", "k"}, {"SPILLWAY_TEST_APP_SECRET", "s"}};
    CHECK(auth::resolve_app_source(s.auth) == auth::app_source_kind::client_credentials);
    scoped_env bearer{{"SPILLWAY_TEST_APP_BEARER", "b"}};
    CHECK(auth::resolve_app_source(s.auth) == auth::app_source_kind::bearer);
    s.auth.app_token_source = "client_credentials";
    CHECK(auth::resolve_app_source(s.auth) == auth::app_source_kind::client_credentials);
  }
  s.auth.app_token_source = "auto";
  auth::app_token_source none(s, nullptr);
  const auto nothing = none.token();
  REQUIRE_FALSE(nothing);
  const auto error = nothing.error();
  CHECK(common::exit_code_for(error) == common::exit_code::config);
  CHECK(error.message.find("SPILLWAY_TEST_APP_BEARER") != std::string::npos);
  CHECK(error.message.find("SPILLWAY_TEST_APP_KEY and SPILLWAY_TEST_APP_SECRET") != std::string::npos);
}

TEST_CASE("app token: client credentials obtains the Bearer and re-obtains it on refresh", "[ingest][auth]") {
  auth_canned_server server(
      {granted, auth_canned_server::json(200, R"({"token_type":"bearer","access_token":"APP-BEARER-2"})",
                                         "x-rate-limit-limit: 300\r\nx-rate-limit-remaining: 298\r\nx-rate-limit-reset: 1780000900\r\n")});
  scoped_env env{{"SPILLWAY_TEST_APP_KEY", "key-1"}, {"SPILLWAY_TEST_APP_SECRET", "secret-1"}};
  const auto s = settings_for(server.url());
  rate_limit_tracker limits;
  auth::app_token_source app(s, &limits);
  REQUIRE(app.refreshable());
  CHECK(token_of(app) == "APP-BEARER-1");
  CHECK(token_of(app) == "APP-BEARER-1");  // cached: one request
  REQUIRE(app.refresh());
  CHECK(token_of(app) == "APP-BEARER-2");
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].find("POST /oauth2/token HTTP/1.1") == 0);
  CHECK(reqs[0].find("Authorization: Basic " + auth::base64("key-1:secret-1")) != std::string::npos);
  CHECK(reqs[0].find("Content-Type: application/x-www-form-urlencoded;charset=UTF-8") != std::string::npos);
  CHECK(reqs[0].ends_with("\r\n\r\ngrant_type=client_credentials"));
  CHECK(limits.last("POST /oauth2/token")->remaining == 298);
  CHECK(app.describe().find("SPILLWAY_TEST_APP_KEY") != std::string::npos);
}

TEST_CASE("app token: a refused key and secret are explained, never quoted", "[ingest][auth]") {
  auth_canned_server server({auth_canned_server::json(
      403, R"({"errors":[{"code":99,"message":"Unable to verify your credentials","label":"authenticity_token_error"}]})")});
  scoped_env env{{"SPILLWAY_TEST_APP_KEY", "key-LEAK-1"}, {"SPILLWAY_TEST_APP_SECRET", "secret-LEAK-1"}};
  auto s = settings_for(server.url());
  s.auth.app_token_source = "client_credentials";
  auth::app_token_source app(s, nullptr);
  const auto refused = app.token();
  REQUIRE_FALSE(refused);
  auto error = refused.error();
  CHECK(common::exit_code_for(error) == common::exit_code::refused);
  CHECK(error.message.find("HTTP 403 (Unable to verify your credentials)") != std::string::npos);
  CHECK(error.message.find("SPILLWAY_TEST_APP_KEY and SPILLWAY_TEST_APP_SECRET") != std::string::npos);
  CHECK(error.message.find("LEAK") == std::string::npos);
  ::unsetenv("SPILLWAY_TEST_APP_SECRET");
  const auto unset = app.token();
  REQUIRE_FALSE(unset);
  error = unset.error();
  CHECK(common::exit_code_for(error) == common::exit_code::config);
  CHECK(error.message.find("SPILLWAY_TEST_APP_SECRET is not set") != std::string::npos);
}
