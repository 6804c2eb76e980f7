// The status-page check of `diagnose` (declared in diagnose.hpp): X publishes its API status as a
// statuspage.io page; its JSON summary says whether X itself has an incident, which is the first thing
// to rule in or out when the stream answers 5xx or drops. Offline or unreachable is not a failure of
// ours: the check is then "skipped".
#include <rapidjson/document.h>

#include "common/log.hpp"
#include "ingest/control/diagnose.hpp"
#include "ingest/xapi/http_client.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {
namespace {

// The longest text kept from the page's JSON, before escaping.
constexpr std::size_t max_text_bytes = 300;

// Server text is data (issue 10): the page's strings reach the diagnose report and the terminal, so control
// bytes are escaped (\xNN) and the length capped.
std::string str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  const auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return common::log_sample({it->value.GetString(), it->value.GetStringLength()}, max_text_bytes);
}

finding skipped(const std::string& why) {
  return {"status_page", finding_level::skipped, "status page not checked: " + why, "",
          "look at the X API status page by hand when X answers 5xx"};
}

}  // namespace

finding evaluate_status_page(const std::string& url, int status, const std::string& body) {
  if (status != 200) return skipped(url + " answered HTTP " + std::to_string(status));
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("status"))
    return skipped(url + " did not answer with statuspage.io JSON (no \"status\" object); check diagnose.status_url");
  const std::string indicator = str(d["status"], "indicator");
  const std::string description = str(d["status"], "description");
  const std::string page = d.HasMember("page") ? str(d["page"], "url") : std::string();
  const std::string watch = page.empty() ? url : page;
  const std::string said = "X's status page says \"" + description + "\" (indicator " + indicator + ")";
  if (indicator == "none") return {"status_page", finding_level::ok, said, "", ""};
  if (indicator != "minor" && indicator != "major" && indicator != "critical")
    return skipped(url + " reported the unknown indicator \"" + indicator + "\"");
  // A minor incident is often in a part of the API the stream does not use: worth knowing, not an alarm.
  const auto level = indicator == "minor" ? finding_level::info : finding_level::action;
  return {"status_page", level, said,
          "X has an ongoing incident: errors (5xx, drops, 429s) seen now may be on X's side, not in this setup",
          "nothing to change here: wait for X to resolve it and watch " + watch +
              "; `spillway run` keeps retrying with backoff and asks for backfill when it can"};
}

finding check_status_page(const std::string& url, const std::string& ca_file, std::chrono::milliseconds timeout) {
  // diagnose.status_url is a full URL; the client wants an origin and a target.
  auto parts = parse_url(url);
  if (!parts) return skipped("diagnose.status_url '" + url + "' is not an http(s) URL (" + parts.error().message + ")");
  // A public site, not the X API: the system store always, whatever stream.trust_system_roots says.
  auto client = http_client::create(parts->origin, tls_trust{ca_file, true}, timeout);
  if (!client) return skipped(client.error().message);
  const auto r = client->send({"GET", parts->target, "", "", false});  // public page: no token, ever
  if (!r) return skipped("unreachable (" + r.error().message + ")");
  return evaluate_status_page(url, r->status, r->body);
}

}  // namespace spillway::ingest
