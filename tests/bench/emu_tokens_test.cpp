// OAuth endpoints: app-only client credentials (POST /oauth2/token) and OAuth 2.0 user-token refresh
// with rotation (POST /2/oauth2/token), and which tokens GET /2/users/me accepts.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "bench/emu/emu_server.hpp"
#include "bench/emu/form_codec.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using test::http_request;
using test::Response;

namespace {

const std::string kForm = "Content-Type: application/x-www-form-urlencoded;charset=UTF-8\r\n";

std::string basic(const std::string& user, const std::string& password) {
  return "Authorization: Basic " + base64_encode(user + ":" + password) + "\r\n";
}

Response app_token(std::uint16_t port, const std::string& auth, const std::string& body) {
  return http_request(port, "POST", "/oauth2/token", auth + kForm, body);
}

Response refresh(std::uint16_t port, const std::string& token, const std::string& client_id = "cid") {
  return http_request(port, "POST", "/2/oauth2/token", kForm,
                      "grant_type=refresh_token&refresh_token=" + token + "&client_id=" + client_id);
}

Response users_me(std::uint16_t port, const std::string& token) {
  return http_request(port, "GET", "/2/users/me", "Authorization: Bearer " + token + "\r\n");
}

struct Issued {
  std::string access, refresh;
};

Issued parse_issued(const Response& r, std::int64_t ttl) {
  rapidjson::Document d;
  d.Parse(r.raw_body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["token_type"].GetString()) == "bearer");
  CHECK(d["expires_in"].GetInt64() == ttl);
  CHECK(std::string(d["scope"].GetString()) == "tweet.read users.read offline.access");
  Issued t{d["access_token"].GetString(), d["refresh_token"].GetString()};
  CHECK(t.access.size() >= 32);
  CHECK(t.refresh.size() >= 32);
  return t;
}

EmuConfig user_config() {
  EmuConfig c;
  c.pool_size = 16;
  c.bearer = "app-bearer";
  c.user_client_id = "cid";
  c.user_refresh_token = "R0";
  return c;
}

}  // namespace

TEST_CASE("form codec: form values, Basic credentials, tokens", "[bench][tokens]") {
  CHECK(form_value("grant_type=client_credentials", "grant_type") == "client_credentials");
  CHECK(form_value("a=1&refresh_token=x%2By+z&b", "refresh_token") == "x+y z");
  CHECK(form_value("a=1&b", "b") == "");
  CHECK_FALSE(form_value("a=1", "grant_type").has_value());
  const auto creds = basic_credentials("Basic " + base64_encode("my%20key:s:e"));
  REQUIRE(creds);
  CHECK(creds->user == "my key");
  CHECK(creds->password == "s:e");
  CHECK_FALSE(basic_credentials("Bearer abc"));
  CHECK_FALSE(basic_credentials("Basic !!!"));
  CHECK_FALSE(basic_credentials("Basic " + base64_encode("no-colon")));
  CHECK(random_token(32) != random_token(32));
  CHECK(random_token(32).find_first_of("+/=") == std::string::npos);
}

TEST_CASE("client credentials: good, wrong key or secret, bad grant, disabled", "[bench][integration][tokens]") {
  EmuConfig cfg;
  cfg.pool_size = 16;
  cfg.bearer = "the-bearer";
  cfg.app_key = "key";
  cfg.app_secret = "secret";
  EmuServer server(cfg);
  server.start_thread();
  auto r = app_token(server.port(), basic("key", "secret"), "grant_type=client_credentials");
  CHECK(r.status == 200);
  CHECK(r.headers["content-type"] == "application/json; charset=utf-8");
  CHECK(r.raw_body == R"({"token_type":"bearer","access_token":"the-bearer"})");
  const std::string bad_creds =
      R"({"errors":[{"code":99,"message":"Unable to verify your credentials","label":"authenticity_token_error"}]})";
  for (const auto& auth : {basic("key", "wrong"), basic("other", "secret"), std::string("Authorization: Bearer x\r\n"),
                           std::string()}) {
    r = app_token(server.port(), auth, "grant_type=client_credentials");
    CHECK(r.status == 403);
    CHECK(r.raw_body == bad_creds);
  }
  const std::string missing_grant =
      R"({"errors":[{"code":170,"message":"Missing required parameter: grant_type","label":"forbidden_missing_parameter"}]})";
  for (const std::string body : {"grant_type=password", "", "grant_type_x=client_credentials"}) {
    r = app_token(server.port(), basic("key", "secret"), body);
    CHECK(r.status == 400);
    CHECK(r.raw_body == missing_grant);
  }
  CHECK(http_request(server.port(), "GET", "/oauth2/token").status == 405);
  // The user-token endpoint is off without --user-client-id.
  CHECK(refresh(server.port(), "R0").status == 404);

  EmuConfig no_bearer;
  no_bearer.pool_size = 16;
  no_bearer.app_key = "k";
  no_bearer.app_secret = "s";
  EmuServer open(no_bearer);
  open.start_thread();
  r = app_token(open.port(), basic("k", "s"), "grant_type=client_credentials");
  CHECK(r.raw_body == R"({"token_type":"bearer","access_token":"emu-app-bearer"})");

  EmuServer off([] {
    EmuConfig c;
    c.pool_size = 16;
    return c;
  }());
  off.start_thread();
  CHECK(app_token(off.port(), basic("k", "s"), "grant_type=client_credentials").status == 404);
}

TEST_CASE("refresh rotation: single-use refresh tokens, superseded access tokens", "[bench][integration][tokens]") {
  auto cfg = user_config();
  cfg.user_refresh_token_file = test::temp_path("refresh-tokens");
  std::filesystem::remove(cfg.user_refresh_token_file);
  EmuServer server(cfg);
  server.start_thread();
  const auto port = server.port();

  auto r = refresh(port, "R0");
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/json; charset=utf-8");
  const auto t1 = parse_issued(r, 7200);
  const std::string invalid = R"({"error":"invalid_request","error_description":"Value passed for the token was invalid."})";
  r = refresh(port, "R0");  // spent
  CHECK(r.status == 400);
  CHECK(r.raw_body == invalid);
  CHECK(refresh(port, "never-issued").raw_body == invalid);
  r = refresh(port, t1.refresh, "other-client");
  CHECK(r.status == 400);
  CHECK(r.raw_body == R"({"error":"unauthorized_client","error_description":"Missing valid authorization header"})");

  CHECK(users_me(port, t1.access).status == 200);
  // A confidential client: Basic client_id:secret instead of client_id in the body.
  r = http_request(port, "POST", "/2/oauth2/token", basic("cid", "whatever") + kForm,
                   "grant_type=refresh_token&refresh_token=" + t1.refresh);
  REQUIRE(r.status == 200);
  const auto t2 = parse_issued(r, 7200);
  CHECK(t2.access != t1.access);
  CHECK(t2.refresh != t1.refresh);
  CHECK(refresh(port, t1.refresh).raw_body == invalid);

  r = users_me(port, t2.access);
  CHECK(r.status == 200);
  CHECK(r.raw_body == R"({"data":{"id":"2244994945","name":"X Developers","username":"XDevelopers"}})");
  CHECK(r.headers["x-rate-limit-limit"] == "75");
  r = users_me(port, t1.access);  // superseded
  CHECK(r.status == 401);
  CHECK(r.raw_body == test::testdata("error_401_unauthorized.json"));
  r = users_me(port, "app-bearer");  // app-only: as before, X's unsupported-authentication 403
  CHECK(r.status == 403);
  CHECK(r.raw_body.find("unsupported-authentication") != std::string::npos);
  CHECK(users_me(port, "unknown").status == 401);  // neither the app bearer nor a user token
  // The stream still wants the app bearer, not a user token.
  CHECK(http_request(port, "GET", "/2/tweets/search/stream/rules", "Authorization: Bearer " + t2.access + "\r\n").status == 401);

  CHECK(test::slurp(cfg.user_refresh_token_file) == t1.refresh + "\n" + t2.refresh + "\n");
  r = http_request(port, "POST", "/2/oauth2/token", kForm, "refresh_token=" + t2.refresh + "&client_id=cid");
  CHECK(r.status == 400);  // no grant_type
  CHECK(refresh(port, t2.refresh).status == 200);  // t2.refresh was not spent by the bad request
}

TEST_CASE("user access tokens expire after --user-token-ttl", "[bench][integration][tokens]") {
  auto cfg = user_config();
  cfg.user_token_ttl_s = 1;
  EmuServer server(cfg);
  server.start_thread();
  auto r = refresh(server.port(), "R0");
  REQUIRE(r.status == 200);
  const auto t = parse_issued(r, 1);
  CHECK(users_me(server.port(), t.access).status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(users_me(server.port(), t.access).status == 401);
  // The refresh token outlives the access token.
  r = refresh(server.port(), t.refresh);
  REQUIRE(r.status == 200);
  CHECK(users_me(server.port(), parse_issued(r, 1).access).status == 200);
}

TEST_CASE("token flags: half-given pairs are start-up errors naming the fix", "[bench][tokens]") {
  EmuConfig c;
  c.pool_size = 16;
  c.app_key = "k";
  CHECK_THROWS_WITH(EmuServer(c), Catch::Contains("--app-key and --app-secret go together"));
  c = EmuConfig{};
  c.pool_size = 16;
  c.user_client_id = "cid";
  CHECK_THROWS_WITH(EmuServer(c), Catch::Contains("--user-client-id and --user-refresh-token go together"));
}
