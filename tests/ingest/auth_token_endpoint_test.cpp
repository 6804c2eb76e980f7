// token_endpoint: the wire format of X's token endpoints, as tables — encodings, answers, the token
// store file, and how refusals are classified.
#include <catch2/catch.hpp>

#include "tests/ingest/result_printing.hpp"

#include "ingest/auth/token_endpoint.hpp"

using namespace spillway::ingest::auth;

TEST_CASE("auth: base64 and form encoding (RFC 4648 vectors, RFC 6749 Basic)", "[ingest][auth]") {
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("foobar") == "Zm9vYmFy");
  CHECK(form_encode("a-b.c_d~e") == "a-b.c_d~e");
  CHECK(form_encode("a b+c/d=&:") == "a%20b%2Bc%2Fd%3D%26%3A");
  CHECK(form_body({{"grant_type", "refresh_token"}, {"refresh_token", "R/1="}}) ==
        "grant_type=refresh_token&refresh_token=R%2F1%3D");
  CHECK(basic_authorization("key", "secret") == "Basic " + base64("key:secret"));
  CHECK(basic_authorization("k:y", "s") == "Basic " + base64("k%3Ay:s"));  // the ':' must not split the pair
}

TEST_CASE("auth: app-only token answers", "[ingest][auth]") {
  CHECK(parse_app_token(R"({"token_type":"bearer","access_token":"AAAA"})") == std::optional<std::string>("AAAA"));
  CHECK(parse_app_token(R"({"token_type":"Bearer","access_token":"B"})") == std::optional<std::string>("B"));
  CHECK_FALSE(parse_app_token(R"({"token_type":"mac","access_token":"B"})"));
  CHECK_FALSE(parse_app_token(R"({"token_type":"bearer"})"));
  CHECK_FALSE(parse_app_token("not json"));
}

TEST_CASE("auth: user token answers and the token store file", "[ingest][auth]") {
  const auto t = parse_user_tokens(
      R"({"token_type":"bearer","expires_in":7200,"access_token":"A1","scope":"tweet.read","refresh_token":"R1"})", 1000);
  REQUIRE(t);
  CHECK(t->access_token == "A1");
  CHECK(t->refresh_token == "R1");
  CHECK(t->expires_at == 8200);
  CHECK(parse_user_tokens(R"({"access_token":"A","refresh_token":"R"})", 0)->expires_at == 7200);
  CHECK_FALSE(parse_user_tokens(R"({"access_token":"A1"})", 0));  // no rotation: refuse, do not lose R

  const auto text = serialize_user_tokens({"A\"x", "R\\y", 1780000000});
  const auto back = parse_user_token_file(text);
  REQUIRE(back);
  CHECK(back->access_token == "A\"x");
  CHECK(back->refresh_token == "R\\y");
  CHECK(back->expires_at == 1780000000);

  struct row {
    const char* text;
    const char* error;
  };
  for (const auto& r : {row{"", "is not a JSON object"}, row{"[]", "is not a JSON object"},
                        row{R"({"access_token":"A","expires_at":1})", "has no \"refresh_token\""},
                        row{R"({"refresh_token":"R"})", "has no \"expires_at\""},
                        row{R"({"refresh_token":"R","expires_at":"soon"})", "has no \"expires_at\""}}) {
    INFO(r.text);
    const auto parsed = parse_user_token_file(r.text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message.find(r.error) != std::string::npos);
  }
  CHECK(parse_user_token_file(R"({"refresh_token":"R","expires_at":0})"));  // no access token yet: fine
}

TEST_CASE("auth: token refusals are classified by what the operator must do", "[ingest][auth]") {
  struct row {
    int status;
    const char* body;
    token_refusal want;
  };
  const row rows[] = {
      {400, R"({"error":"invalid_request","error_description":"Value passed for the token was invalid."})",
       token_refusal::refresh_token_used},
      {400, R"({"error":"unauthorized_client","error_description":"Missing valid authorization header"})",
       token_refusal::bad_client},
      {401, R"({"error":"invalid_client"})", token_refusal::bad_client},
      {403, R"({"errors":[{"code":99,"message":"Unable to verify your credentials","label":"authenticity_token_error"}]})",
       token_refusal::bad_app_credentials},
      {401, "", token_refusal::bad_app_credentials},
      {400, R"({"errors":[{"code":170,"message":"Missing required parameter: grant_type"}]})", token_refusal::other},
      {503, "Service Unavailable", token_refusal::other},
  };
  for (const auto& r : rows) {
    INFO(r.status << " " << r.body);
    CHECK(classify_token_error(r.status, r.body) == r.want);
  }
  CHECK(token_error_text(rows[0].body) == "invalid_request: Value passed for the token was invalid.");
  CHECK(token_error_text(rows[3].body) == "Unable to verify your credentials");
  CHECK(token_error_text("garbage").empty());
}

TEST_CASE("auth: tokens that could split a header are refused - expires_in is clamped", "[ingest][auth]") {
  // Found by tests/fuzz/token_fuzz: the access token goes into "Authorization: Bearer <token>" as it is,
  // and JSON escapes let a server put CR/LF (or a NUL, which cut the token short) into it.
  for (const char* body : {R"({"token_type":"bearer","access_token":"AAAA\r\nX-Injected: 1"})",
                           R"({"token_type":"bearer","access_token":"AA AA"})",
                           R"({"token_type":"bearer","access_token":"AA\u0000BB"})",
                           R"({"token_type":"bearer","access_token":"caf\u00e9"})"}) {
    INFO(body);
    CHECK_FALSE(parse_app_token(body));
  }
  CHECK_FALSE(parse_user_tokens(R"({"access_token":"A\nB","refresh_token":"R"})", 0));
  CHECK_FALSE(parse_user_tokens(R"({"access_token":"A","refresh_token":"R\u0000S"})", 0));
  // tests/fuzz/token_fuzz asserts this (under UBSan): now + INT64_MAX overflowed; a negative value put the
  // expiry in the past.
  constexpr std::int64_t now = 1'795'953'600;
  CHECK(parse_user_tokens(R"({"access_token":"A","refresh_token":"R","expires_in":9223372036854775807})", now)
            ->expires_at == now + max_expires_in_s);
  CHECK(parse_user_tokens(R"({"access_token":"A","refresh_token":"R","expires_in":-5})", now)->expires_at == now);
  // Every number clamps (issue 10 item 6), whatever RapidJSON makes of it: INT64_MAX + 1 is a uint64, 1e30
  // and a fraction are doubles; none falls back to the 7200 s default, none overflows.
  const auto expiry = [&](const std::string& n) {
    return parse_user_tokens(R"({"access_token":"A","refresh_token":"R","expires_in":)" + n + "}", now)->expires_at;
  };
  CHECK(expiry("9223372036854775808") == now + max_expires_in_s);
  CHECK(expiry("18446744073709551615") == now + max_expires_in_s);
  CHECK(expiry("1e30") == now + max_expires_in_s);
  CHECK(expiry("-1e30") == now);
  CHECK(expiry("-9223372036854775808") == now);
  CHECK(expiry("3600.9") == now + 3600);
  CHECK(expiry("\"3600\"") == now + 7200);  // not a number: X's documented lifetime
}

TEST_CASE("auth: the error text from a token endpoint is printable and capped", "[ingest][auth]") {
  // tests/fuzz/token_fuzz asserts this: the text went into log lines and errors with its newlines and escapes.
  CHECK(token_error_text(R"({"error":"invalid_request","error_description":"bad\n2026 info forged\u001b[2J"})") ==
        R"(invalid_request: bad\x0a2026 info forged\x1b[2J)");
  const std::string long_text = token_error_text(R"({"error":")" + std::string(10'000, 'e') + R"("})");
  CHECK(long_text.starts_with(std::string(max_error_text_bytes, 'e') + "…"));
  CHECK(long_text.size() < max_error_text_bytes + 32);
}
