#pragma once
// What X sends besides Posts: response heads with X's headers, exact error bodies (copied byte for
// byte from captures in /work/shared/testdata/xapi, which the tests compare against), and in-band
// disconnect notices. Written independently of the client: nothing here is shared with ingest/.
// Pure functions; no state.

#include <cstdint>
#include <string>
#include <string_view>

namespace spillway::emu {

namespace x_body {
inline constexpr std::string_view unauthorized_401 =
    R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})";
inline constexpr std::string_view client_forbidden_403 =
    R"({"client_id":"23074266","detail":"When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.","registration_url":"https://developer.twitter.com/en/docs/projects/overview","title":"Client Forbidden","required_enrollment":"Standard Basic","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"})";
inline constexpr std::string_view no_rules_409 =
    R"({"title":"ConnectionException","detail":"You must define rules using the POST /2/tweets/search/stream/rules endpoint before connecting to filtered stream.","connection_issue":"RuleConfigurationIssue","type":"https://api.twitter.com/2/problems/streaming-connection"})";
inline constexpr std::string_view rate_limited_429 =
    R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})";
inline constexpr std::string_view too_many_connections_429 =
    R"({"title":"ConnectionException","detail":"This stream is currently at the maximum allowed connection limit.","connection_issue":"TooManyConnections","type":"https://api.twitter.com/2/problems/streaming-connection"})";
inline constexpr std::string_view usage_capped_429 =
    R"({"account_id":123123123,"product_name":"standard-basic","title":"UsageCapExceeded","period":"Monthly","scope":"Product","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped"})";
// No capture of these two in testdata: shaped like X's other about:blank problems (XAPI.md).
inline constexpr std::string_view internal_error_500 =
    R"({"title":"Internal Server Error","detail":"Internal Server Error","type":"about:blank","status":500})";
inline constexpr std::string_view service_unavailable_503 =
    R"({"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503})";
inline constexpr std::string_view not_found_404 =
    R"({"title":"Not Found Error","detail":"The requested resource could not be found.","type":"https://api.twitter.com/2/problems/resource-not-found","status":404})";
// GET /2/users/me with an app-only Bearer: X's answer (the endpoint needs a user-context token).
inline constexpr std::string_view unsupported_auth_403 =
    R"({"title":"Unsupported Authentication","detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].","type":"https://api.twitter.com/2/problems/unsupported-authentication","status":403})";
// GET /2/users/me with a current user-context token: X's own developer account, as in X's docs.
inline constexpr std::string_view users_me_200 = R"({"data":{"id":"2244994945","name":"X Developers","username":"XDevelopers"}})";
// Stream or rules below Pro (--access free|basic): the client-forbidden body above with the
// enrollment X names for tier problems.
inline constexpr std::string_view access_forbidden_403 =
    R"({"client_id":"23074266","detail":"When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.","registration_url":"https://developer.twitter.com/en/docs/projects/overview","title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"})";
// POST /oauth2/token (client credentials), X's v1.1-style errors.
inline constexpr std::string_view bad_app_credentials_403 =
    R"({"errors":[{"code":99,"message":"Unable to verify your credentials","label":"authenticity_token_error"}]})";
inline constexpr std::string_view missing_grant_type_400 =
    R"({"errors":[{"code":170,"message":"Missing required parameter: grant_type","label":"forbidden_missing_parameter"}]})";
// POST /2/oauth2/token (refresh_token grant), X's OAuth 2.0 errors.
inline constexpr std::string_view invalid_refresh_token_400 =
    R"({"error":"invalid_request","error_description":"Value passed for the token was invalid."})";
inline constexpr std::string_view unauthorized_client_400 =
    R"({"error":"unauthorized_client","error_description":"Missing valid authorization header"})";
inline constexpr std::string_view invalid_grant_type_400 =
    R"({"error":"invalid_request","error_description":"Missing required parameter [grant_type]."})";
inline constexpr std::string_view method_not_allowed_405 =
    R"({"title":"Method Not Allowed","detail":"Method Not Allowed","type":"about:blank","status":405})";
}  // namespace x_body

struct RateLimitInfo {
  int limit = 50;
  int remaining = 49;
  std::int64_t reset_unix_s = 0;
};

// "HTTP/1.1 200 OK" head of the endless chunked stream, ending with the blank line.
std::string stream_response_head(std::int64_t now_unix_s, const RateLimitInfo& rl, std::uint64_t connection_no);
// A complete error response (content-length body, connection: close). Problem documents (with a
// "type") go out as application/problem+json, as X does; legacy {"errors":[...]} as JSON.
std::string error_response(int status, std::string_view body, std::int64_t now_unix_s, const RateLimitInfo& rl);
// A complete application/json response (e.g. the rules endpoints), connection: close.
std::string json_response(int status, std::string_view body, std::int64_t now_unix_s, const RateLimitInfo& rl);
// The same for endpoints without a rate-limit window (token endpoints, status page): no x-rate-limit-*.
std::string json_response(int status, std::string_view body, std::int64_t now_unix_s);
// X's 400 invalid-request problem document: {"errors":[{"parameters":{},"message":..}],"title":"Invalid
// Request",...} (the shape of X's rules and search 400s).
std::string invalid_request_body(std::string_view message);
// The same naming the query parameter X refused and its value: "parameters":{"<parameter>":["<value>"]}
// (the shape of X's Connections API 400s).
std::string invalid_request_body(std::string_view message, std::string_view parameter, std::string_view value);
// The canned body for a status, when the caller has no more specific one.
std::string_view default_body(int status);
// One in-band notice line (no "\r\n"), shaped exactly like stream_msg_operational_disconnect.json.
std::string disconnect_notice(std::string_view disconnect_type);

}  // namespace spillway::emu
