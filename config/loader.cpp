#include "config/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "config/kafka_properties.hpp"
#include "config/options.hpp"
#include "config/rule_list.hpp"
#include "config/toml_support.hpp"

namespace spillway::config {
namespace {

// A key that names a credential rather than where to find one.
bool names_credential(std::string_view leaf) {
  const std::string k = ascii_lower(leaf);
  const bool credential = k.find("token") != std::string::npos || k.find("secret") != std::string::npos ||
                          k.find("password") != std::string::npos || k.find("apikey") != std::string::npos ||
                          k.find("api_key") != std::string::npos;
  // bearer_token_env / bearer_token_file name a place, so a typo in them is only a typo.
  const bool names_a_place = k.find("env") != std::string::npos || k.find("file") != std::string::npos;
  return credential && !names_a_place;
}

std::string fix_for_type(option_type type) {
  switch (type) {
    case option_type::string: return "put the value in double quotes";
    case option_type::boolean: return "write true or false, without quotes";
    case option_type::integer: return "write a whole number, without quotes";
    case option_type::duration: return "write a quoted whole number with a unit: \"250ms\", \"5s\", \"1m\" or \"2h\"";
    default: return "";
  }
}

// Loads one source of text into settings. Lives for one load_settings_from_string call.
class loader {
 public:
  loader(std::string_view source, const env_lookup& env) : source_(source), env_(env) {}

  settings run(std::string_view text) {
    try {
      const toml::table document = toml::parse(text, std::string_view(source_));
      walk(document, "");
    } catch (const toml::parse_error& e) {
      // toml++ stops at the first syntax error, so nothing after it can be checked.
      problems_.add(position(source_, e.source()), "",
                    {"TOML syntax error: " + std::string(e.description()), "correct the syntax at that position"});
      problems_.raise();
    }
    apply_environment();
    check_property_overrides();
    cross_check();
    if (!problems_.empty()) problems_.raise();
    out_.source_path = source_;
    return std::move(out_);
  }

 private:
  void walk(const toml::table& table, const std::string& path) {
    for (const auto& [k, node] : table) {
      const std::string key = path.empty() ? std::string(k.str()) : path + "." + std::string(k.str());
      if (const auto* spec = find_option(key)) {
        apply_file_value(*spec, node);
      } else if (is_known_table(key)) {
        if (const auto* sub = node.as_table()) walk(*sub, key);
        else problems_.add(position(source_, k.source()), key,
                           {"must be a table, not " + std::string(node_kind(node)), "write [" + key + "] with its options below it"});
      } else {
        report_unknown(key, position(source_, k.source()));
      }
    }
  }

  void apply_file_value(const option_spec& spec, const toml::node& node) {
    const std::string where = position(source_, node.source());
    origins_[std::string(spec.key)] = where;
    if (spec.type == option_type::properties) {
      properties_ = load_properties(node, source_, problems_);
      return;
    }
    if (spec.type == option_type::rules) {
      out_.rules = load_rules(node, source_, problems_);
      return;
    }
    std::optional<option_value> value;
    issue why{"must be " + std::string(spec.type == option_type::integer ? "an " : "a ") + std::string(type_name(spec.type)) +
                  ", not " + std::string(node_kind(node)),
              fix_for_type(spec.type)};
    if (const auto* s = node.as_string(); s && (spec.type == option_type::string || spec.type == option_type::duration)) {
      value = parse_text(spec, s->get(), why);
    } else if (const auto* b = node.as_boolean(); b && spec.type == option_type::boolean) {
      value = b->get();
    } else if (const auto* i = node.as_integer(); i && spec.type == option_type::integer) {
      if (i->get() >= 0) value = static_cast<std::uint64_t>(i->get());
      else why = {"must not be negative" + std::string(spec.secret ? "" : " (got " + std::to_string(i->get()) + ")"), "use a positive number"};
    } else if (node.is_integer() && spec.type == option_type::duration) {
      why = {"needs a unit", fix_for_type(spec.type)};
    }
    store(spec, value, why, where);
  }

  // Text from a TOML string or an environment variable, converted to the option's type.
  static std::optional<option_value> parse_text(const option_spec& spec, const std::string& text, issue& why) {
    const std::string got = spec.secret ? "" : " (got " + toml_quote(text) + ")";
    switch (spec.type) {
      case option_type::string: return text;
      case option_type::boolean:
        if (auto b = parse_bool(text)) return *b;
        why = {"is not a boolean" + got, "use true or false"};
        return std::nullopt;
      case option_type::integer:
        if (auto n = parse_uint(text)) return *n;
        why = {"is not a whole number" + got, "use digits only, e.g. 1024"};
        return std::nullopt;
      case option_type::duration:
        if (auto d = parse_duration(text)) return *d;
        why = {"is not a duration" + got, "use a whole number with a unit: \"250ms\", \"5s\", \"1m\" or \"2h\""};
        return std::nullopt;
      default: return std::nullopt;
    }
  }

  void store(const option_spec& spec, const std::optional<option_value>& value, const issue& why, const std::string& where) {
    if (!value) return problems_.add(where, spec.key, why);
    if (auto bad = validate(spec, *value)) return problems_.add(where, spec.key, *bad);
    write_option(spec, out_, *value);
  }

  void report_unknown(const std::string& key, const std::string& where) {
    const std::string_view leaf = leaf_of(key);
    if (names_credential(leaf)) {
      const bool kafka = key.starts_with("sinks.kafka");
      problems_.add(where, key,
                    {"looks like a credential, and credentials never go in the config file (its value is not shown)",
                     kafka ? "delete the line and pass it to librdkafka with an environment variable such as "
                             "SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD"
                           : "delete the line and put the token in the environment variable named by "
                             "auth.bearer_token_env (default X_BEARER_TOKEN), or in the file named by auth.bearer_token_file"});
      return;
    }
    std::vector<std::string> candidates;
    std::optional<std::string> moved;  // the same name in another table: a misplaced key
    for (const auto& spec : option_table()) {
      candidates.emplace_back(spec.key);
      if (leaf_of(spec.key) == leaf) moved = std::string(spec.key);
      for (auto dot = spec.key.find('.'); dot != std::string_view::npos; dot = spec.key.find('.', dot + 1)) {
        candidates.emplace_back(spec.key.substr(0, dot));
      }
    }
    std::optional<std::string> near = moved ? moved : closest_match(key, candidates);
    problems_.add(where, key,
                  {"is not a Spillway option", near ? "did you mean `" + *near + "`?"
                                                    : "remove it; `spillway config --help` lists every option"});
  }

  void apply_environment() {
    std::vector<std::string> known;
    for (const auto& spec : option_table()) {
      if (spec.field == nullptr) continue;
      const std::string name = env_var_name(spec.key);
      known.push_back(name);
      const auto text = env_.get(name);
      if (!text) continue;
      const std::string where = "environment variable " + name;
      origins_[std::string(spec.key)] = where;
      issue why;
      store(spec, parse_text(spec, *text, why), why, where);
    }
    for (const auto& name : env_.names_with_prefix(env_prefix)) {
      // Only names with "__" are meant as overrides; other SPILLWAY_* variables are not ours to judge.
      if (name.find("__") == std::string::npos || name.starts_with(property_env_prefix) ||
          std::ranges::find(known, name) != known.end()) {
        continue;
      }
      const auto near = closest_match(name, known);
      problems_.add("environment variable " + name, "",
                    {"does not name a Spillway option", near ? "did you mean " + *near + "?"
                                                             : "unset it; `spillway config --help` lists each option's variable"});
    }
  }

  void check_property_overrides() {
    apply_property_overrides(env_, properties_, problems_);
    check_properties(properties_, problems_);
    for (auto& entry : properties_) out_.kafka.properties.emplace_back(std::move(entry.key), std::move(entry.value));
  }

  std::string origin(std::string_view key) const {
    const auto it = origins_.find(key);
    return it != origins_.end() ? it->second : source_ + " (default)";
  }

  void cross_check() {
    using namespace std::chrono;
    auto& k = out_.kafka;
    if (k.enabled && k.bootstrap_servers.empty()) {
      if (origins_.contains("sinks.kafka.enabled")) {
        problems_.add(origin("sinks.kafka.enabled"), "sinks.kafka.enabled",
                      {"Kafka is enabled but sinks.kafka.bootstrap_servers is not set",
                       "set bootstrap_servers = \"host:9092\" in [sinks.kafka] (or " +
                           env_var_name("sinks.kafka.bootstrap_servers") + "), or set enabled = false"});
      } else {
        // The default `enabled = true` means "on once brokers are configured"; with none there is no Kafka
        // sink, and the loaded settings say so (enabled = false) to every reader and to `config check`.
        k.enabled = false;
      }
    }
    check_cleartext_token();
    if (!out_.stream.trust_system_roots && out_.stream.ca_file.empty() && out_.stream.base_url.starts_with("https://")) {
      problems_.add(origin("stream.trust_system_roots"), "stream.trust_system_roots",
                    {"is false and stream.ca_file is not set, so no certificate authority would be trusted",
                     "set stream.ca_file to the PEM of the CA(s) to trust, or set trust_system_roots = true"});
    }
    const auto& r = out_.reconnect;
    order_check("reconnect.network_step", r.network_step, "reconnect.network_cap", r.network_cap);
    order_check("reconnect.http_base", r.http_base, "reconnect.http_cap", r.http_cap);
    if (out_.auth.bearer_token_env.empty() && out_.auth.bearer_token_file.empty()) {
      problems_.add(origin("auth.bearer_token_env"), "auth.bearer_token_env",
                    {"is empty and auth.bearer_token_file is not set, so there is no way to find the Bearer token",
                     "set bearer_token_env = \"X_BEARER_TOKEN\" or bearer_token_file = \"/path/to/token\""});
    }
  }

  // http:// sends `Authorization: Bearer ...` in clear. Loopback (the emulator, a local TLS-terminating
  // proxy) cannot be sniffed on the wire; any other host needs an explicit opt-in.
  void check_cleartext_token() {
    const std::string_view url = out_.stream.base_url;
    constexpr std::string_view scheme = "http://";
    if (out_.stream.allow_insecure_http || !url.starts_with(scheme)) return;
    std::string_view host = url.substr(scheme.size());
    host = host.substr(0, host.find('/'));
    if (host.starts_with('[')) {
      host = host.substr(1, host.find(']') == std::string_view::npos ? host.npos : host.find(']') - 1);
    } else {
      host = host.substr(0, host.find(':'));
    }
    const bool loopback = host == "localhost" || host == "::1" || host.starts_with("127.");
    if (loopback) return;
    problems_.add(origin("stream.base_url"), "stream.base_url",
                  {"is plain http:// to a host that is not loopback ('" + std::string(host) +
                       "'), so the Bearer token would cross the network in clear",
                   "use https://, or set stream.allow_insecure_http = true if this is a trusted proxy"});
  }

  void order_check(std::string_view low_key, std::chrono::milliseconds low, std::string_view high_key,
                   std::chrono::milliseconds high) {
    if (low <= high) return;
    // Appended piece by piece rather than `"(" + format_duration(low) + ...`: GCC 12 at -O3 inlines
    // operator+(const char*, std::string&&) into an insert at offset 0 and reports a false -Wrestrict
    // (overlapping memcpy) for it, which a Release build with SPILLWAY_WERROR=ON would turn into an error.
    std::string problem = "(";
    problem += format_duration(low);
    problem += ") is larger than ";
    problem += high_key;
    problem += " (";
    problem += format_duration(high);
    problem += ")";
    problems_.add(origin(low_key), low_key,
                  {std::move(problem), "make " + std::string(low_key) + " at most " + std::string(high_key)});
  }

  std::string source_;
  const env_lookup& env_;
  settings out_;
  problem_list problems_;
  std::vector<property_entry> properties_;
  std::map<std::string, std::string, std::less<>> origins_;  // option key -> where its value came from
};

}  // namespace

settings load_settings(const std::filesystem::path& file) { return load_settings(file, env_lookup::from_process()); }

settings load_settings(const std::filesystem::path& file, const env_lookup& env) {
  const std::string fix = "pass the path of a readable TOML file, e.g. --config config/examples/demo.toml";
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw config_error({"config file " + file.string() + ": is a directory. Fix: " + fix + "."});
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw config_error({"config file " + file.string() + ": cannot be read (" + std::strerror(err) + "). Fix: " + fix + "."});
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_settings_from_string(text.str(), file.string(), env);
}

settings load_settings_from_string(std::string_view toml_text, std::string_view source_name, const env_lookup& env) {
  return loader(source_name, env).run(toml_text);
}

}  // namespace spillway::config
