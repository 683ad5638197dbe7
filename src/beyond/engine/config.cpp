#include "beyond/engine/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"

namespace beyond {
namespace detail {
const std::map<std::string, std::string>& embedded_configs();  // generated from configs/*.yaml
}

namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  return parts;
}

void collect_leaves(const YAML::Node& node, const std::string& prefix, std::vector<std::string>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      std::string name = kv.first.as<std::string>();
      collect_leaves(kv.second, prefix.empty() ? name : prefix + "." + name, out);
    }
  } else {
    out.push_back(prefix);
  }
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  // Suggest only when the typo is small relative to the word: a suggestion that is far off misleads.
  if (best_d == std::string::npos || best_d > std::max<size_t>(2, word.size() / 3)) return "";
  return best;
}

struct Config::Impl {
  YAML::Node root{YAML::NodeType::Map};
  std::string source = "<empty>";

  YAML::Node leaf(const std::string& key) const {
    // Walk through const nodes: yaml-cpp's non-const operator[] would insert missing keys.
    const YAML::Node& start = root;
    YAML::Node walk = start;
    for (const auto& part : split_key(key)) {
      const YAML::Node& cur = walk;
      if (!cur.IsMap() || !cur[part]) return YAML::Node(YAML::NodeType::Undefined);
      walk.reset(cur[part]);
    }
    return walk;
  }
};

Config::Config() : impl_(std::make_unique<Impl>()) {}
Config::~Config() = default;
Config::Config(const Config& other) : impl_(std::make_unique<Impl>()) {
  impl_->root = YAML::Clone(other.impl_->root);
  impl_->source = other.impl_->source;
}
Config& Config::operator=(const Config& other) {
  if (this != &other) {
    impl_->root = YAML::Clone(other.impl_->root);
    impl_->source = other.impl_->source;
  }
  return *this;
}

Config Config::from_yaml(const std::string& text, const std::string& source) {
  Config cfg;
  cfg.impl_->source = source;
  try {
    YAML::Node node = YAML::Load(text);
    if (node.IsNull()) node = YAML::Node(YAML::NodeType::Map);
    if (!node.IsMap()) throw UsageError(str(source, ": a config must be a YAML mapping of keys to values"));
    cfg.impl_->root = node;
  } catch (const YAML::Exception& e) {
    throw UsageError(str(source, ": invalid YAML at line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ",
                         e.msg));
  }
  return cfg;
}

Config Config::from_file(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error& e) {
    throw UsageError(str("cannot read config file: ", e.what()));
  }
  return from_yaml(text, path);
}

Config Config::builtin(const std::string& name) {
  const auto& files = detail::embedded_configs();
  auto it = files.find(name);
  if (it == files.end()) {
    std::string list;
    for (const auto& kv : files) list += (list.empty() ? "" : ", ") + kv.first;
    std::string hint = closest_match(name, builtin_names());
    throw UsageError(str("unknown model '", name, "'", hint.empty() ? "" : "; did you mean '" + hint + "'?",
                         " (known: ", list, ")"));
  }
  return from_yaml(it->second, "configs/" + name + ".yaml");
}

std::vector<std::string> Config::builtin_names() {
  std::vector<std::string> names;
  for (const auto& kv : detail::embedded_configs()) names.push_back(kv.first);
  return names;
}

void Config::merge(const Config& overrides) {
  for (const auto& key : overrides.keys()) {
    set(key, YAML::Dump(overrides.impl_->leaf(key)));
  }
}

void Config::set(const std::string& key, const std::string& value) {
  if (!has(key)) {
    std::string hint = closest_match(key, keys());
    throw UsageError(str("unknown config key '", key, "'",
                         hint.empty() ? "" : "; did you mean '" + hint + "'?",
                         " (the keys of ", impl_->source, " are listed by `beyond config <model>`)"));
  }
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw UsageError(str("cannot parse the value '", value, "' for config key '", key, "': ", e.msg));
  }
  std::vector<std::string> parts = split_key(key);
  YAML::Node node = impl_->root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) node.reset(node[parts[i]]);
  node[parts.back()] = parsed;
}

void Config::set_assignment(const std::string& assignment) {
  auto eq = assignment.find('=');
  BEYOND_CHECK_USAGE(eq != std::string::npos && eq > 0, "--set expects key=value, got '", assignment, "'");
  set(assignment.substr(0, eq), assignment.substr(eq + 1));
}

bool Config::has(const std::string& key) const {
  YAML::Node n = impl_->leaf(key);
  return n.IsDefined() && !n.IsMap();
}

namespace {
template <typename T>
T get_as(const YAML::Node& n, const std::string& source, const std::string& key, const char* type_name) {
  BEYOND_CHECK_USAGE(n.IsDefined() && !n.IsMap(), source, ": missing config key '", key, "'");
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw UsageError(str(source, ": config key '", key, "' must be ", type_name, ", got '", YAML::Dump(n), "'"));
  }
}
}  // namespace

int64_t Config::get_int(const std::string& key) const {
  return get_as<int64_t>(impl_->leaf(key), impl_->source, key, "an integer");
}
double Config::get_double(const std::string& key) const {
  return get_as<double>(impl_->leaf(key), impl_->source, key, "a number");
}
bool Config::get_bool(const std::string& key) const {
  return get_as<bool>(impl_->leaf(key), impl_->source, key, "true or false");
}
std::string Config::get_string(const std::string& key) const {
  return get_as<std::string>(impl_->leaf(key), impl_->source, key, "a string");
}
std::vector<double> Config::get_doubles(const std::string& key) const {
  return get_as<std::vector<double>>(impl_->leaf(key), impl_->source, key, "a list of numbers");
}
std::vector<int64_t> Config::get_ints(const std::string& key) const {
  return get_as<std::vector<int64_t>>(impl_->leaf(key), impl_->source, key, "a list of integers");
}

std::vector<std::string> Config::keys() const {
  std::vector<std::string> out;
  collect_leaves(impl_->root, "", out);
  return out;
}

std::string Config::to_yaml() const {
  YAML::Emitter emitter;
  emitter << impl_->root;
  return std::string(emitter.c_str()) + "\n";
}

const std::string& Config::source() const { return impl_->source; }

}  // namespace beyond
