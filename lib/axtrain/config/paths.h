// Loading YAML files, resolving relative paths, and applying --set overrides.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace ax::config {

// Parses a YAML file; a syntax error or unreadable file becomes ConfigError naming file:line.
// `where` (may be empty) says who referred to the file.
YAML::Node load_yaml_file(const std::string& path, const std::string& where = "");
// Resolves a path written in a config: absolute as is; else relative to the working directory if
// it exists there, else relative to the referring file's directory, else to the source tree.
std::string resolve_config_path(const std::string& path, const std::string& referring_file);
// One override of a config key, typed: the key path (a.b.c; list elements by index, phases.1.epochs)
// and its YAML value. The text form KEY.PATH=VALUE (value parsed as YAML) is what `--set` and
// experiment files write; only they parse it (Override::parse), the library makes overrides with
// Override::of.
struct Override {
  std::string key;
  YAML::Node value;
  std::string origin;  // how it was written, for messages ("" = made by the library)

  struct Made {};  // not an aggregate: a braced list of strings is never taken for one override
  Override(Made, std::string k, YAML::Node v, std::string o) : key(std::move(k)), value(std::move(v)), origin(std::move(o)) {}

  // KEY.PATH=VALUE; an empty value or a malformed assignment is a UsageError.
  static Override parse(const std::string& assignment);
  template <class T>
  static Override of(std::string key, const T& value) {
    return Override(Made{}, std::move(key), YAML::Node(value), "");
  }
  // A number in its shortest exact form (0.1, not 0.10000000000000001).
  static Override of(std::string key, double value);
  // KEY.PATH=VALUE, the value in YAML flow style: parse(text()) gives the same override.
  std::string text() const;
};
std::vector<Override> parse_overrides(const std::vector<std::string>& assignments);

// Applies overrides to root in place, so nodes from the file keep their line and column (a
// document with aliases is copied first and loses them). Nodes made here carry no mark, so errors
// about them say "(--set)".
YAML::Node apply_overrides(const YAML::Node& root, const std::vector<Override>& overrides);

}  // namespace ax::config
