#include "common/health.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <exception>

namespace spillway::common {

void health_registry::add(std::string name, health_check check) {
  std::lock_guard lock(mutex_);
  checks_.push_back({std::move(name), std::move(check)});
}

health_report health_registry::evaluate() const {
  std::lock_guard lock(mutex_);
  std::vector<health_status> results;
  results.reserve(checks_.size());
  bool ok = true;
  for (const auto& c : checks_) {
    health_status s;
    try {
      s = c.check();
    } catch (const std::exception& e) {
      // A check that throws cannot vouch for its component.
      s = health_status::fail(std::string("the check itself failed: ") + e.what());
    }
    ok = ok && s.ok;
    results.push_back(std::move(s));
  }

  // RapidJSON's writer escapes the reasons (quotes, control bytes) as RFC 8259 requires.
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("status");
  w.String(ok ? "ok" : "failing");
  w.Key("checks");
  w.StartArray();
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    w.StartObject();
    w.Key("name");
    w.String(checks_[i].name.data(), static_cast<rapidjson::SizeType>(checks_[i].name.size()));
    w.Key("ok");
    w.Bool(results[i].ok);
    if (!results[i].ok) {
      w.Key("why");
      w.String(results[i].why.data(), static_cast<rapidjson::SizeType>(results[i].why.size()));
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {ok, std::string(buf.GetString(), buf.GetSize()) + "\n"};
}

}  // namespace spillway::common
