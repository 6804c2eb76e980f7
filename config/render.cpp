#include "config/render.hpp"

#include <algorithm>
#include <fstream>

#include "config/kafka_properties.hpp"
#include "config/loader.hpp"
#include "config/options.hpp"

namespace spillway::config {
namespace {

const settings& defaults() {
  static const settings d{};
  return d;
}

std::string value_text(const option_spec& spec, const settings& s) {
  if (spec.secret) return toml_quote(redacted);
  return format_value(spec, read_option(spec, s));
}

std::string default_text(const option_spec& spec) {
  if (spec.field == nullptr) return "(none)";
  return value_text(spec, defaults());
}

std::string default_cell(const option_spec& spec) {
  const std::string text = default_text(spec);
  if (spec.field == nullptr) return text;
  return text == "\"\"" ? "(empty)" : "`" + text + "`";
}

std::string env_text(const option_spec& spec) {
  if (spec.type == option_type::properties) return std::string(property_env_prefix) + "<NAME>";
  if (spec.type == option_type::rules) return "";
  return env_var_name(spec.key);
}

// What values are accepted beyond the type: "1024..67108864", "one of a, b", "power of two".
std::string constraints(const option_spec& spec) {
  std::string text;
  const auto limit = [&](std::uint64_t v) {
    return spec.type == option_type::duration ? format_duration(std::chrono::milliseconds(v)) : std::to_string(v);
  };
  if (spec.type == option_type::integer || spec.type == option_type::duration) {
    text = limit(spec.min) + (spec.max != 0 ? ".." + limit(spec.max) : " or more");
  }
  switch (spec.check) {
    case value_check::power_of_two: text += ", a power of two"; break;
    case value_check::connection_count: text = "1 or 2 (2: Enterprise only)"; break;
    case value_check::http_origin: text = "http(s)://host[:port]"; break;
    case value_check::host_port: text = "host:port"; break;
    case value_check::host_port_list: text = "host:port[,host:port...]"; break;
    case value_check::field_list: text = "name[,name...]"; break;
    case value_check::kafka_topic: text = "a Kafka topic name"; break;
    case value_check::env_var_name: text = "a variable name"; break;
    case value_check::none: break;
  }
  if (!spec.allowed.empty()) {
    text = "one of";
    for (const auto a : spec.allowed) text += std::string(text.ends_with("of") ? " " : ", ") + std::string(a);
  }
  if (spec.required && spec.allowed.empty()) text += text.empty() ? "not empty" : ", not empty";
  return text;
}

std::string synopsis(const option_spec& spec) {
  switch (spec.type) {
    case option_type::properties: return "\"<librdkafka property>\" = string, integer or boolean";
    case option_type::rules: return "value = \"<rule>\" (required), tag = \"<tag>\" (optional)";
    default:
      return std::string(leaf_of(spec.key)) + " (" + std::string(type_name(spec.type)) + ") default " + default_text(spec);
  }
}

// Help text wrapped at 100 columns, each line indented.
std::string wrap(std::string_view text, std::string_view indent) {
  constexpr std::size_t width = 100;
  std::string out;
  std::string line(indent);
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const auto word = text.substr(start, end - start);
    if (line.size() > indent.size() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent;
    }
    if (line.size() > indent.size()) line += ' ';
    line += word;
    start = end + 1;
  }
  return out + line + "\n";
}

std::string escape_cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += "\\|";
    else out += c;
  }
  return out;
}

void render_section(std::string& out, std::string_view section, const settings& s) {
  bool header = section.empty();
  for (const auto& spec : option_table()) {
    if (spec.field == nullptr || section_of(spec.key) != section) continue;
    if (!header) {
      out += "\n[" + std::string(section) + "]\n";
      header = true;
    }
    out += std::string(leaf_of(spec.key)) + " = " + value_text(spec, s) + "\n";
  }
}

// The sections in the order a TOML file needs them: top-level keys before every table header.
std::vector<std::string_view> sections_in_order() {
  std::vector<std::string_view> sections{""};
  for (const auto& spec : option_table()) {
    const auto section = section_of(spec.key);
    if (spec.field != nullptr && std::ranges::find(sections, section) == sections.end()) sections.push_back(section);
  }
  return sections;
}

// A commented block: the help, then the type and accepted values, then the variable, as '#' comment lines.
std::string comment_block(const option_spec& spec) {
  std::string facts(type_name(spec.type));
  if (const auto c = constraints(spec); !c.empty()) facts += ": " + c;
  std::string out = "\n" + wrap(spec.help, "# ") + wrap(facts, "# ");
  if (const auto e = env_text(spec); !e.empty()) out += "# Environment: " + e + "\n";
  return out;
}

void render_commented_properties(std::string& out, const settings& s) {
  const auto* spec = find_option("sinks.kafka.properties");
  out += comment_block(*spec);
  if (s.kafka.properties.empty()) {
    out += "#[sinks.kafka.properties]\n#\"compression.type\" = \"zstd\"\n";
    return;
  }
  out += "[sinks.kafka.properties]\n";
  for (const auto& [key, value] : s.kafka.properties) {
    if (!is_secret_property(key)) {
      out += toml_quote(key) + " = " + toml_quote(value) + "\n";
      continue;
    }
    std::string name = ascii_upper(key);
    std::ranges::replace(name, '.', '_');
    out += "# " + toml_quote(key) + " is a secret: set it with " + std::string(property_env_prefix) + name + "\n";
  }
}

void render_commented_rules(std::string& out, const settings& s) {
  out += comment_block(*find_option("rules"));
  if (s.rules.empty()) {
    out += "#[[rules]]\n#value = \"<rule>\"\n#tag = \"<tag>\"\n";
    return;
  }
  for (const auto& rule : s.rules) {
    out += "[[rules]]\nvalue = " + toml_quote(rule.value) + "\n";
    if (!rule.tag.empty()) out += "tag = " + toml_quote(rule.tag) + "\n";
  }
}

}  // namespace

std::string render_commented(const settings& s, std::string_view intro) {
  // "Set" means: differs from what an empty file loads. That baseline, not settings{}, because loading
  // normalises some values (sinks.kafka.enabled is off without brokers), and writing such a value out
  // as set would pin it (`enabled = false` would keep Kafka off once brokers are added).
  const settings baseline = load_settings_from_string("", "(defaults)", env_lookup{});
  std::string out;
  for (std::size_t start = 0; start < intro.size();) {
    auto end = intro.find('\n', start);
    if (end == std::string_view::npos) end = intro.size();
    const auto line = intro.substr(start, end - start);
    out += line.starts_with('#') ? std::string(line) : (line.empty() ? "#" : "# " + std::string(line));
    out += "\n";
    start = end + 1;
  }
  if (!intro.empty()) out += "#\n";
  out +=
      "# Every Spillway option under its table, with what it does and its default. A line `#key = value`\n"
      "# is the default, commented out: remove the '#' and edit the value to change it. Each option can\n"
      "# also be set by the environment variable named with it, which wins over this file. Secrets (the\n"
      "# Bearer token, Kafka passwords) never go in this file. Check a change: spillway config check FILE\n";
  for (const auto section : sections_in_order()) {
    if (!section.empty()) out += "\n[" + std::string(section) + "]\n";
    for (const auto& spec : option_table()) {
      if (spec.field == nullptr || section_of(spec.key) != section) continue;
      const bool set = !spec.secret && read_option(spec, s) != read_option(spec, baseline);
      out += comment_block(spec);
      out += (set ? "" : "#") + std::string(leaf_of(spec.key)) + " = " + (set ? value_text(spec, s) : default_text(spec)) + "\n";
    }
    if (section == "sinks.kafka") render_commented_properties(out, s);
  }
  render_commented_rules(out, s);
  return out;
}

std::string render_example(const std::string& overlay_file) {
  if (overlay_file.empty()) return render_commented(load_settings_from_string("", "(defaults)", env_lookup{}), "");
  const settings s = load_settings(overlay_file, env_lookup{});  // validates; the file is readable from here on
  std::ifstream in(overlay_file);
  std::string intro;
  for (std::string line; std::getline(in, line) && line.starts_with('#');) intro += line + "\n";
  return render_commented(s, intro);
}

std::string render_effective(const settings& s) {
  std::string out = "# Effective Spillway configuration";
  if (!s.source_path.empty()) out += " (from " + s.source_path + " and SPILLWAY_* environment variables)";
  out += ".\n# Secrets are shown as \"" + std::string(redacted) + "\".\n";
  for (const auto section : sections_in_order()) {
    render_section(out, section, s);
    if (section == "sinks.kafka" && !s.kafka.properties.empty()) {
      out += "\n[sinks.kafka.properties]\n";
      for (const auto& [key, value] : s.kafka.properties) {
        out += toml_quote(key) + " = " + toml_quote(is_secret_property(key) ? redacted : std::string_view(value)) + "\n";
      }
    }
  }
  for (const auto& rule : s.rules) {
    out += "\n[[rules]]\nvalue = " + toml_quote(rule.value) + "\n";
    if (!rule.tag.empty()) out += "tag = " + toml_quote(rule.tag) + "\n";
  }
  return out;
}

std::string render_help() {
  std::string out =
      "Spillway reads one TOML file (--config). Options, by TOML table:\n"
      "\n"
      "Every option can be overridden by an environment variable SPILLWAY_<SECTION>__<KEY>: the table's\n"
      "name upper-cased with '.' as '_', then two underscores, then the key (sinks.kafka.topic ->\n"
      "SPILLWAY_SINKS_KAFKA__TOPIC; top-level log_level -> SPILLWAY_LOG_LEVEL). Booleans from the\n"
      "environment accept true/false, 1/0, yes/no, on/off. Durations are a whole number with a unit:\n"
      "\"250ms\", \"5s\", \"1m\", \"2h\". The Bearer token never goes in the file: see [auth].\n";
  std::string_view current = "\x01";
  for (const auto& spec : option_table()) {
    const auto section = spec.type == option_type::properties || spec.type == option_type::rules
                             ? std::string_view(spec.key)
                             : section_of(spec.key);
    if (section != current) {
      current = section;
      out += "\n" + (section.empty() ? std::string("(top level)")
                                     : spec.type == option_type::rules ? "[[rules]]" : "[" + std::string(section) + "]") +
             "\n";
    }
    out += "  " + synopsis(spec) + "\n" + wrap(spec.help, "      ");
    if (const auto c = constraints(spec); !c.empty()) out += "      Accepts: " + c + "\n";
    if (const auto e = env_text(spec); !e.empty()) out += "      Environment: " + e + "\n";
  }
  return out;
}

std::string render_markdown_reference() {
  std::string out =
      "| Key | Type | Default | Accepts | Environment variable | Description |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& spec : option_table()) {
    const std::string env = env_text(spec);
    out += "| `" + std::string(spec.key) + "` | " + std::string(type_name(spec.type)) + " | " +
           escape_cell(default_cell(spec)) + " | " +
           escape_cell(constraints(spec)) + " | " + (env.empty() ? "—" : "`" + env + "`") + " | " +
           escape_cell(spec.help) + " |\n";
  }
  return out;
}

}  // namespace spillway::config
