#pragma once
/// Configs: one YAML file per model under configs/ with every default spelled out, embedded in the
/// library so that `beyond train vae` runs without the source tree. Keys are dotted paths
/// ("optim.lr"). Overrides (`--config F`, `--set k=v`) may only name keys that already exist: a typo
/// is an error that names the key and the closest valid one.
///
///   Config cfg = Config::builtin("vae");
///   cfg.set("train.epochs", "2");
///   int64_t epochs = cfg.get_int("train.epochs");
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace beyond {

class Config {
 public:
  Config();
  ~Config();
  Config(const Config&);
  Config& operator=(const Config&);

  /// Parses YAML text; `source` names it in error messages (a file path, "--set", ...).
  static Config from_yaml(const std::string& text, const std::string& source);
  static Config from_file(const std::string& path);
  /// The embedded configs/<name>.yaml; UsageError listing the known names if there is none.
  static Config builtin(const std::string& name);
  static std::vector<std::string> builtin_names();

  /// Applies every leaf of `overrides`; each must name an existing key (UsageError otherwise).
  void merge(const Config& overrides);
  /// Sets one existing leaf from text parsed as a YAML value ("3", "1e-3", "[0.5, 0.999]", "adam").
  void set(const std::string& key, const std::string& value);
  /// Applies "key=value" as given to --set.
  void set_assignment(const std::string& assignment);

  bool has(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  std::vector<double> get_doubles(const std::string& key) const;
  std::vector<int64_t> get_ints(const std::string& key) const;

  /// Every leaf key in dotted form, in file order.
  std::vector<std::string> keys() const;
  std::string to_yaml() const;
  /// Where this config came from, for messages.
  const std::string& source() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Levenshtein-closest of `candidates` to `word` ("" if none is reasonably close).
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace beyond
