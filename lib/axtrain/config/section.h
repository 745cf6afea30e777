// Section: a layered, read-once view of one YAML mapping. Strings stop here: spec parsers read
// typed values from a Section and never keep YAML around.
//
// Layers are consulted top-down (later layers win): preset < config file (with --set edits).
// Every key that is read is marked; finish() then rejects unknown keys with file:line:col, the
// key path and a "did you mean". Every value error names file:line:col, the key path, the bad
// value and what is allowed.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace ax::config {

class Section {
 public:
  struct Layer {
    YAML::Node node;   // a mapping (or null when the key is absent in this layer)
    std::string file;  // where it came from
  };

  Section(std::vector<Layer> layers, std::string path);

  const std::string& path() const { return path_; }
  std::string key_path(const std::string& key) const;
  bool has(const std::string& key) const;
  bool empty() const;
  std::vector<std::string> keys() const;  // union over layers, in first-seen order

  // Scalars. Conversions check the YAML type; ranges are inclusive.
  std::string get_string(const std::string& key, const std::string& fallback);
  std::string require_string(const std::string& key);
  bool get_bool(const std::string& key, bool fallback);
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t lo,
                       std::int64_t hi);
  std::int64_t require_int(const std::string& key, std::int64_t lo, std::int64_t hi);
  double get_double(const std::string& key, double fallback, double lo, double hi);
  double require_double(const std::string& key, double lo, double hi);
  std::vector<std::int64_t> get_int_list(const std::string& key, std::vector<std::int64_t> fallback,
                                         std::int64_t lo, std::int64_t hi);
  std::vector<double> get_double_list(const std::string& key, std::vector<double> fallback,
                                      double lo, double hi);
  std::vector<std::string> get_string_list(const std::string& key,
                                           std::vector<std::string> fallback);
  // A path: ${VAR} expanded; relative paths are kept as written (resolved by the user of the path).
  std::string get_path(const std::string& key, const std::string& fallback);

  // One of a fixed set of names mapped to values of E.
  template <class E>
  E get_choice(const std::string& key, E fallback,
               const std::vector<std::pair<std::string, E>>& options) {
    if (!has(key)) {
      mark(key);
      return fallback;
    }
    std::string v = require_string(key);
    std::vector<std::string> names;
    for (const auto& [n, e] : options) {
      if (n == v) return e;
      names.push_back(n);
    }
    fail_choice(key, v, names);
  }

  // A nested mapping (empty Section when absent). A non-mapping value is an error.
  Section section(const std::string& key);
  // A list of mappings, from the topmost layer that has the key.
  std::vector<Section> section_list(const std::string& key);
  // The topmost raw node for key (for keys with free-form content, e.g. a scalar-or-mapping).
  YAML::Node raw(const std::string& key);
  const Layer* top_layer_with(const std::string& key) const;
  // A new Section with an extra top layer; keys in `ignore` are treated as read.
  Section overlay(const YAML::Node& node, const std::string& file,
                  const std::vector<std::string>& ignore = {}) const;
  const std::vector<Layer>& layers() const { return layers_; }

  void mark(const std::string& key) { used_.insert(key); }
  // "file:line:col: path.key" for the topmost definition of key (or of the section itself).
  std::string where(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  // Throws ConfigError for the first key that was never read.
  void finish() const;

 private:
  [[noreturn]] void fail_choice(const std::string& key, const std::string& value,
                                const std::vector<std::string>& names) const;
  YAML::Node scalar(const std::string& key);
  std::string value_text(const std::string& key) const;

  std::vector<Layer> layers_;
  std::string path_;
  std::set<std::string> used_;
};

// "file:line:col" of a node (1-based), or "file (--set)" for nodes made by --set.
std::string mark_text(const YAML::Node& node, const std::string& file);

}  // namespace ax::config
